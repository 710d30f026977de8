package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

// BenchmarkAppPostgres serves the database endpoints as BenchmarkApp does,
// on PostgreSQL (a throwaway database; bench/run's URL options) and with
// a request context that can be cancelled, as a server's is: lib/pq and
// database/sql then watch it for each query, as they do over loopback.
// Most of a request is the wait for PostgreSQL; -cpuprofile shows what is
// the app's. bench/baseline's BenchmarkBaselinePostgres is the reference.
func BenchmarkAppPostgres(b *testing.B) {
	e := env{"DATABASE_URL": withBinaryParameters(pgtest.URL(b)), "STATIC_ROOT": b.TempDir(),
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
	for _, path := range []string{"/db", "/fortunes"} {
		b.Run(path[1:], func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://example.com"+path, nil)
			req.RequestURI = path
			rec := httptest.NewRecorder()
			a.serve.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: status %d: %.200s", path, rec.Code, rec.Body)
			}
			w := testkit.NewDiscard()
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				a.serve.ServeHTTP(w, req)
			}
		})
	}
}

// withBinaryParameters adds lib/pq's binary_parameters=yes to a
// PostgreSQL URL, as bench/run does.
func withBinaryParameters(u string) string {
	if strings.Contains(u, "?") {
		return u + "&binary_parameters=yes"
	}
	return u + "?binary_parameters=yes"
}
