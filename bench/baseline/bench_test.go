package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkBaseline serves the TFB endpoints of the baseline in process,
// on SQLite with CONN_MAX_AGE 60: the reference for example_app's
// BenchmarkApp, which serves the same endpoints through manouche.
func BenchmarkBaseline(b *testing.B) {
	d, err := configFromEnv(func(k string) string {
		switch k {
		case "DATABASE_URL":
			return "sqlite:///" + filepath.ToSlash(filepath.Join(b.TempDir(), "db.sqlite3"))
		case "CONN_MAX_AGE":
			return "60"
		}
		return ""
	})
	if err != nil {
		b.Fatal(err)
	}
	a, err := open(context.Background(), d, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	h := a.router()
	for _, path := range []string{"/plaintext", "/json", "/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			req, _ := http.NewRequest("GET", "http://example.com"+path, nil)
			req.RequestURI = path
			w := &discard{h: http.Header{}}
			h.ServeHTTP(w, req)
			if w.h.Get("Server") != "manouche" {
				b.Fatalf("%s: %v", path, w.h)
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}
