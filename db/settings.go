package db

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/manouche/manouche"
)

// The engines. Engine takes exactly one of these spellings; Django's
// dotted names are refused with a message naming the one to use, so that
// the connection manager never has to normalise.
const (
	// Postgres is PostgreSQL through lib/pq (Django's
	// "django.db.backends.postgresql").
	Postgres = "postgres"
	// SQLite is SQLite through mattn/go-sqlite3 (Django's
	// "django.db.backends.sqlite3").
	SQLite = "sqlite"
)

// DefaultAlias is the alias every Databases must define (Django's
// DEFAULT_DB_ALIAS).
const DefaultAlias = "default"

// Forever is the ConnMaxAge that never closes a connection for its age:
// Django's CONN_MAX_AGE = None. Any other negative ConnMaxAge is an error.
const Forever time.Duration = -1

// DefaultMaxOpenConns is the bound on a database's open connections when
// MaxOpenConns is 0. Django has no such bound (one connection per worker
// thread); a Go server has no bound on its goroutines, so the pool needs
// one. It is well under PostgreSQL's default max_connections (100).
const DefaultMaxOpenConns = 10

// Database is one entry of Django's DATABASES setting, the Go way. The zero
// value of every field but Engine and DSN is Django's default.
type Database struct {
	// Engine is Postgres ("postgres") or SQLite ("sqlite"). Required.
	Engine string

	// DSN is the driver's data source name, without Options. Required.
	//
	// Postgres: a lib/pq connection string, in keyword form
	// ("host=/var/run/postgresql port=5432 user=app dbname=app") or URL
	// form ("postgres://app@localhost/app").
	//
	// SQLite: a go-sqlite3 file name ("app.db", "/srv/app.db") or a
	// "file:" URI ("file:app.db?mode=ro"). An in-memory database must be
	// a named shared-cache one, "file:<name>?mode=memory&cache=shared", so
	// that every connection of the pool sees the same data; a bare
	// ":memory:" gives each connection its own empty database and is
	// refused. See InMemory.
	DSN string

	// ConnMaxAge is Django's CONN_MAX_AGE: 0 (the default) closes the
	// connection at the end of each request that opened it; a positive
	// duration keeps it across requests until a request start or end finds
	// it that old; Forever never closes it for age.
	ConnMaxAge time.Duration

	// ConnHealthChecks is Django's CONN_HEALTH_CHECKS: probe a reused
	// connection once, before the first query of a request.
	ConnHealthChecks bool

	// AtomicRequests is Django's ATOMIC_REQUESTS: run each view inside a
	// transaction on this database.
	AtomicRequests bool

	// MaxOpenConns bounds the open connections to this database; 0 means
	// DefaultMaxOpenConns. See MaxConns.
	MaxOpenConns int

	// Options are Django's OPTIONS: driver options, which override the
	// same parameter given in DSN.
	//
	// Postgres: any lib/pq connection parameter or server run-time
	// parameter ("sslmode", "connect_timeout", "search_path",
	// "application_name", …), added to the connection string. Keys are
	// letters, digits, '_' and '.'.
	//
	// SQLite: only these keys, translated to go-sqlite3 parameters:
	//
	//	busy_timeout      milliseconds, >= 0 (driver default 5000)  _busy_timeout
	//	journal_mode      DELETE, TRUNCATE, PERSIST, MEMORY, WAL, OFF  _journal_mode
	//	foreign_keys      true/false (default true, as Django)      _foreign_keys
	//	synchronous       OFF, NORMAL, FULL, EXTRA                  _synchronous
	//	transaction_mode  DEFERRED, IMMEDIATE, EXCLUSIVE            _txlock
	//
	// Values are case-insensitive; booleans are true/false, 1/0, yes/no,
	// on/off.
	Options map[string]string
}

// Databases is Django's DATABASES setting: databases by alias. It must
// define DefaultAlias.
type Databases map[string]Database

