package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/signals"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// fakeClock is a settable clock for ConnMaxAge.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// logBuf is a concurrency-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// env is a Manager under test, installed on its own lifecycle signals.
type env struct {
	t     *testing.T
	m     *Manager
	sig   *signals.Lifecycle
	clock *fakeClock
	log   *logBuf
	eng   string
	dsn   string // PostgreSQL: for the witness connection
}

var engines = []string{"sqlite", "memory", "postgres"}

func database(t *testing.T, engine string) Database {
	t.Helper()
	switch engine {
	case "sqlite":
		return Database{Engine: SQLite, DSN: filepath.Join(t.TempDir(), "app.db")}
	case "memory":
		name := strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(t.Name())
		return Database{Engine: SQLite, DSN: "file:" + name + "?mode=memory&cache=shared"}
	case "postgres":
		return Database{Engine: Postgres, DSN: pgtest.URL(t)}
	}
	t.Fatalf("unknown engine %q", engine)
	return Database{}
}

func newEnv(t *testing.T, d Database, opts ...ManagerOption) *env {
	t.Helper()
	e := &env{t: t, clock: &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, log: &logBuf{}, eng: d.Engine, dsn: d.DSN}
	m, err := NewManager(Databases{DefaultAlias: d},
		append([]ManagerOption{WithLogger(slog.New(slog.NewTextHandler(e.log, nil))), WithClock(e.clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.sig = signals.NewLifecycle(slog.New(slog.NewTextHandler(e.log, nil)))
	uninstall := m.Install(e.sig)
	t.Cleanup(func() {
		uninstall()
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// request runs f as one request: request_started, f, request_finished.
func (e *env) request(f func(ctx context.Context)) {
	e.t.Helper()
	ctx, _ := manouche.NewScope(context.Background())
	if err := e.sig.RequestStarted.Send(ctx, nil, signals.RequestStarted{}); err != nil {
		e.t.Fatal(err)
	}
	f(ctx)
	if err := e.sig.RequestFinished.SendRobust(context.WithoutCancel(ctx), nil, signals.RequestFinished{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) conn(ctx context.Context) *Conn {
	e.t.Helper()
	c, err := e.m.Conn(ctx, DefaultAlias)
	if err != nil {
		e.t.Fatalf("Conn: %v", err)
	}
	return c
}

// ident returns a per-connection witness: pg_backend_pid on PostgreSQL;
// on SQLite the Conn's physical connection pointer.
func (e *env) ident(ctx context.Context, c *Conn) string {
	e.t.Helper()
	if e.eng == Postgres {
		var pid int
		if err := c.GetContext(ctx, &pid, "SELECT pg_backend_pid()"); err != nil {
			e.t.Fatalf("pg_backend_pid: %v", err)
		}
		return fmt.Sprint(pid)
	}
	if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
		e.t.Fatalf("SELECT 1: %v", err)
	}
	return fmt.Sprintf("%p", c.pc.conn)
}

// witness opens a plain connection to the PostgreSQL test database.
func (e *env) witness() *sql.DB {
	e.t.Helper()
	w, err := sql.Open("postgres", e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	e.t.Cleanup(func() { w.Close() })
	return w
}

// sessions counts the other sessions on the test database.
func sessions(t *testing.T, w *sql.DB) int {
	t.Helper()
	var n int
	if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantStats(t *testing.T, m *Manager, want Stats) {
	t.Helper()
	if got := m.Stats(DefaultAlias); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// SEMANTICS 74, 90: a scope that never asks for a connection opens none.
func TestLazy_74(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := newEnv(t, database(t, eng))
			var w *sql.DB
			before := 0
			if eng == "postgres" {
				w = e.witness()
				before = sessions(t, w)
			}
			for range 3 {
				e.request(func(ctx context.Context) {})
			}
			wantStats(t, e.m, Stats{})
			if w != nil {
				if got := sessions(t, w); got != before {
					t.Errorf("pg sessions = %d, want %d (unchanged)", got, before)
				}
			}
		})
	}
}

// SEMANTICS 74: every later Conn of a scope is the same connection.
func TestSameConnectionWithinScope_74(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := newEnv(t, database(t, eng))
			e.request(func(ctx context.Context) {
				c1, c2 := e.conn(ctx), e.conn(ctx)
				if c1 != c2 {
					t.Errorf("Conn returned %p then %p", c1, c2)
				}
				if a, b := e.ident(ctx, c1), e.ident(ctx, c2); a != b {
					t.Errorf("backend %s then %s", a, b)
				}
				wantStats(t, e.m, Stats{Opened: 1, InUse: 1})
			})
		})
	}
}

// SEMANTICS 76, 78: CONN_MAX_AGE 0 closes at the end of each request; N
// keeps until N old (lazily); Forever keeps.
func TestConnMaxAge_78(t *testing.T) {
	cases := []struct {
		name    string
		age     time.Duration
		advance time.Duration // before the third request
		// Stats after requests 1, 2, 3
		after [3]Stats
		// whether requests 2 and 3 got request 1's connection
		same2, same3 bool
	}{
		{"zero", 0, 0, [3]Stats{{Opened: 1, Closed: 1}, {Opened: 2, Closed: 2}, {Opened: 3, Closed: 3}}, false, false},
		{"60s", 60 * time.Second, 61 * time.Second, [3]Stats{{Opened: 1, Kept: 1}, {Opened: 1, Reused: 1, Kept: 1}, {Opened: 2, Reused: 1, Closed: 1, Kept: 1}}, true, false},
		{"forever", Forever, 1000 * time.Hour, [3]Stats{{Opened: 1, Kept: 1}, {Opened: 1, Reused: 1, Kept: 1}, {Opened: 1, Reused: 2, Kept: 1}}, true, true},
	}
	for _, eng := range []string{"sqlite", "postgres"} {
		for _, tc := range cases {
			t.Run(eng+"/"+tc.name, func(t *testing.T) {
				d := database(t, eng)
				d.ConnMaxAge = tc.age
				e := newEnv(t, d)
				var ids [3]string
				for i := range 3 {
					if i == 2 {
						e.clock.Advance(tc.advance)
					}
					e.request(func(ctx context.Context) { ids[i] = e.ident(ctx, e.conn(ctx)) })
					wantStats(t, e.m, tc.after[i])
				}
				if eng == "postgres" {
					if got := ids[1] == ids[0]; got != tc.same2 {
						t.Errorf("request 2 same backend = %v, want %v (%v)", got, tc.same2, ids)
					}
					if got := ids[2] == ids[0]; got != tc.same3 {
						t.Errorf("request 3 same backend = %v, want %v (%v)", got, tc.same3, ids)
					}
				}
			})
		}
	}
}

// SEMANTICS 78: a 60s connection is closed at the end of the request that
// finds it that old, not only at the next start.
func TestConnMaxAgeAtEnd_78(t *testing.T) {
	d := database(t, "sqlite")
	d.ConnMaxAge = time.Minute
	e := newEnv(t, d)
	e.request(func(ctx context.Context) {
		e.conn(ctx)
		e.clock.Advance(2 * time.Minute)
	})
	wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
}

// SEMANTICS 78: request_started closes each kept connection once it is
// ConnMaxAge old, and only then, whatever the order the connections were
// kept in: the sweep's "nothing due yet" shortcut must never be late.
func TestSweepClosesEachWhenDue_78(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			d := database(t, eng)
			d.ConnMaxAge = time.Minute
			e := newEnv(t, d)
			ctx := context.Background()
			// x opened at 0 s, y at 30 s; y is kept first, x second (the
			// older one kept last), then both sit in the pool.
			xctx, xdone := e.m.Background(ctx)
			e.conn(xctx)
			e.clock.Advance(30 * time.Second)
			yctx, ydone := e.m.Background(ctx)
			e.conn(yctx)
			for _, done := range []func() error{ydone, xdone} {
				if err := done(); err != nil {
					t.Fatal(err)
				}
			}
			wantStats(t, e.m, Stats{Opened: 2, Kept: 2})
			for _, step := range []struct {
				advance time.Duration // then a request that uses no connection
				want    Stats
			}{
				{29 * time.Second, Stats{Opened: 2, Kept: 2}},            // 59 s: none is a minute old
				{2 * time.Second, Stats{Opened: 2, Closed: 1, Kept: 1}},  // 61 s: x is
				{28 * time.Second, Stats{Opened: 2, Closed: 1, Kept: 1}}, // 89 s: y is not
				{2 * time.Second, Stats{Opened: 2, Closed: 2}},           // 91 s: y is
				{time.Hour, Stats{Opened: 2, Closed: 2}},
			} {
				e.clock.Advance(step.advance)
				e.request(func(context.Context) {})
				wantStats(t, e.m, step.want)
			}
			// A connection kept after the pool was swept empty is swept
			// in its turn.
			e.request(func(ctx context.Context) { e.conn(ctx) })
			wantStats(t, e.m, Stats{Opened: 3, Closed: 2, Kept: 1})
			e.clock.Advance(time.Minute)
			e.request(func(context.Context) {})
			wantStats(t, e.m, Stats{Opened: 3, Closed: 3})
		})
	}
}

// SEMANTICS 74: connection_created is sent once per physical connection,
// before its first use; a receiver error fails the opening.
func TestConnectionCreated_74(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			for _, age := range []time.Duration{0, Forever} {
				d := database(t, eng)
				d.ConnMaxAge = age
				e := newEnv(t, d)
				n := 0
				e.m.ConnectionCreated().Connect(func(ctx context.Context, _ any, ev ConnectionCreated) error {
					n++
					if ev.Alias != DefaultAlias || ev.Engine != d.Engine || ev.Conn == nil {
						t.Errorf("event %+v", ev)
					}
					_, err := ev.Conn.ExecContext(ctx, "CREATE TEMP TABLE created_marker (x int)")
					return err
				})
				for range 3 {
					e.request(func(ctx context.Context) {
						c := e.conn(ctx)
						e.conn(ctx)
						// The receiver ran on this very connection.
						if _, err := c.ExecContext(ctx, "SELECT * FROM created_marker"); err != nil {
							t.Errorf("temp table of connection_created: %v", err)
						}
					})
				}
				want := 3
				if age == Forever {
					want = 1
				}
				if n != want {
					t.Errorf("ConnMaxAge %v: connection_created sent %d times, want %d", age, n, want)
				}
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		e := newEnv(t, database(t, "sqlite"))
		boom := errors.New("boom")
		e.m.ConnectionCreated().Connect(func(context.Context, any, ConnectionCreated) error { return boom })
		e.request(func(ctx context.Context) {
			if _, err := e.m.Conn(ctx, DefaultAlias); !errors.Is(err, boom) {
				t.Errorf("Conn error = %v, want boom", err)
			}
		})
		wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
	})
}

// SEMANTICS 75 (DESIGN promise 2): a connection is usable only with its
// own scope's context, and not after the scope ends.
func TestAffinity_75(t *testing.T) {
	e := newEnv(t, database(t, "sqlite"))
	ctxA, _ := manouche.NewScope(context.Background())
	ctxB, _ := manouche.NewScope(context.Background())
	c := e.conn(ctxA)
	if _, err := c.ExecContext(ctxB, "SELECT 1"); !errors.Is(err, ErrWrongScope) {
		t.Errorf("another scope: %v, want ErrWrongScope", err)
	}
	if err := c.QueryRowxContext(ctxB, "SELECT 1").Scan(new(int)); !errors.Is(err, ErrWrongScope) {
		t.Errorf("QueryRowx, another scope: %v, want ErrWrongScope", err)
	}
	if _, err := c.QueryxContext(context.Background(), "SELECT 1"); !errors.Is(err, ErrNoScope) {
		t.Errorf("no scope: %v, want ErrNoScope", err)
	}
	if _, err := e.m.Conn(context.Background(), DefaultAlias); !errors.Is(err, ErrNoScope) || !strings.Contains(err.Error(), "Background") {
		t.Errorf("Conn without scope: %v, want ErrNoScope naming Background", err)
	}
	if _, err := e.m.Conn(ctxA, "other"); !errors.Is(err, ErrNoAlias) {
		t.Errorf("unknown alias: %v", err)
	}
	var one int
	if err := c.GetContext(ctxA, &one, "SELECT 1"); err != nil || one != 1 {
		t.Fatalf("own scope: %v, %d", err, one)
	}
	if c.broken.Load() {
		t.Error("scope errors marked the connection broken")
	}
	if err := e.m.finish(ctxA, manouche.ScopeFrom(ctxA)); err != nil {
		t.Fatal(err)
	}
	if err := c.SelectContext(ctxA, &[]int{}, "SELECT 1"); !errors.Is(err, ErrScopeFinished) {
		t.Errorf("after finish: %v, want ErrScopeFinished", err)
	}
	if _, err := e.m.Conn(ctxA, DefaultAlias); !errors.Is(err, ErrScopeFinished) {
		t.Errorf("Conn after finish: %v, want ErrScopeFinished", err)
	}
	// A scope finished before it ever asked for a connection cannot open
	// one afterwards (it would leak).
	if err := e.m.finish(ctxB, manouche.ScopeFrom(ctxB)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Conn(ctxB, DefaultAlias); !errors.Is(err, ErrScopeFinished) {
		t.Errorf("Conn after finish of an unused scope: %v", err)
	}
}

// SEMANTICS 87: a raw BEGIN left open is caught by the server's own
// transaction status: the connection is closed, with a warning.
func TestRawBeginClosed_87(t *testing.T) {
	for _, eng := range []string{"sqlite", "memory", "postgres", "postgres-probe"} {
		t.Run(eng, func(t *testing.T) {
			d := database(t, strings.TrimSuffix(eng, "-probe"))
			d.ConnMaxAge = Forever
			e := newEnv(t, d)
			e.m.probeTxn = strings.HasSuffix(eng, "-probe")
			var w *sql.DB
			if d.Engine == Postgres {
				w = e.witness()
			}
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
					t.Fatal(err)
				}
				if _, err := c.ExecContext(ctx, "CREATE TABLE t_in_tx (x int)"); err != nil {
					t.Fatal(err)
				}
			})
			wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
			if !strings.Contains(e.log.String(), "level=WARN") || !strings.Contains(e.log.String(), "inside a transaction") {
				t.Errorf("no warning logged: %s", e.log.String())
			}
			// A clean request keeps its connection.
			e.request(func(ctx context.Context) {
				if _, err := e.conn(ctx).ExecContext(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
			})
			wantStats(t, e.m, Stats{Opened: 2, Closed: 1, Kept: 1})
			if w != nil {
				var n int
				if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%d sessions idle in transaction", n)
				}
				var exists bool
				if err := w.QueryRow("SELECT to_regclass('t_in_tx') IS NOT NULL").Scan(&exists); err != nil {
					t.Fatal(err)
				}
				if exists {
					t.Error("the open transaction was committed, not rolled back")
				}
			}
		})
	}
	t.Run("failed transaction", func(t *testing.T) {
		d := database(t, "postgres")
		d.ConnMaxAge = Forever
		e := newEnv(t, d)
		e.request(func(ctx context.Context) {
			c := e.conn(ctx)
			if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ExecContext(ctx, "SELECT 1/0"); err == nil {
				t.Fatal("no error for 1/0")
			}
			if c.broken.Load() {
				t.Error("a data error (class 22) marked the connection broken")
			}
		})
		wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
	})
}

