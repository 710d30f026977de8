package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/manouche/manouche/internal/testkit"
)

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
			w := testkit.NewDiscard()
			h.ServeHTTP(w, req)
			if w.H.Get("Server") != "manouche" {
				b.Fatalf("%s: %v", path, w.H)
			}
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
