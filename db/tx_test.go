package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// txEnv is an env with a table t(id, v) and the query log on, so that the
// statements each block runs can be compared.
func txEnv(t *testing.T, eng string) *env {
	t.Helper()
	e := newEnv(t, database(t, eng), WithQueryLog(true))
	e.request(func(ctx context.Context) {
		e.exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	})
	return e
}

func (e *env) exec(ctx context.Context, query string, args ...any) {
	e.t.Helper()
	if _, err := e.conn(ctx).ExecContext(ctx, query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

// rows returns the ids in t, read in a scope of its own.
func (e *env) rows() []int {
	e.t.Helper()
	var ids []int
	e.request(func(ctx context.Context) {
		if err := e.conn(ctx).SelectContext(ctx, &ids, "SELECT id FROM t ORDER BY id"); err != nil {
			e.t.Fatal(err)
		}
	})
	return ids
}

// trace returns the SQL of the statements ctx's connection ran, from the
// from-th on, as the query log holds them.
func (e *env) trace(ctx context.Context, from int) []string {
	e.t.Helper()
	qs, err := e.m.Queries(ctx, DefaultAlias)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, q := range qs[from:] {
		out = append(out, q.SQL)
	}
	return out
}

func (e *env) logLen(ctx context.Context) int {
	qs, _ := e.m.Queries(ctx, DefaultAlias)
	return len(qs)
}

const ins = "INSERT INTO t (id, v) VALUES ($1, 'x')"

// begin is the statement that opens a transaction on eng: SQLite's are
// IMMEDIATE (see managerDSN).
func begin(eng string) string {
	if eng == "postgres" {
		return "BEGIN"
	}
	return "BEGIN IMMEDIATE"
}

// SEMANTICS 85: the outermost block commits on success and rolls back on
// an error or a panic, which go on unchanged.
func TestAtomicOutermost_85(t *testing.T) {
	boom := errors.New("boom")
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			for _, tc := range []struct {
				name  string
				fn    func(ctx context.Context, c *Conn) error
				err   error
				panic bool
				end   string
				ids   []int
			}{
				{"commit", func(ctx context.Context, c *Conn) error {
					_, err := c.ExecContext(ctx, ins, 1)
					return err
				}, nil, false, "COMMIT", []int{1}},
				{"error", func(ctx context.Context, c *Conn) error {
					if _, err := c.ExecContext(ctx, ins, 2); err != nil {
						return err
					}
					return boom
				}, boom, false, "ROLLBACK", []int{1}},
				{"panic", func(ctx context.Context, c *Conn) error {
					if _, err := c.ExecContext(ctx, ins, 3); err != nil {
						return err
					}
					panic(boom)
				}, nil, true, "ROLLBACK", []int{1}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var trace []string
					var recovered any
					e.request(func(ctx context.Context) {
						c := e.conn(ctx)
						err := func() (err error) {
							defer func() { recovered = recover() }()
							return c.Atomic(ctx, func(ctx context.Context) error {
								if !c.InAtomicBlock() {
									t.Error("InAtomicBlock is false inside the block")
								}
								return tc.fn(ctx, c)
							})
						}()
						if err != tc.err {
							t.Errorf("Atomic = %v, want %v", err, tc.err)
						}
						if c.InAtomicBlock() {
							t.Error("InAtomicBlock is true after the block")
						}
						trace = e.trace(ctx, 0)
					})
					if tc.panic != (recovered != nil) {
						t.Errorf("panic = %v, want one: %v", recovered, tc.panic)
					}
					want := []string{begin(eng), ins, tc.end}
					if !slices.Equal(trace, want) {
						t.Errorf("statements %q, want %q", trace, want)
					}
					if ids := e.rows(); !slices.Equal(ids, tc.ids) {
						t.Errorf("rows %v, want %v", ids, tc.ids)
					}
				})
			}
		})
	}
}