// Validate checks every database, "default" first and then the others in
// alphabetical order, and returns the first problem as a
// *manouche.ImproperlyConfigured. A problem with one entry is prefixed with
// its alias ("database 'replica': …"). It is meant to run once, when the
// handler or the connection manager is built, never per request.
func (d Databases) Validate() error {
	if _, ok := d[DefaultAlias]; !ok {
		return manouche.Improperlyf("You must define a '%s' database.", DefaultAlias)
	}
	aliases := make([]string, 0, len(d))
	for alias := range d {
		if alias != DefaultAlias {
			aliases = append(aliases, alias)
		}
	}
	slices.Sort(aliases)
	aliases = append([]string{DefaultAlias}, aliases...)
	for _, alias := range aliases {
		if alias == "" || strings.ContainsFunc(alias, isSpaceOrControl) {
			return manouche.Improperlyf("invalid database alias %q: an alias is a non-empty name without spaces", alias)
		}
		if err := d[alias].check(); err != "" {
			return manouche.Improperlyf("database '%s': %s", alias, err)
		}
	}
	return nil
}

// Validate checks one database, as Databases.Validate does for each entry,
// and returns a *manouche.ImproperlyConfigured.
func (d Database) Validate() error {
	if err := d.check(); err != "" {
		return &manouche.ImproperlyConfigured{Message: err}
	}
	return nil
}

// check returns what is wrong with d, or "".
func (d Database) check() string {
	switch d.Engine {
	case Postgres, SQLite:
	case "":
		return "settings.DATABASES is improperly configured. Please supply the ENGINE value. Check settings documentation for more details."
	default:
		if canon, ok := djangoEngines[d.Engine]; ok {
			return fmt.Sprintf("%q isn't an available database backend: set Engine to %q (db.%s), manouche's one name for it.",
				d.Engine, canon, map[string]string{Postgres: "Postgres", SQLite: "SQLite"}[canon])
		}
		return fmt.Sprintf("%q isn't an available database backend.\nTry using %q or %q.", d.Engine, Postgres, SQLite)
	}
	if d.DSN == "" {
		if d.Engine == Postgres {
			return `DSN is empty: set it to a lib/pq connection string, such as "host=localhost dbname=app" or "postgres://app@localhost/app".`
		}
		return `DSN is empty: set it to a file name, such as "app.db", or a "file:" URI.`
	}
	if strings.IndexByte(d.DSN, 0) >= 0 {
		return "DSN contains a NUL byte."
	}
	if d.ConnMaxAge < 0 && d.ConnMaxAge != Forever {
		return fmt.Sprintf("ConnMaxAge is negative (%v): use 0 to close connections at the end of each request, a positive duration to keep them that long, or db.Forever to never close them for age.", d.ConnMaxAge)
	}
	if d.MaxOpenConns < 0 {
		return fmt.Sprintf("MaxOpenConns is negative (%d): use 0 for the default (%d) or a positive bound.", d.MaxOpenConns, DefaultMaxOpenConns)
	}
	if d.Engine == SQLite {
		if msg := checkSQLiteDSN(d.DSN); msg != "" {
			return msg
		}
	}
	for _, key := range sortedKeys(d.Options) {
		if msg := checkOption(d.Engine, key, d.Options[key]); msg != "" {
			return msg
		}
	}
	return ""
}

// djangoEngines maps Django's ENGINE values to ours.
var djangoEngines = map[string]string{
	"django.db.backends.postgresql":          Postgres,
	"django.db.backends.postgresql_psycopg2": Postgres,
	"postgresql":                             Postgres,
	"pgsql":                                  Postgres,
	"django.db.backends.sqlite3":             SQLite,
	"sqlite3":                                SQLite,
}

// checkSQLiteDSN refuses the in-memory forms that do not give the
// connections of a pool one database of their own, and a query string the
// driver cannot parse.
func checkSQLiteDSN(dsn string) string {
	name, query, hasQuery := strings.Cut(dsn, "?")
	if hasQuery {
		if _, err := url.ParseQuery(query); err != nil {
			return fmt.Sprintf("DSN has an invalid query string: %v.", err)
		}
	}
	if name == ":memory:" {
		return `DSN ":memory:" gives each connection its own empty database: use a named shared-cache one, "file:<name>?mode=memory&cache=shared".`
	}
	if !strings.HasPrefix(name, "file:") {
		return ""
	}
	shared := queryGet(query, "cache") == "shared"
	switch {
	case queryGet(query, "vfs") == "memdb" && !strings.HasPrefix(name, "file:/"):
		return `DSN names a memdb database without a leading "/": each connection would get its own empty database; use "file:/<name>?vfs=memdb" (or "file:<name>?mode=memory&cache=shared").`
	case name == "file::memory:" && shared:
		return `DSN "file::memory:?cache=shared" is one in-memory database for the whole process: name it, "file:<name>?mode=memory&cache=shared", so that two handlers do not share data.`
	case (name == "file::memory:" || queryGet(query, "mode") == "memory") && !shared:
		return `DSN names an in-memory database without "cache=shared": each connection would get its own empty database; use "file:<name>?mode=memory&cache=shared".`
	}
	return ""
}

