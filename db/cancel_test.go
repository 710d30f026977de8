package db

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/signals"
)

// A client that goes away cancels its request's context in the middle of
// a query. lib/pq then cancels the statement and gives the connection up:
// the query fails with the server's query_canceled, the next one with
// driver.ErrBadConn, and database/sql closes the connection under the
// scope. Each error must say the context ended (so that the handler logs
// no server error for a client that left), and the end of the scope must
// count the connection closed without logging an error for it.
func TestQueryCancelledWithItsContext(t *testing.T) {
	e := newEnv(t, database(t, "postgres"))
	ctx, cancel, c := e.cancellableRequest()
	if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	var slept string
	err := c.QueryRowxContext(ctx, "SELECT pg_sleep(10)::text").Scan(&slept)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted query: %v; want an error matching context.Canceled", err)
	}
	for i, q := range []func() error{
		func() error { _, err := c.ExecContext(ctx, "SELECT 1"); return err },
		func() error { var n int; return c.GetContext(ctx, &n, "SELECT 1") },
		func() error { _, err := c.QueryxContext(ctx, "SELECT 1"); return err },
	} {
		if err := q(); !errors.Is(err, context.Canceled) {
			t.Errorf("query %d after the cancel: %v; want an error matching context.Canceled", i, err)
		}
	}
	if err := e.sig.RequestFinished.SendRobust(context.WithoutCancel(ctx), nil, signals.RequestFinished{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.log.String(), "level=ERROR") {
		t.Errorf("the scope's end logged an error:\n%s", e.log.String())
	}
	st := e.m.Stats(DefaultAlias)
	if st.Opened != 1 || st.Closed != 1 || st.InUse != 0 || st.Kept != 0 {
		t.Errorf("stats %+v: want the one connection opened and closed", st)
	}
}

// A connection lib/pq gave up when its request's context was cancelled
// is not kept for the next request, even when nothing used it after the
// cancel (lib/pq can mark it bad after the query returned): with
// CONN_MAX_AGE 60 the next request gets a new, working connection.
func TestGivenUpConnectionIsNotKept(t *testing.T) {
	d := database(t, "postgres")
	d.ConnMaxAge = time.Minute
	e := newEnv(t, d)
	ctx, cancel, c := e.cancellableRequest()
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.ExecContext(ctx, "SELECT pg_sleep(10)"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted query: %v", err)
	}
	if err := e.sig.RequestFinished.SendRobust(context.WithoutCancel(ctx), nil, signals.RequestFinished{}); err != nil {
		t.Fatal(err)
	}
	e.request(func(ctx context.Context) {
		var n int
		if err := e.conn(ctx).GetContext(ctx, &n, "SELECT 1"); err != nil || n != 1 {
			t.Errorf("the next request's query: %d, %v", n, err)
		}
	})
	st := e.m.Stats(DefaultAlias)
	if st.Opened != 2 || st.Closed != 1 || st.Kept != 1 {
		t.Errorf("stats %+v: want the given-up connection closed and a new one kept", st)
	}
	if strings.Contains(e.log.String(), "level=ERROR") || strings.Contains(e.log.String(), "level=WARN") {
		t.Errorf("logged:\n%s", e.log.String())
	}
}

// cancellableRequest starts a request whose context the test cancels, as
// a client hanging up does, and takes its connection. The context is
// cancelled at the end of the test at the latest.
func (e *env) cancellableRequest() (context.Context, context.CancelFunc, *Conn) {
	e.t.Helper()
	scoped, _ := manouche.NewScope(context.Background())
	ctx, cancel := context.WithCancel(scoped)
	e.t.Cleanup(cancel)
	if err := e.sig.RequestStarted.Send(ctx, nil, signals.RequestStarted{}); err != nil {
		e.t.Fatal(err)
	}
	return ctx, cancel, e.conn(ctx)
}