// SEMANTICS 85: nested blocks use savepoints; an inner error rolls back to
// its savepoint alone and the outer block goes on; NoSavepoint marks the
// outer block for rollback instead.
func TestAtomicNested_85(t *testing.T) {
	boom := errors.New("inner")
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				err := c.Atomic(ctx, func(ctx context.Context) error {
					e.exec(ctx, ins, 1)
					if err := c.Atomic(ctx, func(ctx context.Context) error {
						e.exec(ctx, ins, 2)
						return nil
					}); err != nil {
						return err
					}
					err := c.Atomic(ctx, func(ctx context.Context) error {
						e.exec(ctx, ins, 3)
						return boom
					})
					if err != boom {
						t.Errorf("inner Atomic = %v, want the inner error", err)
					}
					e.exec(ctx, ins, 4)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				want := []string{
					begin(eng), ins,
					"SAVEPOINT manouche_sp_1", ins, "RELEASE SAVEPOINT manouche_sp_1",
					"SAVEPOINT manouche_sp_2", ins, "ROLLBACK TO SAVEPOINT manouche_sp_2", "RELEASE SAVEPOINT manouche_sp_2",
					ins, "COMMIT",
				}
				if got := e.trace(ctx, 0); !slices.Equal(got, want) {
					t.Errorf("statements\n%q\nwant\n%q", got, want)
				}
			})
			if ids := e.rows(); !slices.Equal(ids, []int{1, 2, 4}) {
				t.Errorf("rows %v, want [1 2 4]", ids)
			}

			// NoSavepoint: the inner error dooms the outer block.
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				err := c.Atomic(ctx, func(ctx context.Context) error {
					e.exec(ctx, ins, 10)
					err := c.Atomic(ctx, func(ctx context.Context) error {
						e.exec(ctx, ins, 11)
						return boom
					}, NoSavepoint())
					if err != boom {
						t.Errorf("inner Atomic = %v, want the inner error", err)
					}
					if _, err := c.ExecContext(ctx, ins, 12); !errors.Is(err, ErrBrokenTransaction) {
						t.Errorf("a query after the inner failure: %v, want ErrBrokenTransaction", err)
					}
					return nil // swallowed: Django still rolls back
				})
				if err != nil {
					t.Errorf("Atomic = %v, want nil (Django returns normally)", err)
				}
				want := []string{begin(eng), ins, ins, "ROLLBACK"}
				if got := e.trace(ctx, 0); !slices.Equal(got, want) {
					t.Errorf("statements %q, want %q", got, want)
				}
			})
			if ids := e.rows(); !slices.Equal(ids, []int{1, 2, 4}) {
				t.Errorf("rows %v, want [1 2 4]", ids)
			}
			if !strings.Contains(e.log.String(), "an atomic block was rolled back") {
				t.Errorf("no warning for the swallowed error: %s", e.log.String())
			}
		})
	}
}

// SEMANTICS 84: a caught integrity error inside a block breaks it: later
// queries fail with Django's message and the block rolls back although fn
// returns nil. Wrapping the failing query in a nested block keeps the
// outer one usable.
func TestBrokenTransaction_84(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			e.request(func(ctx context.Context) { e.exec(ctx, ins, 1) })
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				err := c.Atomic(ctx, func(ctx context.Context) error {
					e.exec(ctx, ins, 2)
					if _, err := c.ExecContext(ctx, ins, 1); err == nil {
						t.Error("duplicate key: no error")
					}
					_, err := c.ExecContext(ctx, "SELECT 1")
					if !errors.Is(err, ErrBrokenTransaction) || !errors.Is(err, ErrTransactionManagement) {
						t.Errorf("query after the error: %v", err)
					}
					const django = "An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block."
					if err == nil || !strings.HasSuffix(err.Error(), django) {
						t.Errorf("message %q, want Django's", err)
					}
					var n int
					if err := c.GetContext(ctx, &n, "SELECT 1"); !errors.Is(err, ErrBrokenTransaction) {
						t.Errorf("GetContext: %v", err)
					}
					if err := c.QueryRowxContext(ctx, "SELECT 1").Scan(&n); !errors.Is(err, ErrBrokenTransaction) {
						t.Errorf("QueryRowxContext: %v", err)
					}
					return nil
				})
				if err != nil {
					t.Errorf("Atomic = %v", err)
				}
				if c.broken.Load() {
					t.Error("an integrity error (then a rollback) left the error flag set")
				}
			})
			if ids := e.rows(); !slices.Equal(ids, []int{1}) {
				t.Errorf("rows %v, want [1]: the broken block must roll back", ids)
			}

			// The Django idiom: the query that may fail in its own block.
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				err := c.Atomic(ctx, func(ctx context.Context) error {
					e.exec(ctx, ins, 2)
					err := c.Atomic(ctx, func(ctx context.Context) error {
						_, err := c.ExecContext(ctx, ins, 1)
						return err
					})
					if err == nil {
						t.Error("duplicate key: no error")
					}
					e.exec(ctx, ins, 3)
					return nil
				})
				if err != nil {
					t.Errorf("Atomic = %v", err)
				}
			})
			if ids := e.rows(); !slices.Equal(ids, []int{1, 2, 3}) {
				t.Errorf("rows %v, want [1 2 3]", ids)
			}
		})
	}
}