// InMemory reports whether d is an in-memory SQLite database (its DSN is a
// "file:" URI with mode=memory, or SQLite's memdb VFS, vfs=memdb). The
// connection manager keeps one
// connection to such a database open for its whole life, whatever
// ConnMaxAge says, because the data disappears when the last connection
// closes; ConnMaxAge still applies to the other connections.
func (d Database) InMemory() bool {
	if d.Engine != SQLite {
		return false
	}
	name, query, _ := strings.Cut(d.DSN, "?")
	return strings.HasPrefix(name, "file:") && (queryGet(query, "mode") == "memory" || queryGet(query, "vfs") == "memdb")
}

// MaxConns returns the bound on open connections: MaxOpenConns, or
// DefaultMaxOpenConns when it is 0.
func (d Database) MaxConns() int {
	if d.MaxOpenConns == 0 {
		return DefaultMaxOpenConns
	}
	return d.MaxOpenConns
}

// DriverDSN returns the string to give the driver (sql.Open("postgres", …)
// for lib/pq, sql.Open("sqlite3", …) for go-sqlite3): DSN with Options
// added, each replacing the same parameter in DSN. It fails as Validate
// does.
//
// Postgres, keyword DSN: the options are appended in key order as
// key=value pairs, a value single-quoted when it is empty or holds a
// space, a quote or a backslash ("host=db dbname=app sslmode=require
// search_path='a, b'"); lib/pq keeps the last value of a key. URL DSN:
// the options replace or join the query parameters
// ("postgres://db/app?sslmode=require").
//
// SQLite: the options become go-sqlite3 query parameters
// ("app.db?_busy_timeout=5000&_foreign_keys=1"), replacing the same
// parameter and its aliases ("_timeout", "_journal", "_fk", "_sync") in
// DSN. Like Django, foreign keys are on unless Options or DSN turn them
// off: "_foreign_keys=1" is added when neither sets them.
//
// An in-memory database written "file:<name>?mode=memory&cache=shared"
// is given to the driver as "file:/<name>?vfs=memdb": the same named
// in-memory database, shared by the connections of the process, but
// through SQLite's memdb VFS, whose locks are the database-wide ones of a
// file database. Shared-cache mode locks tables instead, and a connection
// that meets another's table lock fails at once ("database table is
// locked") where a busy timeout would have waited, so concurrent requests
// writing in transactions would fail.
func (d Database) DriverDSN() (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	keys := sortedKeys(d.Options)
	if d.Engine == Postgres {
		if isPostgresURL(d.DSN) {
			set := make([][2]string, 0, len(keys))
			for _, k := range keys {
				set = append(set, [2]string{k, d.Options[k]})
			}
			return setQuery(d.DSN, set, keys), nil
		}
		var b strings.Builder
		b.WriteString(d.DSN)
		for _, k := range keys {
			b.WriteByte(' ')
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(quoteKeyword(d.Options[k]))
		}
		return b.String(), nil
	}
	var set [][2]string
	var remove []string
	dsn := d.DSN
	if name, query, _ := strings.Cut(dsn, "?"); d.InMemory() && queryGet(query, "mode") == "memory" {
		if !strings.HasPrefix(name, "file:/") {
			name = "file:/" + strings.TrimPrefix(name, "file:")
		}
		dsn = name + "?" + query
		remove = append(remove, "mode", "cache")
		set = append(set, [2]string{"vfs", "memdb"})
	}
	for _, k := range keys {
		opt := sqliteOptions[k]
		v, _ := opt.value(d.Options[k])
		set = append(set, [2]string{opt.param, v})
		remove = append(remove, opt.param)
		remove = append(remove, opt.aliases...)
	}
	if _, ok := d.Options["foreign_keys"]; !ok {
		_, query, _ := strings.Cut(d.DSN, "?")
		q, _ := url.ParseQuery(query)
		if !q.Has("_foreign_keys") && !q.Has("_fk") {
			set = append(set, [2]string{"_foreign_keys", "1"})
		}
	}
	return setQuery(dsn, set, remove), nil
}

