// Package sessiondb is the database session store, Django's
// django.contrib.sessions.backends.db: sessions in the table
// manouche_session of a database of a db.Manager, for middleware.Sessions.
//
//	store := sessiondb.New(m, db.DefaultAlias)
//	h, err := handler.New(handler.Config{
//		Settings:   settings,
//		URLConf:    conf,
//		Middleware: []middleware.Factory{middleware.Sessions(store)},
//	})
//
// # The table
//
// Migrate creates it (Django's migrate for the sessions app); it is
// idempotent, so a deployment may run it at every start, before serving:
//
//	manouche_session (
//	    session_key  varchar(40) PRIMARY KEY,  -- 32 characters from [a-z0-9]
//	    session_data text NOT NULL,            -- the session, as a JSON object
//	    expire_date  timestamptz NOT NULL      -- "datetime" on SQLite, UTC
//	)
//	+ an index on expire_date
//
// Run Migrate from one process at a time: two concurrent CREATE TABLE IF
// NOT EXISTS may conflict on PostgreSQL.
//
// # Queries
//
// In a request the store uses the request's own connection
// (Manager.Conn with the request's context), opened only when the request
// uses its session: a request that never reads it runs no query, one that
// only reads it runs one SELECT, and a changed session adds one INSERT or
// UPDATE. Outside a request (a job, a command) each call makes a
// Background scope of its own and finishes it.
//
//   - Load: SELECT of the key with expire_date later than now.
//   - Save of a new key: INSERT … ON CONFLICT (session_key) DO NOTHING; a
//     key already taken inserts nothing and Sessions tries another, so a
//     new session never overwrites one (Django's create()).
//   - Save of an existing session: UPDATE of its row; when the row is gone
//     (deleted by a concurrent logout) the error is
//     middleware.ErrSessionInterrupted, a 400, and the session is not
//     written back (Django's UpdateError).
//   - Delete: DELETE of the key.
//
// # Expired sessions
//
// Expired rows are never loaded, but stay in the table until cleared.
// Clear them periodically (Django's clearsessions), from a job or a
// ticker:
//
//	err := middleware.ClearExpiredSessions(ctx, store)
package sessiondb