// SEMANTICS 85: durable blocks must be outermost; a raw BEGIN is no place
// for an atomic block.
func TestAtomicRefusals_85(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				if err := c.Atomic(ctx, func(ctx context.Context) error {
					e.exec(ctx, ins, 1)
					return nil
				}, Durable()); err != nil {
					t.Errorf("outermost durable: %v", err)
				}
				ran := false
				err := c.Atomic(ctx, func(ctx context.Context) error {
					return c.Atomic(ctx, func(ctx context.Context) error { ran = true; return nil }, Durable())
				})
				const django = "A durable atomic block cannot be nested within another atomic block."
				if !errors.Is(err, ErrTransactionManagement) || !strings.HasSuffix(err.Error(), django) {
					t.Errorf("nested durable: %v", err)
				}
				if ran {
					t.Error("the nested durable block ran")
				}

				e.exec(ctx, "BEGIN")
				err = c.Atomic(ctx, func(ctx context.Context) error { ran = true; return nil })
				if !errors.Is(err, ErrTransactionManagement) || !strings.Contains(err.Error(), "raw BEGIN") {
					t.Errorf("Atomic in a raw BEGIN: %v", err)
				}
				if ran {
					t.Error("the block ran inside a raw BEGIN")
				}
				e.exec(ctx, "ROLLBACK")
			})
			if ids := e.rows(); !slices.Equal(ids, []int{1}) {
				t.Errorf("rows %v, want [1]", ids)
			}
		})
	}
}

// A query error that surfaces while iterating rows is recorded: inside a
// block it breaks the block, and it raises the error flag.
func TestRowsIterationError(t *testing.T) {
	// A query whose third row fails at run time.
	failing := map[string]string{
		Postgres: "SELECT 10 / (3 - g) FROM generate_series(1, 5) AS g",
		SQLite:   "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5) SELECT CASE WHEN x = 3 THEN abs(-9223372036854775807 - 1) ELSE x END FROM g",
	}
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				err := c.Atomic(ctx, func(ctx context.Context) error {
					rows, err := c.QueryxContext(ctx, failing[c.Engine()])
					if err != nil {
						return err
					}
					n := 0
					for rows.Next() {
						n++
					}
					rows.Close()
					if n >= 5 {
						t.Errorf("%d rows: the query did not fail", n)
					}
					if _, err := c.ExecContext(ctx, "SELECT 1"); !errors.Is(err, ErrBrokenTransaction) {
						t.Errorf("a query after the failed iteration: %v", err)
					}
					return nil
				})
				if err != nil {
					t.Errorf("Atomic = %v", err)
				}
			})
		})
	}
}

// SEMANTICS 79: a successful commit or rollback clears the error flag, so
// the connection is kept without a probe.
func TestCommitRollbackClearErrorFlag_79(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			e.request(func(ctx context.Context) {
				c := e.conn(ctx)
				_ = c.Atomic(ctx, func(ctx context.Context) error {
					_, err := c.ExecContext(ctx, "SELEC 1")
					if err == nil || !c.broken.Load() {
						t.Errorf("a syntax error: %v, flag %v", err, c.broken.Load())
					}
					return err
				})
				if c.broken.Load() {
					t.Error("the rollback did not clear the error flag")
				}
				if _, err := c.ExecContext(ctx, "SELEC 1"); err == nil || !c.broken.Load() {
					t.Errorf("a syntax error: %v, flag %v", err, c.broken.Load())
				}
				if err := c.Atomic(ctx, func(ctx context.Context) error { e.exec(ctx, ins, 1); return nil }); err != nil {
					t.Fatal(err)
				}
				if c.broken.Load() {
					t.Error("the commit did not clear the error flag")
				}
			})
		})
	}
}

