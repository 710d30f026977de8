package tfb_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/tfb"
)

// discard is a ResponseWriter that keeps the status and drops the body,
// reused across iterations so that only the handler's own work counts.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = 200
	}
	d.n += len(p)
	return len(p), nil
}

// BenchmarkEndpoints serves each endpoint in process, through the whole
// default stack, on SQLite (a file) and PostgreSQL (when available).
func BenchmarkEndpoints(b *testing.B) {
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			// Persistent connections, as a benchmark deployment runs
			// (CONN_MAX_AGE None); 0 would open one per request.
			d := database(b, engine)
			d.ConnMaxAge = db.Forever
			m, err := db.NewManager(db.Databases{db.DefaultAlias: d})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { m.Close() })
			if err := tfb.Migrate(context.Background(), m, db.DefaultAlias); err != nil {
				b.Fatal(err)
			}
			h := newHandler(b, m)
			for _, path := range []string{"/json", "/plaintext", "/db", "/queries?queries=20", "/fortunes", "/updates?queries=20", "/cached-queries?count=20"} {
				b.Run(path[1:], func(b *testing.B) {
					req := httptest.NewRequest("GET", path, nil)
					w := &discard{h: http.Header{}}
					b.ReportAllocs()
					for b.Loop() {
						clear(w.h)
						w.code, w.n = 0, 0
						h.ServeHTTP(w, req)
						if w.code != 200 {
							b.Fatalf("%s: status %d", path, w.code)
						}
					}
				})
			}
		})
	}
}
