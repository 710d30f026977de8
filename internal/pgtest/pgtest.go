package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
)

// Time limits for the blocking steps; nothing in this package waits
// without one.
const (
	initdbTimeout = 2 * time.Minute  // initdb, and useradd
	startTimeout  = 30 * time.Second // postgres accepting connections
	stopTimeout   = 10 * time.Second // immediate shutdown before SIGKILL
	opTimeout     = 30 * time.Second // CREATE/DROP DATABASE, admin queries
)

// errNoBinaries reports that no PostgreSQL server binaries were found; URL
// turns it into a skip (or a failure under CI=true).
var errNoBinaries = errors.New("PostgreSQL server binaries not found")

// errStopped reports a URL call after Run has stopped the server.
var errStopped = errors.New("server already stopped by pgtest.Run")

// shared is the one server of the test binary, started on first use. It is
// the only package-level mutable state.
var shared struct {
	once sync.Once
	srv  *server
	err  error
}

// server is a PostgreSQL server on which URL creates databases.
type server struct {
	admin     *sql.DB                    // maintenance connection (CREATE/DROP DATABASE)
	dsn       func(dbname string) string // connection string for a database
	forceDrop bool                       // server supports DROP DATABASE ... WITH (FORCE)
	cluster   *cluster                   // the cluster pgtest started; nil with DATABASE_URL
}

// URL returns a postgres:// URL, usable with github.com/lib/pq and as a
// DATABASE_URL (db.ParseURL), for a new, empty database created for this test and dropped in t.Cleanup. The
// first call in a test binary starts the server (see the package
// documentation); without PostgreSQL it skips the test, or fails it when
// CI=true.
func URL(t testing.TB) string {
	t.Helper()
	s, err := get()
	if err != nil {
		if skippable(err) {
			t.Skipf("pgtest: skipping: %v (install PostgreSQL or set DATABASE_URL)", err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	name, err := s.createDB(t.Name())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.dropDB(name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s.dsn(name)
}

// BenchURL is URL with the lib/pq options bench/run gives both servers
// (binary_parameters=yes: one round trip per query with arguments), for
// benchmarks that stand for a bench/run figure in process.
func BenchURL(t testing.TB) string {
	t.Helper()
	u := URL(t)
	if strings.Contains(u, "?") {
		return u + "&binary_parameters=yes"
	}
	return u + "?binary_parameters=yes"
}

// Run runs the tests of m, then stops the server pgtest started, if any,
// and removes its files. It returns the exit code for os.Exit, made
// non-zero if the clean-up fails:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
func Run(m *testing.M) (code int) {
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}

// get returns the shared server, starting it on first use.
func get() (*server, error) {
	shared.once.Do(func() {
		shared.srv, shared.err = open()
	})
	return shared.srv, shared.err
}

// stop closes the shared server, if it was started, and makes later URL
// calls fail.
func stop() error {
	shared.once.Do(func() { shared.err = errStopped })
	if shared.srv == nil {
		return nil
	}
	return shared.srv.close()
}

// skippable reports whether err from starting the server makes tests
// skip rather than fail: the binaries are missing and CI is not true (by
// strconv.ParseBool).
func skippable(err error) bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return errors.Is(err, errNoBinaries) && !ci
}

// open connects to DATABASE_URL when it is a postgres URL, and otherwise
// starts a cluster.
func open() (*server, error) {
	if raw := os.Getenv("DATABASE_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
			return openURL(u)
		}
	}
	return startCluster()
}

// openURL uses the server of DATABASE_URL; databases get the URL with its
// path replaced.
func openURL(u *url.URL) (*server, error) {
	s := &server{dsn: func(name string) string {
		v := *u
		v.Path, v.RawPath = "/"+name, ""
		return v.String()
	}}
	if err := s.connect(u.String()); err != nil {
		return nil, fmt.Errorf("DATABASE_URL (%s): %w", u.Redacted(), err)
	}
	return s, nil
}

// connect opens s.admin with dsn, checks the server answers and reads its
// version.
func (s *server) connect(dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var version int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		db.Close()
		return fmt.Errorf("connect: %w", err)
	}
	s.admin, s.forceDrop = db, version >= 130000
	return nil
}

// createDB creates an empty database with a unique name derived from
// testName and returns the name.
func (s *server) createDB(testName string) (string, error) {
	name, err := dbName(testName)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// dropDB drops the database name, closing the sessions still connected to it.
func (s *server) dropDB(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	stmt := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name)
	if s.forceDrop {
		stmt += " WITH (FORCE)"
	} else if _, err := s.admin.ExecContext(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		return fmt.Errorf("drop database %s: close sessions: %w", name, err)
	}
	if _, err := s.admin.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// close closes the admin connection and stops the cluster, if pgtest
// started one.
func (s *server) close() error {
	err := s.admin.Close()
	if err != nil {
		err = fmt.Errorf("close admin connection: %w", err)
	}
	if s.cluster != nil {
		err = errors.Join(err, s.cluster.stop())
	}
	return err
}

// dbName returns "pgtest_<test name>_<random>", lower case, at most 52
// bytes (PostgreSQL keeps 63).
func dbName(testName string) (string, error) {
	var b strings.Builder
	b.WriteString("pgtest_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 7+32 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("database name: %w", err)
	}
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(rnd[:]))
	return b.String(), nil
}