// SEMANTICS 86: on-commit hooks.
func TestOnCommit_86(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			var got []string
			hook := func(name string) func(context.Context) error {
				return func(context.Context) error { got = append(got, name); return nil }
			}
			check := func(t *testing.T, want ...string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("hooks ran %q, want %q", got, want)
				}
				got = nil
			}

			t.Run("outside a block: at once", func(t *testing.T) {
				e.request(func(ctx context.Context) {
					if err := e.m.OnCommit(ctx, DefaultAlias, hook("now")); err != nil {
						t.Fatal(err)
					}
					check(t, "now")
					boom := errors.New("boom")
					err := e.m.OnCommit(ctx, DefaultAlias, func(context.Context) error { return boom })
					if !errors.Is(err, boom) {
						t.Errorf("a failing hook outside a block: %v", err)
					}
				})
			})

			t.Run("after the outermost commit, in order", func(t *testing.T) {
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					err := c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, hook("a"))
						_ = c.Atomic(ctx, func(ctx context.Context) error {
							return c.OnCommit(ctx, hook("b"))
						})
						_ = c.OnCommit(ctx, func(ctx context.Context) error {
							// The hook runs after COMMIT, outside the block.
							if c.InAtomicBlock() {
								t.Error("a hook ran inside the block")
							}
							trace := e.trace(ctx, 0)
							if trace[len(trace)-1] != "COMMIT" {
								t.Errorf("a hook ran before COMMIT: %q", trace)
							}
							got = append(got, "c")
							return nil
						})
						check(t) // nothing yet
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					check(t, "a", "b", "c")
				})
			})

			t.Run("counted in Stats", func(t *testing.T) {
				before := e.m.Stats(DefaultAlias).HooksRun
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					_ = c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, hook("x"))
						return c.OnCommit(ctx, hook("y"))
					})
					_ = c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, hook("dropped"))
						return errors.New("rolled back")
					})
				})
				check(t, "x", "y")
				if got := e.m.Stats(DefaultAlias).HooksRun - before; got != 2 {
					t.Errorf("Stats.HooksRun grew by %d, want 2", got)
				}
			})

			t.Run("dropped on rollback", func(t *testing.T) {
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					_ = c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, hook("a"))
						return errors.New("no")
					})
					check(t)
					// A savepoint rolled back drops the hooks registered in
					// it, and in blocks nested in it; a released one keeps
					// them.
					_ = c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, hook("outer"))
						_ = c.Atomic(ctx, func(ctx context.Context) error {
							_ = c.OnCommit(ctx, hook("released"))
							return nil
						})
						_ = c.Atomic(ctx, func(ctx context.Context) error {
							_ = c.OnCommit(ctx, hook("rolled back"))
							_ = c.Atomic(ctx, func(ctx context.Context) error {
								return c.OnCommit(ctx, hook("nested in rolled back"))
							})
							return errors.New("no")
						})
						return nil
					})
					check(t, "outer", "released")
				})
			})

			t.Run("a failing hook stops the later ones", func(t *testing.T) {
				boom := errors.New("boom")
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					err := c.Atomic(ctx, func(ctx context.Context) error {
						e.exec(ctx, ins, 1)
						_ = c.OnCommit(ctx, hook("a"))
						_ = c.OnCommit(ctx, func(context.Context) error { return boom })
						_ = c.OnCommit(ctx, hook("never"))
						return nil
					})
					if !errors.Is(err, boom) {
						t.Errorf("Atomic = %v, want the hook's error", err)
					}
					check(t, "a")
				})
				if ids := e.rows(); !slices.Equal(ids, []int{1}) {
					t.Errorf("rows %v: the data must stay committed", ids)
				}
			})

			t.Run("robust hooks are logged and the others run", func(t *testing.T) {
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					err := c.Atomic(ctx, func(ctx context.Context) error {
						_ = c.OnCommit(ctx, func(context.Context) error { return errors.New("robust failure") }, Robust())
						_ = c.OnCommit(ctx, func(context.Context) error { panic("robust panic") }, Robust())
						return c.OnCommit(ctx, hook("after"))
					})
					if err != nil {
						t.Errorf("Atomic = %v", err)
					}
					check(t, "after")
				})
				for _, want := range []string{"in on_commit() (robust failure)", "robust panic"} {
					if !strings.Contains(e.log.String(), want) {
						t.Errorf("log lacks %q:\n%s", want, e.log.String())
					}
				}
			})

			t.Run("refused", func(t *testing.T) {
				e.request(func(ctx context.Context) {
					c := e.conn(ctx)
					if err := c.OnCommit(ctx, nil); !errors.Is(err, ErrTransactionManagement) {
						t.Errorf("nil hook: %v", err)
					}
					e.exec(ctx, "BEGIN")
					err := c.OnCommit(ctx, hook("manual"))
					if !errors.Is(err, ErrTransactionManagement) || !strings.HasSuffix(err.Error(), "on_commit() cannot be used in manual transaction management") {
						t.Errorf("in a raw BEGIN: %v", err)
					}
					e.exec(ctx, "ROLLBACK")
					check(t)
				})
			})
		})
	}
}