// SEMANTICS 79: a data or integrity error does not mark the connection
// broken; another database error does, and a broken connection that still
// answers is kept.
func TestErrorFlag_79(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			d := database(t, eng)
			d.ConnMaxAge = Forever
			e := newEnv(t, d)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				if _, err := c.ExecContext(ctx, "CREATE TABLE u (x int PRIMARY KEY)"); err != nil {
					t.Fatal(err)
				}
				for range 2 {
					_, err := c.ExecContext(ctx, "INSERT INTO u VALUES (1)")
					_ = err
				}
				var x int
				if err := c.GetContext(ctx, &x, "SELECT x FROM u WHERE x = 2"); !errors.Is(err, sql.ErrNoRows) {
					t.Errorf("GetContext: %v", err)
				}
				if c.broken.Load() {
					t.Fatal("an integrity error or no rows marked the connection broken")
				}
				if _, err := c.ExecContext(ctx, "SELECT * FROM no_such_table"); err == nil {
					t.Fatal("no error")
				}
				if !c.broken.Load() {
					t.Error("a programming error did not mark the connection broken")
				}
			})
			wantStats(t, e.m, Stats{Opened: 1, Kept: 1})
		})
	}
}

// SEMANTICS 79, 80: a connection killed by the server is dropped at the
// end of the request that saw it fail; with ConnHealthChecks the next
// request gets a fresh one without an error.
func TestBrokenConnection_79_80(t *testing.T) {
	kill := func(t *testing.T, w *sql.DB, pid string) {
		t.Helper()
		var ok bool
		if err := w.QueryRow("SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend: %v %v", ok, err)
		}
		// Wait until the backend is gone.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			var n int
			if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("backend still alive")
	}
	t.Run("killed during the request", func(t *testing.T) {
		d := database(t, "postgres")
		d.ConnMaxAge = Forever
		e := newEnv(t, d)
		w := e.witness()
		e.request(func(ctx context.Context) {
			c := e.conn(ctx)
			kill(t, w, e.ident(ctx, c))
			if _, err := c.ExecContext(ctx, "SELECT 1"); err == nil {
				t.Fatal("query on a killed connection succeeded")
			}
		})
		wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
		e.request(func(ctx context.Context) { e.ident(ctx, e.conn(ctx)) })
		wantStats(t, e.m, Stats{Opened: 2, Closed: 1, Kept: 1})
	})
	for _, checks := range []bool{false, true} {
		t.Run(fmt.Sprintf("killed between requests, health checks %v", checks), func(t *testing.T) {
			d := database(t, "postgres")
			d.ConnMaxAge = Forever
			d.ConnHealthChecks = checks
			e := newEnv(t, d)
			w := e.witness()
			var pid string
			e.request(func(ctx context.Context) { pid = e.ident(ctx, e.conn(ctx)) })
			kill(t, w, pid)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				var got int
				err := c.GetContext(ctx, &got, "SELECT pg_backend_pid()")
				if checks {
					if err != nil {
						t.Errorf("with health checks the caller saw %v", err)
					} else if fmt.Sprint(got) == pid {
						t.Error("got the killed backend")
					}
				} else if err == nil {
					t.Error("without health checks the dead connection answered")
				}
			})
			if checks {
				wantStats(t, e.m, Stats{Opened: 2, Closed: 1, Kept: 1})
			} else {
				// It spoilt one request and was dropped; the next is fine.
				wantStats(t, e.m, Stats{Opened: 1, Reused: 1, Closed: 1})
				e.request(func(ctx context.Context) { e.ident(ctx, e.conn(ctx)) })
				wantStats(t, e.m, Stats{Opened: 2, Reused: 1, Closed: 1, Kept: 1})
			}
		})
	}
}

