package db

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/manouche/manouche/internal/pgtest"
)

// benchDatabase is the engines the benchmarks run on, each kept for the
// life of the run (ConnMaxAge Forever), as a server in production keeps
// its connections.
func benchDatabase(b *testing.B, eng string) Database {
	b.Helper()
	var d Database
	switch eng {
	case "sqlite":
		d = Database{Engine: SQLite, DSN: "file:bench?mode=memory&cache=shared"}
	case "postgres":
		d = Database{Engine: Postgres, DSN: pgtest.URL(b)}
	}
	d.ConnMaxAge = Forever
	return d
}

// BenchmarkRequestQuery measures what the connection manager costs a
// request that runs one query: a scope, Conn (taking the kept
// connection), the query, and the end of the scope (transaction status,
// keep). The baseline, in the same run, is the same query on a bare
// sqlx.DB whose pool keeps its connections.
func BenchmarkRequestQuery(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng+"/manouche", func(b *testing.B) {
			benchScopes(b, eng, func(ctx context.Context, c *Conn) error {
				var n int
				return c.GetContext(ctx, &n, "SELECT 1")
			})
		})
		b.Run(eng+"/sqlx", func(b *testing.B) {
			x := bareSQLX(b, eng)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var n int
				if err := x.GetContext(context.Background(), &n, "SELECT 1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestAtomic is BenchmarkRequestQuery with the query inside a
// transaction: Atomic against sqlx's Beginx/Commit.
func BenchmarkRequestAtomic(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng+"/manouche", func(b *testing.B) {
			benchScopes(b, eng, func(ctx context.Context, c *Conn) error {
				return c.Atomic(ctx, func(ctx context.Context) error {
					var n int
					return c.GetContext(ctx, &n, "SELECT 1")
				})
			})
		})
		b.Run(eng+"/sqlx", func(b *testing.B) {
			x := bareSQLX(b, eng)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx, err := x.Beginx()
				if err != nil {
					b.Fatal(err)
				}
				var n int
				if err := tx.GetContext(context.Background(), &n, "SELECT 1"); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchScopes runs work once per iteration in a scope of its own, as a
// request would: a scope, Conn, work, the end of the scope.
func benchScopes(b *testing.B, eng string, work func(ctx context.Context, c *Conn) error) {
	m, err := NewManager(Databases{DefaultAlias: benchDatabase(b, eng)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, finish := m.Background(context.Background())
		c, err := m.Conn(ctx, DefaultAlias)
		if err != nil {
			b.Fatal(err)
		}
		if err := work(ctx, c); err != nil {
			b.Fatal(err)
		}
		if err := finish(); err != nil {
			b.Fatal(err)
		}
	}
}

// bareSQLX opens eng's benchmark database with plain sqlx, with the same
// driver DSN as the Manager's.
func bareSQLX(b *testing.B, eng string) *sqlx.DB {
	b.Helper()
	dsn, err := managerDSN(benchDatabase(b, eng))
	if err != nil {
		b.Fatal(err)
	}
	driver := "postgres"
	if eng == "sqlite" {
		driver = "sqlite3"
	}
	x, err := sqlx.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	x.SetMaxIdleConns(2)
	b.Cleanup(func() { x.Close() })
	return x
}

// BenchmarkSweep is what each request_started costs a request while the
// pool keeps a connection that is not due yet (ConnMaxAge 60 s): the
// sweep, from every core at once, as under load.
func BenchmarkSweep(b *testing.B) {
	d := Database{Engine: SQLite, DSN: "file:benchsweep?mode=memory&cache=shared", ConnMaxAge: time.Minute}
	m, err := NewManager(Databases{DefaultAlias: d})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx, done := m.Background(context.Background())
	if _, err := m.Conn(ctx, DefaultAlias); err != nil {
		b.Fatal(err)
	}
	if err := done(); err != nil {
		b.Fatal(err)
	}
	if s := m.Stats(DefaultAlias); s.Kept != 1 {
		b.Fatalf("Stats %+v: want one kept connection", s)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.sweep()
		}
	})
	if s := m.Stats(DefaultAlias); s.Kept != 1 || s.Closed != 0 {
		b.Fatalf("Stats %+v: the sweep closed a connection that was not due", s)
	}
}

// BenchmarkTxnStatus is what reading a PostgreSQL connection's
// transaction status costs the end of every scope that used one: lib/pq's
// txnStatus field, through database/sql's Raw.
func BenchmarkTxnStatus(b *testing.B) {
	m, err := NewManager(Databases{DefaultAlias: benchDatabase(b, "postgres")})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx, done := m.Background(context.Background())
	defer done()
	c, err := m.Conn(ctx, DefaultAlias)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if st, ok := m.pqStatus(c.pc); !ok || st != 'I' {
			b.Fatalf("pqStatus = %q, %v; want 'I', true", st, ok)
		}
	}
}
