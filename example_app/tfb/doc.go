// Package tfb serves the TechEmpower Framework Benchmarks endpoints
// through manouche: /json, /plaintext, /db, /queries, /fortunes, /updates
// and /cached-queries, each a plain view behind the whole middleware stack
// (see /work/shared/TFB.md for the rules the TFB verifier enforces).
//
//	if err := tfb.Migrate(ctx, dbm, db.DefaultAlias); err != nil { … } // tables and seed data
//	eng, _ := templates.NewEngine(templates.Config{FS: []fs.FS{tfb.Templates(), …}})
//	app := tfb.New(dbm, db.DefaultAlias, eng)
//	conf, _ := urls.New(app.URLs()) // at the site root: TFB requests /json, /db, …
//	mw := append([]middleware.Factory{tfb.ServerHeaderMiddleware()}, middleware.Default(nil)...)
//
// # Tables
//
// Migrate creates, on SQLite and PostgreSQL alike,
//
//	world(id integer PRIMARY KEY, randomnumber integer NOT NULL)
//	fortune(id integer PRIMARY KEY, message varchar(2048) NOT NULL)
//
// TFB's World and Fortune, with lower-case, unquoted names: PostgreSQL
// folds unquoted identifiers to lower case and SQLite ignores their case,
// so "world", "fortune" and "randomnumber" read the same on both, quoted
// or not. The JSON field is still TFB's "randomNumber". Migrate seeds
// 10,000 World rows (ids 1..10000, randomnumber uniform in 1..10000) and
// the 12 fortunes, in one transaction, with multi-row INSERTs.
//
// # Views
//
// Every database view uses the request's own connection (Manager.Conn
// with the request's context, taken once per request), so the connection
// goes back when the request finishes. /queries and /updates run one
// SELECT per row, as TFB demands (no IN list); /updates then writes all
// rows in one UPDATE … FROM (VALUES …) statement, ids sorted and
// de-duplicated (the last value drawn for an id wins, and every entry of
// the response for that id shows it), each new number different from
// the old one so that every row read really changes. /cached-queries
// reads a fixed-size in-memory copy of the World table, loaded on first
// use and bounded by construction at 10,000 rows. /fortunes renders
// fortunes.html (Templates) through the templates package, a deferred
// template response, with html/template's escaping.
//
// The query parameter (queries, or count for /cached-queries) is clamped
// to 1..500; missing, empty, not a number or below 1 means 1, a number
// above 500 (however large) means 500.
//
// ServerHeaderMiddleware sets "Server: manouche" on every response that
// has none: TFB's verifier requires the header, which net/http does not
// set (it does set Date). ServerHeaderHandler does the same around the
// handler, in net/http code, with no layer.
package tfb
