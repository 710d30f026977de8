package main

import (
	"log/slog"
	"net/http"
	"testing"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkApp serves the TFB endpoints through the whole example app, as
// deployed (DEBUG off, the default stack, the Server and metrics layers),
// in process: the per-request cost of the app, without the network.
func BenchmarkApp(b *testing.B) {
	e := env{"DATABASE_URL": "sqlite:///" + b.TempDir() + "/db.sqlite3", "STATIC_ROOT": b.TempDir(),
		"DEBUG": "0", "SECRET_KEY": "bench", "ALLOWED_HOSTS": "example.com", "CONN_MAX_AGE": "60"}
	if out, err := command(b, e, "migrate"); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	cfg, err := configFromEnv(e.get)
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, path := range []string{"/plaintext", "/json", "/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			req, _ := http.NewRequest("GET", "http://example.com"+path, nil)
			req.RequestURI = path
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				a.handler.ServeHTTP(w, req)
			}
		})
	}
}