// DESIGN promise 2, SEMANTICS 49: a late or second request_finished does
// nothing, and one scope's end never touches another's connections.
func TestLateAndDoubleFinish(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			e := newEnv(t, database(t, eng))
			ctxA, _ := manouche.NewScope(context.Background())
			ctxB, _ := manouche.NewScope(context.Background())
			a := e.conn(ctxA)
			e.conn(ctxB)
			finish := func(ctx context.Context) {
				if err := e.sig.RequestFinished.SendRobust(ctx, nil, signals.RequestFinished{}); err != nil {
					t.Fatal(err)
				}
			}
			finish(ctxB)
			wantStats(t, e.m, Stats{Opened: 2, Closed: 1, InUse: 1})
			finish(ctxB)
			finish(context.Background()) // a stray one, with no scope
			wantStats(t, e.m, Stats{Opened: 2, Closed: 1, InUse: 1})
			if _, err := a.ExecContext(ctxA, "SELECT 1"); err != nil {
				t.Errorf("A's connection after B's finish: %v", err)
			}
			finish(ctxA)
			finish(ctxA)
			wantStats(t, e.m, Stats{Opened: 2, Closed: 2})
		})
	}
}

// Database.InMemory: the keeper keeps the data across scopes even with
// ConnMaxAge 0.
func TestInMemoryKeepsData(t *testing.T) {
	e := newEnv(t, database(t, "memory"))
	e.request(func(ctx context.Context) {
		c := e.conn(ctx)
		if _, err := c.ExecContext(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"); err != nil {
			t.Fatal(err)
		}
	})
	wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
	e.request(func(ctx context.Context) {
		var x int
		if err := e.conn(ctx).GetContext(ctx, &x, "SELECT x FROM kept"); err != nil || x != 42 {
			t.Errorf("data lost between scopes: %v %d", err, x)
		}
	})
	wantStats(t, e.m, Stats{Opened: 2, Closed: 2})
}

