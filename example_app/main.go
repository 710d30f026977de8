// Command example_app is manouche's example application, with a command
// line in the manner of Django's manage.py: the polls app of Django's
// tutorial and the TechEmpower benchmark endpoints, on SQLite (the
// default, created on first run) or PostgreSQL.
//
//	go run ./example_app                    # runserver on 127.0.0.1:8000
//	go run ./example_app runserver [addr]   # migrate, collect static files, serve
//	go run ./example_app migrate            # create and seed the tables
//	go run ./example_app check              # settings, URLconf, templates, middleware
//	go run ./example_app showurls           # every route, its name and namespace
//	go run ./example_app collectstatic      # hashed copies into STATIC_ROOT
//	go run ./example_app clearsessions      # delete expired sessions
//
// Configuration comes from the environment: DATABASE_URL (sqlite:///path
// or postgres://…; default sqlite:///.manouche/db.sqlite3), CONN_MAX_AGE
// (seconds, or none), CONN_HEALTH_CHECKS, DEBUG (default on),
// ALLOWED_HOSTS (comma-separated), SECRET_KEY (required with DEBUG off),
// STATIC_ROOT (default .manouche/static) and METRICS (counters at
// /debug/vars; always on with DEBUG; off, nothing is counted).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
	"github.com/manouche/manouche/example_app/tfb"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/sessiondb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "example_app:", err)
		os.Exit(1)
	}
}

const usage = `usage: example_app [command]

commands:
  runserver [addr]  migrate, collect static files and serve (default 127.0.0.1:8000)
  migrate           create the tables and seed them (idempotent)
  check             check settings, URLconf, templates and middleware
  showurls          list every route with its name and namespace
  collectstatic     copy the static files, hashed, into STATIC_ROOT
  clearsessions     delete the expired sessions`

// run runs one command; ctx is cancelled by SIGINT or SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "runserver"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	maxArgs := map[string]int{"runserver": 1, "migrate": 0, "check": 0, "showurls": 0, "collectstatic": 0, "clearsessions": 0}
	n, known := maxArgs[cmd]
	switch {
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	case !known:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	case len(args) > n:
		return fmt.Errorf("%s: unexpected arguments %q\n%s", cmd, args, usage)
	}
	switch cmd {
	case "runserver":
		addr := "127.0.0.1:8000"
		if len(args) == 1 {
			addr = args[0]
		}
		return runserver(ctx, cfg, log, addr, stdout)
	case "migrate":
		return migrate(ctx, cfg, log, stdout)
	case "check":
		return check(cfg, log, stdout)
	case "showurls":
		return showurls(cfg, log, stdout)
	case "collectstatic":
		return collectstatic(ctx, cfg, stdout)
	default: // clearsessions
		return clearsessions(ctx, cfg, log, stdout)
	}
}

// migrate creates the data directory of a SQLite file database, then the
// tables of every app, and seeds them. It is idempotent.
func migrate(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	if cfg.Database.Engine == db.SQLite && !strings.HasPrefix(cfg.Database.DSN, "file:") {
		if err := os.MkdirAll(filepath.Dir(cfg.Database.DSN), 0o755); err != nil {
			return err
		}
	}
	m, err := openDB(cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	steps := []struct {
		name string
		run  func(context.Context, *db.Manager, string) error
	}{
		{"polls (questions and choices)", polls.Migrate},
		{"polls (demo questions)", polls.Seed},
		{"tfb (World and Fortune)", tfb.Migrate},
		{"sessions", sessiondb.Migrate},
	}
	for _, s := range steps {
		if err := s.run(ctx, m, alias); err != nil {
			return fmt.Errorf("migrate %s: %w", s.name, err)
		}
		fmt.Fprintf(out, "  Applying %s... OK\n", s.name)
	}
	return nil
}

// check builds the whole application without serving it: settings,
// database settings, URLconf, middleware (each configured with the
// settings) and every template parsed; it says what is wrong.
func check(cfg config, log *slog.Logger, out io.Writer) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer a.Close()
	if err := a.engine.Check(); err != nil {
		return fmt.Errorf("check: templates: %w", err)
	}
	var warnings []string
	if cfg.DevKey {
		warnings = append(warnings, "SECRET_KEY is not set: a public development key signs sessions (DEBUG only).")
	}
	if !cfg.Settings.Debug && len(cfg.Settings.AllowedHosts) == 0 {
		warnings = append(warnings, "ALLOWED_HOSTS is empty with DEBUG off: every request will get 400.")
	}
	if cfg.Bare {
		warnings = append(warnings, "MIDDLEWARE=none: no sessions, CSRF, messages or static files; only the TFB endpoints work (a benchmark setting).")
	}
	for _, w := range warnings {
		fmt.Fprintln(out, "WARNING:", w)
	}
	fmt.Fprintf(out, "System check identified no issues (%d warnings).\n", len(warnings))
	return nil
}

// showurls lists the URLconf's routes.
func showurls(cfg config, log *slog.Logger, out io.Writer) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tNAME\tNAMESPACE\tVIEW")
	for _, r := range a.conf.Routes() {
		fmt.Fprintf(tw, "/%s\t%s\t%s\t%s\n", r.Route, r.Name, r.Namespace, r.View)
	}
	return tw.Flush()
}

// collectstatic is Django's collectstatic with the manifest storage.
func collectstatic(ctx context.Context, cfg config, out io.Writer) error {
	res, err := middleware.CollectStatic(ctx, middleware.CollectConfig{Settings: cfg.Settings, Sources: staticSources()})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, res)
	return nil
}

// clearsessions is Django's clearsessions.
func clearsessions(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	m, err := openDB(cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := middleware.ClearExpiredSessions(ctx, sessiondb.New(m, alias)); err != nil {
		return err
	}
	fmt.Fprintln(out, "Expired sessions deleted.")
	return nil
}

// Server timeouts: a slow client cannot hold a connection open before
// its request is read, nor idle for ever between requests. There is no
// write timeout: streams may be long.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 30 * time.Second
)

// runserver migrates, collects the static files, and serves on addr
// until ctx is cancelled (SIGINT, SIGTERM). Then it stops accepting, lets
// the requests in flight — streams included — finish, each closed and
// finished once, and closes every database connection.
func runserver(ctx context.Context, cfg config, log *slog.Logger, addr string, out io.Writer) error {
	if err := migrate(ctx, cfg, log, io.Discard); err != nil {
		return err
	}
	if _, err := middleware.CollectStatic(ctx, middleware.CollectConfig{Settings: cfg.Settings, Sources: staticSources()}); err != nil {
		return fmt.Errorf("collecting static files: %w", err)
	}
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.serve,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.DevKey {
		fmt.Fprintln(out, "WARNING: SECRET_KEY is not set; using a public development key (DEBUG only).")
	}
	fmt.Fprintf(out, "manouche example_app: listening on http://%s/ (database: %s; Ctrl-C to stop)\n", ln.Addr(), cfg.Database.Engine)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down: letting the requests in flight finish")
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	s := a.db.Stats(alias)
	if a.metrics == nil {
		fmt.Fprintf(out, "stopped: connections opened %d, closed %d\n", s.Opened, s.Closed)
		return nil
	}
	fmt.Fprintf(out, "stopped: requests started %d, finished %d; connections opened %d, closed %d\n",
		a.metrics.count("requests_started"), a.metrics.count("requests_finished"), s.Opened, s.Closed)
	return nil
}
