// Command baseline serves the TechEmpower Framework Benchmarks endpoints
// (/plaintext, /json, /db, /queries, /fortunes, /updates, /cached-queries)
// written directly on chi, sqlx and html/template, without manouche: the
// reference the benchmark script (bench/run) divides every manouche figure
// by.
//
//	go run ./bench/baseline [addr]   # default 127.0.0.1:8081
//
// It answers what example_app's TFB endpoints answer — the same SQL, the
// same JSON field names, the same fortunes markup and escaping, the same
// clamping of the queries and count parameters, "Server: manouche" so that
// the responses are the same size — and it is configured from the same
// environment variables with the same meaning:
//
//	DATABASE_URL  sqlite:///path or postgres://… (default sqlite:///.manouche/baseline.sqlite3)
//	CONN_MAX_AGE  0 (the default): a connection per request, closed when
//	              it ends; N seconds: pooled connections living N seconds;
//	              none: pooled connections living for ever
//
// The pool is bounded as manouche bounds it (db.DefaultMaxOpenConns, or
// max_open_conns in the URL), and a SQLite database gets the driver
// parameters manouche's connection manager adds: WAL, a 5 s busy timeout
// and IMMEDIATE transactions. The tables are created and seeded at start
// by example_app/tfb's Migrate, so both servers hold the same data; the db
// package is used for that and for reading DATABASE_URL, never by the
// endpoints.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/tfb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

// defaultAddr is where the baseline listens without an argument.
const defaultAddr = "127.0.0.1:8081"

// defaultDatabaseURL is the database without DATABASE_URL: a file of its
// own beside the example app's.
const defaultDatabaseURL = "sqlite:///.manouche/baseline.sqlite3"

// Server timeouts, the example app's.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 30 * time.Second
)

// run migrates the database and serves on the address in args until ctx
// is cancelled (SIGINT, SIGTERM), then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	addr := defaultAddr
	switch len(args) {
	case 0:
	case 1:
		addr = args[0]
	default:
		return fmt.Errorf("usage: baseline [addr] (default %s); configured by DATABASE_URL and CONN_MAX_AGE", defaultAddr)
	}
	d, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := open(ctx, d, log)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.router(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	age := "0 (a connection per request)"
	switch {
	case d.ConnMaxAge == db.Forever:
		age = "none (pooled)"
	case d.ConnMaxAge > 0:
		age = d.ConnMaxAge.String() + " (pooled)"
	}
	fmt.Fprintf(stdout, "chi baseline: listening on http://%s/ (database: %s; CONN_MAX_AGE %s; max %d connections)\n",
		ln.Addr(), d.Engine, age, d.MaxConns())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return a.Close()
}

// configFromEnv reads DATABASE_URL and CONN_MAX_AGE as the example app
// does.
func configFromEnv(getenv func(string) string) (db.Database, error) {
	raw := getenv("DATABASE_URL")
	if raw == "" {
		raw = defaultDatabaseURL
	}
	d, err := db.ParseURL(raw)
	if err != nil {
		return db.Database{}, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if v := getenv("CONN_MAX_AGE"); v != "" {
		if d.ConnMaxAge, err = db.ParseConnMaxAge(v); err != nil {
			return db.Database{}, fmt.Errorf("CONN_MAX_AGE: %w", err)
		}
	}
	return d, nil
}

// open opens the database pool for d, creates and seeds the TFB tables
// (tfb.Migrate, through a connection manager of its own that is closed
// again), and returns the app. An in-memory SQLite database is held open
// by a keeper connection for the app's life, as manouche's manager holds
// it: without one it would vanish with its last connection.
func open(ctx context.Context, d db.Database, log *slog.Logger) (_ *app, err error) {
	if d.Engine == db.SQLite && !d.InMemory() {
		if err := os.MkdirAll(filepath.Dir(d.DSN), 0o755); err != nil {
			return nil, err
		}
	}
	x, err := openDB(d)
	if err != nil {
		return nil, err
	}
	a := &app{db: x, engine: d.Engine, perRequest: d.ConnMaxAge == 0, slots: make(chan struct{}, d.MaxConns()), log: log}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if d.InMemory() {
		if a.keeper, err = x.Connx(ctx); err != nil {
			return nil, fmt.Errorf("opening the in-memory database: %w", err)
		}
	}
	m, err := db.NewManager(db.Databases{db.DefaultAlias: d}, db.WithLogger(log))
	if err != nil {
		return nil, err
	}
	err = tfb.Migrate(ctx, m, db.DefaultAlias)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if a.tmpl, err = parseFortunes(); err != nil {
		return nil, err
	}
	return a, nil
}

// openDB opens the sqlx pool: the driver DSN of d (with, for SQLite, the
// parameters manouche's manager adds), at most d.MaxConns() connections,
// and either no idle connection (CONN_MAX_AGE 0: a connection released is
// closed) or as many idle ones as open ones, each living ConnMaxAge.
func openDB(d db.Database) (*sqlx.DB, error) {
	dsn, err := d.DriverDSN()
	if err != nil {
		return nil, err
	}
	driver := "postgres"
	if d.Engine == db.SQLite {
		driver = "sqlite3"
		dsn = sqliteDSN(dsn, d.InMemory())
	}
	x, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	max := d.MaxConns()
	if d.InMemory() {
		max++ // the keeper
	}
	x.SetMaxOpenConns(max)
	switch {
	case d.ConnMaxAge == 0:
		x.SetMaxIdleConns(0)
	case d.ConnMaxAge == db.Forever:
		x.SetMaxIdleConns(max)
	default:
		x.SetMaxIdleConns(max)
		x.SetConnMaxLifetime(d.ConnMaxAge)
	}
	return x, nil
}

// sqliteDSN adds to a go-sqlite3 DSN what manouche's connection manager
// adds unless the DSN sets it: _journal_mode=WAL (file databases that are
// not read-only), _busy_timeout=5000 and _txlock=immediate.
func sqliteDSN(dsn string, inMemory bool) string {
	_, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	var add []string
	if !inMemory && !q.Has("_journal_mode") && !q.Has("_journal") && strings.ToLower(q.Get("mode")) != "ro" {
		add = append(add, "_journal_mode=WAL")
	}
	if !q.Has("_busy_timeout") && !q.Has("_timeout") {
		add = append(add, "_busy_timeout=5000")
	}
	if !q.Has("_txlock") {
		add = append(add, "_txlock=immediate")
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}
