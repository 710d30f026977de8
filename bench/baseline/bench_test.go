package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manouche/manouche/internal/pgtest"
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

// BenchmarkBaselinePostgres is example_app's BenchmarkAppPostgres on the
// baseline: /db and /fortunes on PostgreSQL (bench/run's URL options),
// CONN_MAX_AGE 60, the request's context cancellable as a server's is.
func BenchmarkBaselinePostgres(b *testing.B) {
	u := pgtest.URL(b)
	if strings.Contains(u, "?") {
		u += "&binary_parameters=yes"
	} else {
		u += "?binary_parameters=yes"
	}
	d, err := configFromEnv(func(k string) string {
		switch k {
		case "DATABASE_URL":
			return u
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
	for _, path := range []string{"/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://example.com"+path, nil)
			req.RequestURI = path
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: status %d: %.200s", path, rec.Code, rec.Body)
			}
			w := testkit.NewDiscard()
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
