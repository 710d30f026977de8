package pgtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// seen records, per test, the database exercise used, so that the tests
// can check they got distinct ones.
var seen sync.Map

// exercise connects to a fresh database, creates a table, writes a row,
// reads it back and returns the database's name.
func exercise(t *testing.T) (*sql.DB, string) {
	t.Helper()
	db, err := sql.Open("postgres", URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("new database has %d relations in public, want 0", n)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE items (id int PRIMARY KEY, owner text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO items VALUES (1, $1)", t.Name()); err != nil {
		t.Fatal(err)
	}
	var owner, name string
	if err := db.QueryRowContext(ctx, "SELECT owner, current_database() FROM items WHERE id = 1").Scan(&owner, &name); err != nil {
		t.Fatal(err)
	}
	if owner != t.Name() {
		t.Errorf("read back owner %q, want %q", owner, t.Name())
	}
	seen.Store(t.Name(), name)
	return db, name
}

// checkDistinct fails t if another test recorded the database name.
func checkDistinct(t *testing.T, name string) {
	t.Helper()
	seen.Range(func(k, v any) bool {
		if k != t.Name() && v == name {
			t.Errorf("%s and %s both got database %s", t.Name(), k, name)
		}
		return true
	})
}

func TestFirstDatabase(t *testing.T) {
	_, name := exercise(t)
	checkDistinct(t, name)
}

func TestSecondDatabase(t *testing.T) {
	_, name := exercise(t)
	checkDistinct(t, name)
}

// TestIsolation checks two databases of one test are distinct: a table in
// one is absent from the other.
func TestIsolation(t *testing.T) {
	a, nameA := exercise(t)
	b, err := sql.Open("postgres", URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var nameB string
	var found bool
	if err := b.QueryRow("SELECT current_database(), to_regclass('items') IS NOT NULL").Scan(&nameB, &found); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB || found {
		t.Errorf("second database %s (items present: %v) is not distinct from %s", nameB, found, nameA)
	}
	if err := a.Ping(); err != nil {
		t.Error(err)
	}
}

// TestDropped checks a test's database is gone once its cleanup has run,
// even with a session still open.
func TestDropped(t *testing.T) {
	var name string
	var leaked *sql.DB
	t.Run("sub", func(t *testing.T) {
		leaked, name = exercise(t)
		leaked.SetMaxIdleConns(1)
	})
	db, err := sql.Open("postgres", URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after the test's cleanup", name)
	}
}

// TestServer checks, when pgtest started the cluster, that it is reached
// over the unix socket and runs with its speed settings.
func TestServer(t *testing.T) {
	db, err := sql.Open("postgres", URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv, _ := get()
	if srv.cluster == nil {
		t.Skip("server from DATABASE_URL")
	}
	u, err := url.Parse(srv.dsn("x"))
	if err != nil || u.Scheme != "postgres" || !strings.HasPrefix(u.Query().Get("host"), "/") {
		t.Errorf("URL %q (%v) does not name a socket directory", srv.dsn("x"), err)
	}
	var addr sql.NullString
	if err := db.QueryRow("SELECT inet_server_addr()::text").Scan(&addr); err != nil {
		t.Fatal(err)
	}
	if addr.Valid {
		t.Errorf("connected over TCP to %s, want the unix socket", addr.String)
	}
	for setting, want := range map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
		"listen_addresses": "", "max_connections": "200",
	} {
		var got string
		if err := db.QueryRow("SELECT current_setting($1)", setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
}

func TestDBName(t *testing.T) {
	for _, tc := range []struct{ test, prefix string }{
		{"TestX", "pgtest_testx_"},
		{"TestX/sub case#01", "pgtest_testx_sub_case_01_"},
		{strings.Repeat("A", 100), "pgtest_" + strings.Repeat("a", 32) + "_"},
	} {
		got, err := dbName(tc.test)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, tc.prefix) || len(got) != len(tc.prefix)+12 || len(got) > 63 {
			t.Errorf("dbName(%q) = %q, want %q + 12 hex digits", tc.test, got, tc.prefix)
		}
	}
}