// SEMANTICS 88: the query log.
func TestQueryLog_88(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			d := database(t, eng)
			d.ConnMaxAge = Forever
			e := newEnv(t, d, WithQueryLog(true))
			e.request(func(ctx context.Context) {
				if n := e.logLen(ctx); n != 0 {
					t.Errorf("a new request starts with %d queries logged", n)
				}
				c := e.conn(ctx)
				var n int
				if err := c.GetContext(ctx, &n, "SELECT $1 + 1", 41); err != nil {
					t.Fatal(err)
				}
				qs, err := e.m.Queries(ctx, DefaultAlias)
				if err != nil || len(qs) != 1 {
					t.Fatalf("Queries = %v, %v", qs, err)
				}
				if q := qs[0]; q.SQL != "SELECT $1 + 1" || !slices.Equal(q.Args, []any{41}) || q.Duration <= 0 {
					t.Errorf("entry %+v", q)
				}
				for i := 0; i < QueryLogLimit+5; i++ {
					if _, err := c.ExecContext(ctx, "SELECT $1", i); err != nil {
						t.Fatal(err)
					}
				}
				qs, _ = e.m.Queries(ctx, DefaultAlias)
				if len(qs) != QueryLogLimit {
					t.Fatalf("%d entries, want the limit %d", len(qs), QueryLogLimit)
				}
				if first, last := qs[0].Args[0], qs[len(qs)-1].Args[0]; first != 5 || last != QueryLogLimit+4 {
					t.Errorf("kept %v … %v, want the last ones, oldest first", first, last)
				}
			})
			if !strings.Contains(e.log.String(), "Limit for query logging exceeded, only the last 9000 queries will be returned.") {
				t.Errorf("no warning at the limit:\n%s", e.log.String())
			}
			// The next request starts afresh, on the kept connection.
			e.request(func(ctx context.Context) {
				e.exec(ctx, "SELECT 1")
				if n := e.logLen(ctx); n != 1 {
					t.Errorf("%d entries in a new request, want 1", n)
				}
			})
			if s := e.m.Stats(DefaultAlias); s.Opened != 1 || s.Reused != 1 {
				t.Errorf("Stats %+v: the second request should reuse the connection", s)
			}
		})
	}
}

// Queries never opens a connection, and the log is off by default.
func TestQueryLogOff(t *testing.T) {
	e := newEnv(t, database(t, "sqlite"))
	e.request(func(ctx context.Context) {
		if qs, err := e.m.Queries(ctx, DefaultAlias); qs != nil || err != nil {
			t.Errorf("Queries without a connection = %v, %v", qs, err)
		}
		e.exec(ctx, "SELECT 1")
		if qs, err := e.m.Queries(ctx, DefaultAlias); qs != nil || err != nil {
			t.Errorf("Queries with the log off = %v, %v", qs, err)
		}
		if _, err := e.m.Queries(ctx, "other"); !errors.Is(err, ErrNoAlias) {
			t.Errorf("unknown alias: %v", err)
		}
	})
	if _, err := e.m.Queries(context.Background(), DefaultAlias); !errors.Is(err, ErrNoScope) {
		t.Errorf("no scope: %v", err)
	}
	wantStats(t, e.m, Stats{Opened: 1, Closed: 1})
}

