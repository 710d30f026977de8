// Package db is manouche's Django-style database connection management on
// sqlx (lib/pq for PostgreSQL, mattn/go-sqlite3 for SQLite): lazy
// connections owned by the request and found through its context,
// CONN_MAX_AGE and CONN_HEALTH_CHECKS at request start and end, atomic
// blocks with savepoints, on-commit hooks, ATOMIC_REQUESTS and a bounded
// query log (SEMANTICS section F).
//
// # Settings
//
// Database is one entry of Django's DATABASES written the Go way (Engine,
// DSN, ConnMaxAge, ConnHealthChecks, AtomicRequests, MaxOpenConns,
// Options); Databases is the setting itself, whose Validate reports
// configuration problems with Django's texts as
// *manouche.ImproperlyConfigured; ParseURL (DATABASE_URL, as
// dj-database-url) and ParseConnMaxAge (CONN_MAX_AGE) read them from the
// environment. Settings are values, checked once when the Manager is
// built, never per request, and never global: two handlers in one process
// keep their own.
//
//	def, err := db.ParseURL(os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	m, err := db.NewManager(db.Databases{db.DefaultAlias: def}, db.WithQueryLog(settings.Debug))
//	if err != nil {
//		return err // misconfiguration; nothing has connected
//	}
//	defer m.Close()
//	h, err := handler.New(handler.Config{
//		URLConf:      conf,
//		ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{m.MakeViewAtomic},
//	})
//	…
//	m.Install(h.Signals())
//
// # Connections follow the request
//
// Manager is Django's ConnectionHandler with close_old_connections.
// Install connects it to a handler's request_started and
// request_finished. Conn(ctx, alias) gives the scope of ctx — the request's
// manouche.Scope, which the handler puts in every request's context — its
// own connection to alias, opened (or taken from the kept ones) on the
// first call and returned again by every later call in that scope:
//
//	c, err := m.Conn(r.Context(), db.DefaultAlias)
//	if err != nil {
//		return nil, err
//	}
//	var q Question
//	err = c.GetContext(r.Context(), &q, "SELECT * FROM polls_question WHERE id = $1", id)
//
// The Conn is bound to its scope: used with another request's context, or
// after its request ended, it returns an error (ErrWrongScope,
// ErrScopeFinished) instead of running on someone else's session. At the
// end of the scope each connection is closed when it is left inside a
// transaction (by the server's own status, so a raw BEGIN is caught, with
// a warning), broken and dead, or obsolete by ConnMaxAge, and kept for a
// later scope otherwise; at request start, kept connections past their age
// are closed. A connection_created signal fires once per physical
// connection (Manager.ConnectionCreated).
//
// # Background work
//
// Outside a request nothing ages, probes or closes connections for you, as
// in Django (SEMANTICS 89). A goroutine, a job or a command makes its own
// scope with Background and finishes it when its unit of work is done,
// which applies the same close-if-unusable-or-obsolete rules:
//
//	ctx, finish := m.Background(ctx)
//	defer finish()
//	err := m.Atomic(ctx, db.DefaultAlias, func(ctx context.Context) error { … })
//
// A goroutine started by a view must not use the request's context once
// the request may have ended: give it a Background scope of its own (from
// context.WithoutCancel(r.Context()) if it needs the request's values).
// A long-running worker finishes one scope per unit of work, so that a
// dead or obsolete connection is replaced between units.
//
// Code that runs both inside requests and outside them (a migration, a
// session store's cleanup) uses Manager.Do: the scope's own connection
// when ctx has a scope, else a Background scope made and finished for the
// call.
//
// # Transactions
//
// Conn.Atomic (and Manager.Atomic) is Django's transaction.atomic: the
// outermost block begins and commits (or rolls back on an error or a
// panic), nested blocks use savepoints (NoSavepoint, Durable). A query
// error inside a block marks it for rollback; later queries fail with
// ErrBrokenTransaction until the block ends. Conn.OnCommit queues a hook
// for after the outermost commit, dropped on rollback.
//
// With Database.AtomicRequests, handing Manager.MakeViewAtomic to
// handler.Config.ViewWrappers runs every view inside Atomic on that
// database; a route opts out with urls.Attr(db.NonAtomic()). Only the view
// call is wrapped: middleware, template rendering and a stream's producer
// run outside the transaction, which is committed before the first byte
// is written.
//
// # Query log
//
// WithQueryLog(true) (Django records it with DEBUG) records every
// statement of a scope's connection, at most QueryLogLimit of them;
// Manager.Queries(r.Context(), alias) reads them.
//
// # In-memory SQLite
//
// An in-memory SQLite database disappears when its last connection
// closes, and a bare ":memory:" is a separate database per connection. So
// the DSN must be a named shared-cache URI,
// "file:<name>?mode=memory&cache=shared" (ParseURL produces one), and the
// connection manager keeps one connection to it open for its whole life,
// whatever ConnMaxAge says; ConnMaxAge applies to its other connections as
// to any database's. Database.InMemory reports such a database.
package db
