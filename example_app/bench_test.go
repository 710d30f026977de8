package main

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/manouche/manouche/internal/testkit"
)

// BenchmarkApp serves the TFB endpoints through the whole example app, as
// bench/run runs it (DEBUG and METRICS off: the default stack with the
// static files layer, no counters, the Server header set around the
// handler), in process: the per-request cost of the app, without the
// network. The "none" set is the app with MIDDLEWARE=none, on the
// endpoints that touch no database.
func BenchmarkApp(b *testing.B) {
	for _, stack := range []string{"default", "none"} {
		e := env{"DATABASE_URL": "sqlite:///" + b.TempDir() + "/db.sqlite3", "STATIC_ROOT": b.TempDir(),
			"DEBUG": "0", "SECRET_KEY": "bench", "ALLOWED_HOSTS": "example.com", "CONN_MAX_AGE": "60",
			"MIDDLEWARE": stack}
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
		paths := []string{"/plaintext", "/json", "/db", "/fortunes"}
		if stack == "none" {
			paths = paths[:2]
		}
		for _, path := range paths {
			b.Run(stack+path, func(b *testing.B) {
				req, _ := http.NewRequest("GET", "http://example.com"+path, nil)
				req.RequestURI = path
				w := testkit.NewDiscard()
				a.serve.ServeHTTP(w, req)
				if w.H.Get("Server") != "manouche" {
					b.Fatalf("%s: no Server header: %v", path, w.H)
				}
				b.ReportAllocs()
				for b.Loop() {
					w.Reset()
					a.serve.ServeHTTP(w, req)
				}
			})
		}
		a.Close()
	}
}