// SEMANTICS 90: with two aliases, a request using only one never connects
// to the other, at its start, its end or in between.
func TestTwoAliases_90(t *testing.T) {
	other := database(t, "sqlite")
	def := database(t, "sqlite")
	def.ConnMaxAge, other.ConnMaxAge = Forever, Forever
	m, err := NewManager(Databases{DefaultAlias: def, "other": other})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := 0; i < 3; i++ {
		ctx, finish := m.Background(context.Background())
		c, err := m.Conn(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Atomic(ctx, func(ctx context.Context) error {
			_, err := c.ExecContext(ctx, "SELECT 1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
	}
	if s := m.Stats(DefaultAlias); s != (Stats{}) {
		t.Errorf("default: %+v, want untouched", s)
	}
	if s := m.Stats("other"); s != (Stats{Opened: 1, Reused: 2, Kept: 1}) {
		t.Errorf("other: %+v", s)
	}
}

// Each alias has its own connection and its own transactions.
func TestAtomicPerAlias(t *testing.T) {
	def, other := database(t, "sqlite"), database(t, "sqlite")
	m, err := NewManager(Databases{DefaultAlias: def, "other": other})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, finish := m.Background(context.Background())
	defer finish()
	err = m.Atomic(ctx, DefaultAlias, func(ctx context.Context) error {
		o, err := m.Conn(ctx, "other")
		if err != nil {
			return err
		}
		d, _ := m.Conn(ctx, DefaultAlias)
		if !d.InAtomicBlock() || o.InAtomicBlock() {
			return fmt.Errorf("in atomic: default %v, other %v", d.InAtomicBlock(), o.InAtomicBlock())
		}
		// A hook on the other alias, which is in autocommit, runs at once.
		ran := false
		if err := o.OnCommit(ctx, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
			return fmt.Errorf("hook on other: ran %v, %v", ran, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Concurrent scopes writing in atomic blocks all succeed: on SQLite the
// writers wait for each other (busy timeout) rather than failing.
func TestConcurrentAtomicWrites(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng, func(t *testing.T) {
			e := txEnv(t, eng)
			const workers, each = 8, 20
			errs := make(chan error, workers*each)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						ctx, finish := e.m.Background(context.Background())
						errs <- e.m.Atomic(ctx, DefaultAlias, func(ctx context.Context) error {
							c, err := e.m.Conn(ctx, DefaultAlias)
							if err != nil {
								return err
							}
							var n int
							if err := c.GetContext(ctx, &n, "SELECT count(*) FROM t"); err != nil {
								return err
							}
							_, err = c.ExecContext(ctx, ins, w*each+i)
							return err
						})
						if err := finish(); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if ids := e.rows(); len(ids) != workers*each {
				t.Errorf("%d rows, want %d", len(ids), workers*each)
			}
		})
	}
}

// SQLite transactions begin IMMEDIATE unless transaction_mode (or the
// DSN's _txlock) says otherwise.
func TestSQLiteTransactionMode(t *testing.T) {
	for _, tc := range []struct {
		mode, dsn, want string
	}{
		{"", "", "BEGIN IMMEDIATE"},
		{"DEFERRED", "", "BEGIN DEFERRED"},
		{"exclusive", "", "BEGIN EXCLUSIVE"},
		{"", "?_txlock=deferred", "BEGIN DEFERRED"},
	} {
		t.Run(tc.mode+tc.dsn, func(t *testing.T) {
			d := database(t, "sqlite")
			d.DSN += tc.dsn
			if tc.mode != "" {
				d.Options = map[string]string{"transaction_mode": tc.mode}
			}
			e := newEnv(t, d, WithQueryLog(true))
			e.request(func(ctx context.Context) {
				if err := e.m.Atomic(ctx, DefaultAlias, func(context.Context) error { return nil }); err != nil {
					t.Fatal(err)
				}
				if got := e.trace(ctx, 0); !slices.Equal(got, []string{tc.want, "COMMIT"}) {
					t.Errorf("statements %q, want %s then COMMIT", got, tc.want)
				}
			})
		})
	}
}
