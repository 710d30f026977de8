package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"

	"github.com/manouche/manouche"
)

// Conn is one scope's connection to one database, from Manager.Conn. Its
// query methods have sqlx's semantics; each checks first that ctx carries
// the scope the Conn belongs to (ErrWrongScope: another request's context,
// or a goroutine's Background one; ErrNoScope: a context without a scope)
// and that the scope is not finished (ErrScopeFinished), and inside an
// atomic block that no earlier query of the block failed
// (ErrBrokenTransaction). A database error other than a data or integrity
// error marks the connection broken: it is probed at the end of the scope
// and closed if dead. With WithQueryLog, every statement is recorded (see
// Manager.Queries).
//
// Goroutines that share a request's context share its Conn, and its
// transaction: database/sql runs their statements one at a time on the
// one session. A goroutine that must outlive the request, or work apart
// from it, makes its own scope with Manager.Background.
type Conn struct {
	m      *Manager
	p      *pool
	scope  *manouche.Scope
	st     *scopeState
	pc     *physConn
	broken atomic.Bool
	qlog   *queryLog // nil without WithQueryLog

	mu sync.Mutex
	tx txState
}

// Alias returns the connection's database alias.
func (c *Conn) Alias() string { return c.p.alias }

// Engine returns the connection's engine (Postgres or SQLite).
func (c *Conn) Engine() string { return c.p.set.Engine }

// check verifies that ctx belongs to c's scope and that the scope is live.
func (c *Conn) check(ctx context.Context) error {
	s := manouche.ScopeFrom(ctx)
	switch {
	case s == nil:
		return fmt.Errorf("%w: the connection to '%s' was used with a context that carries no scope; pass the context of the request (or Background scope) that got it", ErrNoScope, c.p.alias)
	case s != c.scope:
		return fmt.Errorf("%w: the connection to '%s' belongs to another scope than ctx's (another request's connection, or one handed to a goroutine with its own Background scope); get the connection with Manager.Conn(ctx, %q) from the context you use", ErrWrongScope, c.p.alias, c.p.alias)
	}
	c.st.mu.Lock()
	done := c.st.finished
	c.st.mu.Unlock()
	if done {
		return fmt.Errorf("%w: the connection to '%s' was used after the end of its request or Background scope", ErrScopeFinished, c.p.alias)
	}
	return nil
}

// start runs before each query: the scope check, then the broken
// transaction check. It returns the start time when the query log is on.
func (c *Conn) start(ctx context.Context) (time.Time, error) {
	if err := c.check(ctx); err != nil {
		return time.Time{}, err
	}
	c.mu.Lock()
	broken := c.tx.depth > 0 && c.tx.needsRollback
	c.mu.Unlock()
	if broken {
		return time.Time{}, ErrBrokenTransaction
	}
	if c.qlog != nil {
		return time.Now(), nil
	}
	return time.Time{}, nil
}

// done runs after each query: it logs it and records its error.
func (c *Conn) done(query string, args []any, t0 time.Time, err error) {
	if c.qlog != nil {
		c.qlog.add(Query{SQL: query, Args: args, Duration: time.Since(t0)})
	}
	c.fail(err)
}

// fail records err: inside an atomic block any error but "no rows" marks
// the block for rollback (SEMANTICS 84); any error but "no rows" or a data
// or integrity error (PostgreSQL SQLSTATE classes 22 and 23; SQLite
// constraint, mismatch, range, too big) raises the broken flag (79).
func (c *Conn) fail(err error) {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return
	}
	c.mu.Lock()
	if c.tx.depth > 0 {
		c.tx.needsRollback = true
	}
	c.mu.Unlock()
	if harmless(err) {
		return
	}
	c.broken.Store(true)
}

// harmless reports a data or integrity error, which says nothing about
// the connection.
func harmless(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		if s := st.SQLState(); len(s) >= 2 && (s[:2] == "22" || s[:2] == "23") {
			return true
		}
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrConstraint, sqlite3.ErrMismatch, sqlite3.ErrRange, sqlite3.ErrTooBig:
			return true
		}
	}
	return false
}

// control runs a transaction-control statement (BEGIN, SAVEPOINT, COMMIT,
// ROLLBACK, …) to completion whatever happens to ctx, bypassing the
// broken-transaction check, which it is there to end.
func (c *Conn) control(ctx context.Context, query string) error {
	var t0 time.Time
	if c.qlog != nil {
		t0 = time.Now()
	}
	_, err := c.pc.conn.ExecContext(context.WithoutCancel(ctx), query)
	if c.qlog != nil {
		c.qlog.add(Query{SQL: query, Duration: time.Since(t0)})
	}
	if err != nil && !harmless(err) {
		c.broken.Store(true)
	}
	return err
}

