package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche/internal/pgtest"
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
		a := benchApp(b, env{"DATABASE_URL": "sqlite:///" + b.TempDir() + "/db.sqlite3", "MIDDLEWARE": stack})
		paths := []string{"/plaintext", "/json", "/db", "/fortunes"}
		if stack == "none" {
			paths = paths[:2]
		}
		for _, path := range paths {
			b.Run(stack+path, func(b *testing.B) {
				testkit.BenchServe(b, a.serve, testkit.BenchRequest(context.Background(), "http://example.com"+path), servedByApp)
			})
		}
	}
}

// BenchmarkAppPostgres serves the database endpoints as BenchmarkApp does,
// on PostgreSQL (a throwaway database; bench/run's URL options) and with
// a request context that can be cancelled, as a server's is: lib/pq and
// database/sql then watch it for each query, as they do over loopback.
// Most of a request is the wait for PostgreSQL; -cpuprofile shows what is
// the app's. bench/baseline's BenchmarkBaselinePostgres is the reference.
func BenchmarkAppPostgres(b *testing.B) {
	a := benchApp(b, env{"DATABASE_URL": pgtest.BenchURL(b)})
	for _, path := range []string{"/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			testkit.BenchServe(b, a.serve, testkit.BenchRequest(ctx, "http://example.com"+path), servedByApp)
		})
	}
}

// benchApp returns the app as bench/run runs it, on e's database
// (migrated) and with e's MIDDLEWARE; it is closed when b ends.
func benchApp(b *testing.B, e env) *app {
	b.Helper()
	e["STATIC_ROOT"] = b.TempDir()
	e["DEBUG"], e["METRICS"], e["SECRET_KEY"] = "0", "0", "bench"
	e["ALLOWED_HOSTS"], e["CONN_MAX_AGE"] = "example.com", "60"
	return openApp(b, e, "migrate")
}

// servedByApp checks that a benchmark's request went through the app:
// the Server header it sets around the handler.
func servedByApp(rec *httptest.ResponseRecorder) error {
	if rec.Header().Get("Server") != "manouche" {
		return errors.New("no Server header: the app's wrapper is missing")
	}
	return nil
}