func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// setQuery returns dsn with the query parameters named in remove taken
// out and those in set appended. The other parameters are kept as written.
func setQuery(dsn string, set [][2]string, remove []string) string {
	if len(set) == 0 && len(remove) == 0 {
		return dsn
	}
	base, query, _ := strings.Cut(dsn, "?")
	var pairs []string
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		rawKey, _, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err == nil && slices.Contains(remove, key) {
			continue
		}
		pairs = append(pairs, pair)
	}
	for _, kv := range set {
		pairs = append(pairs, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
	}
	if len(pairs) == 0 {
		return base
	}
	return base + "?" + strings.Join(pairs, "&")
}

// quoteKeyword writes v as a value of a libpq keyword/value connection
// string: as is when it is plain, otherwise (empty, or holding a space as
// lib/pq sees one, a quote or a backslash) in single quotes with ' and \
// escaped by a backslash.
func quoteKeyword(v string) string {
	if v != "" && !strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || r == '\'' || r == '\\' }) {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}

// sqliteOption describes one supported SQLite option: the go-sqlite3
// parameter it becomes (and that parameter's aliases, which it replaces),
// and how its value is checked and written.
type sqliteOption struct {
	param   string
	aliases []string
	value   func(string) (string, bool) // normalised value, ok
	want    string                      // what the value must be, for errors
}

var sqliteOptions = map[string]sqliteOption{
	"busy_timeout": {"_busy_timeout", []string{"_timeout"}, func(v string) (string, bool) {
		n, err := strconv.ParseInt(v, 10, 32)
		return strconv.FormatInt(n, 10), err == nil && n >= 0
	}, "a whole number of milliseconds >= 0"},
	"journal_mode":     {"_journal_mode", []string{"_journal"}, oneOf("DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"), "one of DELETE, TRUNCATE, PERSIST, MEMORY, WAL, OFF"},
	"foreign_keys":     {"_foreign_keys", []string{"_fk"}, boolValue, "true or false"},
	"synchronous":      {"_synchronous", []string{"_sync"}, oneOf("OFF", "NORMAL", "FULL", "EXTRA"), "one of OFF, NORMAL, FULL, EXTRA"},
	"transaction_mode": {"_txlock", nil, lower(oneOf("DEFERRED", "IMMEDIATE", "EXCLUSIVE")), "one of DEFERRED, IMMEDIATE, EXCLUSIVE"},
}

func oneOf(allowed ...string) func(string) (string, bool) {
	return func(v string) (string, bool) {
		u := strings.ToUpper(v)
		return u, slices.Contains(allowed, u)
	}
}

func lower(f func(string) (string, bool)) func(string) (string, bool) {
	return func(v string) (string, bool) {
		u, ok := f(v)
		return strings.ToLower(u), ok
	}
}

func boolValue(v string) (string, bool) {
	b, ok := parseBool(v)
	if b {
		return "1", ok
	}
	return "0", ok
}

// parseBool accepts true/false, 1/0, yes/no and on/off, in any case.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on", "t", "y":
		return true, true
	case "false", "0", "no", "off", "f", "n":
		return false, true
	}
	return false, false
}

func checkOption(engine, key, value string) string {
	if strings.IndexByte(value, 0) >= 0 {
		return fmt.Sprintf("option %q contains a NUL byte.", key)
	}
	if engine == SQLite {
		opt, ok := sqliteOptions[key]
		if !ok {
			return fmt.Sprintf("unknown SQLite option %q: the supported options are %s.", key, strings.Join(sortedKeys(sqliteOptions), ", "))
		}
		if _, ok := opt.value(value); !ok {
			return fmt.Sprintf("SQLite option %s=%q: the value must be %s.", key, value, opt.want)
		}
		return ""
	}
	if !validPostgresKey(key) {
		return fmt.Sprintf("invalid PostgreSQL option name %q: use letters, digits, '_' and '.'.", key)
	}
	return ""
}

func validPostgresKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// queryGet returns the first value of key in a raw query, lower-cased, or "".
func queryGet(query, key string) string {
	q, _ := url.ParseQuery(query)
	return strings.ToLower(q.Get(key))
}