// ExecContext is sql.Conn.ExecContext.
func (c *Conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t0, err := c.start(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.pc.conn.ExecContext(ctx, query, args...)
	c.done(query, args, t0, err)
	return r, ended(ctx, err)
}

// QueryxContext is sqlx.Conn.QueryxContext. An error met while iterating
// the rows is recorded as a query's is, when Next returns false or Err is
// called.
func (c *Conn) QueryxContext(ctx context.Context, query string, args ...any) (*Rows, error) {
	t0, err := c.start(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.pc.conn.QueryxContext(ctx, query, args...)
	c.done(query, args, t0, err)
	if err != nil {
		return nil, ended(ctx, err)
	}
	return &Rows{Rows: r, c: c, ctx: ctx}, nil
}

// QueryRowxContext is sqlx.Conn.QueryRowxContext; the scope error, if
// any, is returned by the Row's methods.
func (c *Conn) QueryRowxContext(ctx context.Context, query string, args ...any) *Row {
	t0, err := c.start(ctx)
	if err != nil {
		return &Row{err: err}
	}
	r := c.pc.conn.QueryRowxContext(ctx, query, args...)
	c.done(query, args, t0, r.Err())
	return &Row{row: r, c: c, ctx: ctx}
}

// GetContext is sqlx.GetContext on the connection.
func (c *Conn) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	t0, err := c.start(ctx)
	if err != nil {
		return err
	}
	err = c.pc.conn.GetContext(ctx, dest, query, args...)
	c.done(query, args, t0, err)
	return ended(ctx, err)
}

// SelectContext is sqlx.SelectContext on the connection.
func (c *Conn) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	t0, err := c.start(ctx)
	if err != nil {
		return err
	}
	err = c.pc.conn.SelectContext(ctx, dest, query, args...)
	c.done(query, args, t0, err)
	return ended(ctx, err)
}

// Rows is sqlx.Rows, recording an error met while iterating (for the
// broken flag and the atomic block's rollback).
type Rows struct {
	*sqlx.Rows
	c   *Conn
	ctx context.Context
}

// Next is sql.Rows.Next; when it returns false because of an error, the
// error is recorded.
func (r *Rows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.c.fail(r.Rows.Err())
	return false
}

// Err is sql.Rows.Err, recording the error.
func (r *Rows) Err() error {
	err := r.Rows.Err()
	r.c.fail(err)
	return ended(r.ctx, err)
}

// Row is sqlx.Row, carrying the scope error of QueryRowxContext and
// recording scan errors for the broken flag.
type Row struct {
	row *sqlx.Row
	c   *Conn
	ctx context.Context
	err error
}

// Err returns the error of the query, if any.
func (r *Row) Err() error {
	if r.err != nil {
		return r.err
	}
	return ended(r.ctx, r.row.Err())
}

func (r *Row) done(err error) error {
	if r.c != nil {
		r.c.fail(err)
		err = ended(r.ctx, err)
	}
	return err
}

// ended returns err, made to match ctx's error too when ctx has ended and
// err is what database/sql answers on a connection the driver gave up
// because of that end: lib/pq marks a connection bad when the context of
// a query running on it is cancelled, and the next query on it fails with
// driver.ErrBadConn, not with the context's error. A view whose client
// went away then returns an error that says so (errors.Is(err,
// context.Canceled)), and the handler logs no server error for it.
func ended(ctx context.Context, err error) error {
	if err == nil || ctx == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || cancelled(err) {
		return fmt.Errorf("%w (the connection was given up when it ended: %w)", ctx.Err(), err)
	}
	return err
}

// cancelled reports the server's or the library's answer to a query that
// was interrupted: PostgreSQL's query_canceled (57014, the cancel request
// lib/pq sends when the context ends), SQLite's SQLITE_INTERRUPT.
func cancelled(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) && st.SQLState() == "57014" {
		return true
	}
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrInterrupt
}

// Scan is sqlx.Row.Scan.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.done(r.row.Scan(dest...))
}

// StructScan is sqlx.Row.StructScan.
func (r *Row) StructScan(dest any) error {
	if r.err != nil {
		return r.err
	}
	return r.done(r.row.StructScan(dest))
}

// MapScan is sqlx.Row.MapScan.
func (r *Row) MapScan(dest map[string]any) error {
	if r.err != nil {
		return r.err
	}
	return r.done(r.row.MapScan(dest))
}

// SliceScan is sqlx.Row.SliceScan.
func (r *Row) SliceScan() ([]any, error) {
	if r.err != nil {
		return nil, r.err
	}
	v, err := r.row.SliceScan()
	return v, r.done(err)
}