// SQLite file databases get WAL, a busy timeout and foreign keys.
func TestSQLiteFileDefaults(t *testing.T) {
	e := newEnv(t, database(t, "sqlite"))
	e.request(func(ctx context.Context) {
		c := e.conn(ctx)
		var mode string
		var timeout, fk int
		if err := c.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v", mode, err)
		}
		if err := c.GetContext(ctx, &timeout, "PRAGMA busy_timeout"); err != nil || timeout != 5000 {
			t.Errorf("busy_timeout = %d, %v", timeout, err)
		}
		if err := c.GetContext(ctx, &fk, "PRAGMA foreign_keys"); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v", fk, err)
		}
	})
	d := Database{Engine: SQLite, DSN: "app.db", Options: map[string]string{"journal_mode": "delete", "busy_timeout": "100"}}
	dsn, err := managerDSN(d)
	if err != nil || strings.Contains(dsn, "WAL") || strings.Contains(dsn, "5000") {
		t.Errorf("managerDSN overrode the options: %q %v", dsn, err)
	}
}

// Opening SQLite connections: the first opens of a new file are
// serialised (the switch to WAL needs the file to itself: concurrent
// first opens failed with "database is locked"), and once one has opened
// the others open side by side, as CONN_MAX_AGE 0 opens one per request.
func TestSQLiteConcurrentOpens(t *testing.T) {
	for round := range 3 {
		e := newEnv(t, database(t, "sqlite"))
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					ctx, finish := e.m.Background(context.Background())
					c, err := e.m.Conn(ctx, DefaultAlias)
					if err == nil {
						_, err = c.ExecContext(ctx, "SELECT 1")
					}
					if ferr := finish(); err == nil {
						err = ferr
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		if s := e.m.Stats(DefaultAlias); s.Opened != 200 || s.Closed != 200 {
			t.Errorf("round %d: opened %d, closed %d; want a connection per scope", round, s.Opened, s.Closed)
		}
	}
}

// SEMANTICS 89: Background is an explicit scope with the request rules.
func TestBackground_89(t *testing.T) {
	for _, age := range []time.Duration{0, Forever} {
		d := database(t, "sqlite")
		d.ConnMaxAge = age
		e := newEnv(t, d)
		parent, cancel := context.WithCancel(context.Background())
		ctx, done := e.m.Background(parent)
		c := e.conn(ctx)
		if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		if e.conn(ctx) != c {
			t.Error("another Conn in the same Background scope")
		}
		cancel() // a cancelled job still cleans up
		if err := done(); err != nil {
			t.Fatal(err)
		}
		if err := done(); err != nil {
			t.Fatal(err)
		}
		want := Stats{Opened: 1, Closed: 1}
		if age == Forever {
			want = Stats{Opened: 1, Kept: 1}
		}
		wantStats(t, e.m, want)
		if _, err := c.ExecContext(ctx, "SELECT 1"); !errors.Is(err, ErrScopeFinished) {
			t.Errorf("after done: %v", err)
		}
	}
}

// Do uses the scope's own connection when ctx has one, and otherwise a
// Background scope that is finished (its connection closed at ConnMaxAge
// 0) when f returns, f's error and all.
func TestDo(t *testing.T) {
	e := newEnv(t, database(t, "sqlite"))
	boom := errors.New("boom")
	var seen *Conn
	err := e.m.Do(context.Background(), DefaultAlias, func(ctx context.Context, c *Conn) error {
		seen = c
		if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
			return err
		}
		if e.conn(ctx) != c {
			t.Error("f's context does not reach the same connection")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Do = %v, want f's error", err)
	}
	wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
	if _, err := seen.ExecContext(context.Background(), "SELECT 1"); err == nil {
		t.Error("the connection of a finished Do scope still works")
	}

	ctx, done := e.m.Background(context.Background())
	own := e.conn(ctx)
	if err := e.m.Do(ctx, DefaultAlias, func(_ context.Context, c *Conn) error {
		if c != own {
			t.Error("Do inside a scope took another connection")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantStats(t, e.m, Stats{Opened: 2, Closed: 1, InUse: 1})
	if err := done(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Do(context.Background(), "nope", func(context.Context, *Conn) error { return nil }); !errors.Is(err, ErrNoAlias) {
		t.Errorf("unknown alias: %v", err)
	}
}

// Close shuts everything; later Conn calls fail; a scope still holding a
// connection closes it when it ends.
func TestClose(t *testing.T) {
	d := database(t, "memory")
	d.ConnMaxAge = Forever
	m, err := NewManager(Databases{DefaultAlias: d}, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ctx1, done1 := m.Background(context.Background())
	if _, err := m.Conn(ctx1, DefaultAlias); err != nil {
		t.Fatal(err)
	}
	ctx2, done2 := m.Background(context.Background())
	if _, err := m.Conn(ctx2, DefaultAlias); err != nil {
		t.Fatal(err)
	}
	if err := done1(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := done2(); err != nil {
		t.Fatal(err)
	}
	if got := m.Stats(DefaultAlias); got.Kept != 0 || got.InUse != 0 || got.Closed != 2 {
		t.Errorf("after Close: %+v", got)
	}
	ctx3, _ := m.Background(context.Background())
	if _, err := m.Conn(ctx3, DefaultAlias); !errors.Is(err, ErrManagerClosed) {
		t.Errorf("Conn after Close: %v", err)
	}
}

// Many scopes at once stay within MaxOpenConns and each gets its own
// connection (run with -race).
func TestConcurrentScopes(t *testing.T) {
	d := database(t, "sqlite")
	d.ConnMaxAge = Forever
	d.MaxOpenConns = 4
	e := newEnv(t, d)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, done := e.m.Background(context.Background())
			defer done()
			c, err := e.m.Conn(ctx, DefaultAlias)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := e.m.Stats(DefaultAlias)
	if s.Opened > 4 || s.InUse != 0 || int64(s.Kept) != s.Opened-s.Closed {
		t.Errorf("Stats = %+v", s)
	}
}

// A scope waiting for a connection gets the one another scope keeps when
// it finishes: kept connections stay checked out of database/sql, so the
// Manager's own slots, not database/sql's queue, must hand them over (this
// deadlocked once).
func TestWaitingScopeGetsKeptConnection(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			d := database(t, engine)
			d.ConnMaxAge = Forever
			d.MaxOpenConns = 1
			e := newEnv(t, d)
			first, finishFirst := e.m.Background(context.Background())
			if _, err := e.m.Conn(first, DefaultAlias); err != nil {
				t.Fatal(err)
			}
			got := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				ctx, done := e.m.Background(ctx)
				defer done()
				c, err := e.m.Conn(ctx, DefaultAlias)
				if err == nil {
					_, err = c.ExecContext(ctx, "SELECT 1")
				}
				got <- err
			}()
			if err := finishFirst(); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatalf("the waiting scope: %v", err)
			}
			if s := e.m.Stats(DefaultAlias); s.Opened != 1 || s.Reused != 1 {
				t.Fatalf("Stats = %+v: want the kept connection reused", s)
			}
		})
	}
}
