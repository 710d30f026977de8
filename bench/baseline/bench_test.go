package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/internal/testkit"
)

// BenchmarkBaseline serves the TFB endpoints of the baseline in process,
// on SQLite with CONN_MAX_AGE 60: the reference for example_app's
// BenchmarkApp, which serves the same endpoints through manouche.
func BenchmarkBaseline(b *testing.B) {
	h := benchRouter(b, "sqlite:///"+filepath.ToSlash(filepath.Join(b.TempDir(), "db.sqlite3")))
	for _, path := range []string{"/plaintext", "/json", "/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			testkit.BenchServe(b, h, testkit.BenchRequest(context.Background(), "http://example.com"+path), servedByBaseline)
		})
	}
}

// BenchmarkBaselinePostgres is example_app's BenchmarkAppPostgres on the
// baseline: /db and /fortunes on PostgreSQL (bench/run's URL options),
// CONN_MAX_AGE 60, the request's context cancellable as a server's is.
func BenchmarkBaselinePostgres(b *testing.B) {
	h := benchRouter(b, pgtest.BenchURL(b))
	for _, path := range []string{"/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			testkit.BenchServe(b, h, testkit.BenchRequest(ctx, "http://example.com"+path), servedByBaseline)
		})
	}
}

// benchRouter opens the baseline on dbURL with CONN_MAX_AGE 60, as
// bench/run runs it, and returns its router; the app is closed when b
// ends.
func benchRouter(b *testing.B, dbURL string) http.Handler {
	b.Helper()
	d, err := configFromEnv(func(k string) string {
		switch k {
		case "DATABASE_URL":
			return dbURL
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
	b.Cleanup(func() { a.Close() })
	return a.router()
}

// servedByBaseline checks that a benchmark's request went through the
// baseline's router: the Server header it sets.
func servedByBaseline(rec *httptest.ResponseRecorder) error {
	if rec.Header().Get("Server") != "manouche" {
		return errors.New("no Server header")
	}
	return nil
}
