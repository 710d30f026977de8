package db

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/manouche/manouche"
)

// wantImproperly fails unless err is an *ImproperlyConfigured whose message
// contains want.
func wantImproperly(t *testing.T, err error, want string) {
	t.Helper()
	var ic *manouche.ImproperlyConfigured
	if !errors.As(err, &ic) {
		t.Fatalf("error %v (%T) is not an *ImproperlyConfigured", err, err)
	}
	if !strings.Contains(ic.Message, want) {
		t.Fatalf("error %q does not contain %q", ic.Message, want)
	}
}

func TestValidate(t *testing.T) {
	pg := Database{Engine: Postgres, DSN: "host=localhost dbname=app"}
	lite := Database{Engine: SQLite, DSN: "app.db"}
	with := func(d Database, f func(*Database)) Database { f(&d); return d }
	tests := []struct {
		name string
		dbs  Databases
		want string // "" for valid; else a part of the message
	}{
		{"postgres", Databases{"default": pg}, ""},
		{"sqlite", Databases{"default": lite}, ""},
		{"two aliases", Databases{"default": pg, "replica": lite}, ""},
		{"nil map", nil, "You must define a 'default' database."},
		{"empty map", Databases{}, "You must define a 'default' database."},
		{"no default", Databases{"other": pg}, "You must define a 'default' database."},
		{"no engine", Databases{"default": {DSN: "x"}}, "database 'default': settings.DATABASES is improperly configured. Please supply the ENGINE value. Check settings documentation for more details."},
		{"no engine other alias", Databases{"default": pg, "zz": {DSN: "x"}}, "database 'zz': settings.DATABASES is improperly configured. Please supply the ENGINE value."},
		{"default checked first", Databases{"a": {DSN: "x"}, "default": {Engine: "mysql", DSN: "x"}}, "database 'default': \"mysql\" isn't an available database backend.\nTry using \"postgres\" or \"sqlite\"."},
		{"django postgres name", Databases{"default": with(pg, func(d *Database) { d.Engine = "django.db.backends.postgresql" })}, `set Engine to "postgres" (db.Postgres)`},
		{"django sqlite name", Databases{"default": with(lite, func(d *Database) { d.Engine = "sqlite3" })}, `set Engine to "sqlite" (db.SQLite)`},
		{"engine case", Databases{"default": with(pg, func(d *Database) { d.Engine = "Postgres" })}, `"Postgres" isn't an available database backend`},
		{"empty alias", Databases{"default": pg, "": pg}, `invalid database alias ""`},
		{"alias with space", Databases{"default": pg, "a b": pg}, `invalid database alias "a b"`},
		{"empty DSN postgres", Databases{"default": {Engine: Postgres}}, "DSN is empty: set it to a lib/pq connection string"},
		{"empty DSN sqlite", Databases{"default": {Engine: SQLite}}, "DSN is empty: set it to a file name"},
		{"NUL in DSN", Databases{"default": {Engine: Postgres, DSN: "dbname=a\x00b"}}, "DSN contains a NUL byte."},
		{"max age 0", Databases{"default": with(pg, func(d *Database) { d.ConnMaxAge = 0 })}, ""},
		{"max age positive", Databases{"default": with(pg, func(d *Database) { d.ConnMaxAge = time.Minute })}, ""},
		{"max age forever", Databases{"default": with(pg, func(d *Database) { d.ConnMaxAge = Forever })}, ""},
		{"max age negative", Databases{"default": with(pg, func(d *Database) { d.ConnMaxAge = -2 })}, "ConnMaxAge is negative (-2ns)"},
		{"max age -1s", Databases{"default": with(pg, func(d *Database) { d.ConnMaxAge = -time.Second })}, "ConnMaxAge is negative (-1s)"},
		{"max open negative", Databases{"default": with(pg, func(d *Database) { d.MaxOpenConns = -1 })}, "MaxOpenConns is negative (-1): use 0 for the default (10)"},
		{"max open positive", Databases{"default": with(pg, func(d *Database) { d.MaxOpenConns = 50 })}, ""},
		{"pg options", Databases{"default": with(pg, func(d *Database) {
			d.Options = map[string]string{"sslmode": "disable", "search_path": "a, b", "application_name": "", "statement_timeout": "5s"}
		})}, ""},
		{"pg option bad key", Databases{"default": with(pg, func(d *Database) { d.Options = map[string]string{"ssl mode": "x"} })}, `invalid PostgreSQL option name "ssl mode"`},
		{"pg option empty key", Databases{"default": with(pg, func(d *Database) { d.Options = map[string]string{"": "x"} })}, `invalid PostgreSQL option name ""`},
		{"option NUL", Databases{"default": with(pg, func(d *Database) { d.Options = map[string]string{"a": "\x00"} })}, `option "a" contains a NUL byte.`},
		{"sqlite options", Databases{"default": with(lite, func(d *Database) {
			d.Options = map[string]string{"busy_timeout": "2000", "journal_mode": "wal", "foreign_keys": "off", "synchronous": "Normal", "transaction_mode": "IMMEDIATE"}
		})}, ""},
		{"sqlite unknown option", Databases{"default": with(lite, func(d *Database) { d.Options = map[string]string{"_busy_timeout": "1"} })}, `unknown SQLite option "_busy_timeout": the supported options are busy_timeout, foreign_keys, journal_mode, synchronous, transaction_mode.`},
		{"sqlite bad timeout", Databases{"default": with(lite, func(d *Database) { d.Options = map[string]string{"busy_timeout": "-1"} })}, `SQLite option busy_timeout="-1": the value must be a whole number of milliseconds >= 0.`},
		{"sqlite bad journal", Databases{"default": with(lite, func(d *Database) { d.Options = map[string]string{"journal_mode": "fast"} })}, `journal_mode="fast"`},
		{"sqlite bad bool", Databases{"default": with(lite, func(d *Database) { d.Options = map[string]string{"foreign_keys": "maybe"} })}, `foreign_keys="maybe": the value must be true or false.`},
		{"sqlite bad txmode", Databases{"default": with(lite, func(d *Database) { d.Options = map[string]string{"transaction_mode": "lazy"} })}, `transaction_mode="lazy"`},
		{"sqlite bare memory", Databases{"default": {Engine: SQLite, DSN: ":memory:"}}, `DSN ":memory:" gives each connection its own empty database`},
		{"sqlite file::memory:", Databases{"default": {Engine: SQLite, DSN: "file::memory:"}}, `without "cache=shared"`},
		{"sqlite process-wide memory", Databases{"default": {Engine: SQLite, DSN: "file::memory:?cache=shared"}}, `is one in-memory database for the whole process`},
		{"sqlite memory not shared", Databases{"default": {Engine: SQLite, DSN: "file:x?mode=memory"}}, `without "cache=shared"`},
		{"sqlite named memory", Databases{"default": {Engine: SQLite, DSN: "file:x?mode=memory&cache=shared"}}, ""},
		{"sqlite memdb", Databases{"default": {Engine: SQLite, DSN: "file:/x?vfs=memdb"}}, ""},
		{"sqlite memdb without slash", Databases{"default": {Engine: SQLite, DSN: "file:x?vfs=memdb"}}, `without a leading "/"`},
		{"sqlite memory forever not needed", Databases{"default": {Engine: SQLite, DSN: "file:x?mode=memory&cache=shared", ConnMaxAge: 0}}, ""},
		{"sqlite file URI", Databases{"default": {Engine: SQLite, DSN: "file:app.db?mode=ro"}}, ""},
		{"sqlite bad query", Databases{"default": {Engine: SQLite, DSN: "app.db?a=%zz"}}, "DSN has an invalid query string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.dbs.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantImproperly(t, err, tt.want)
		})
	}
}

func TestDatabaseValidateHasNoAlias(t *testing.T) {
	err := Database{Engine: "oracle", DSN: "x"}.Validate()
	wantImproperly(t, err, `"oracle" isn't an available database backend.`)
	if strings.Contains(err.Error(), "database '") {
		t.Errorf("Database.Validate names an alias: %q", err)
	}
}

func TestInMemoryAndMaxConns(t *testing.T) {
	tests := []struct {
		d        Database
		inMemory bool
		max      int
	}{
		{Database{Engine: SQLite, DSN: "file:m?mode=memory&cache=shared"}, true, DefaultMaxOpenConns},
		{Database{Engine: SQLite, DSN: "file:/m?vfs=memdb"}, true, DefaultMaxOpenConns},
		{Database{Engine: SQLite, DSN: "file:m?cache=shared&mode=MEMORY", MaxOpenConns: 3}, true, 3},
		{Database{Engine: SQLite, DSN: "app.db"}, false, DefaultMaxOpenConns},
		{Database{Engine: SQLite, DSN: "memory.db?mode=memory"}, false, DefaultMaxOpenConns}, // go-sqlite3 ignores mode on a file name
		{Database{Engine: Postgres, DSN: "file:m?mode=memory&cache=shared", MaxOpenConns: 1}, false, 1},
	}
	for _, tt := range tests {
		if got := tt.d.InMemory(); got != tt.inMemory {
			t.Errorf("%+v InMemory() = %v, want %v", tt.d, got, tt.inMemory)
		}
		if got := tt.d.MaxConns(); got != tt.max {
			t.Errorf("%+v MaxConns() = %d, want %d", tt.d, got, tt.max)
		}
	}
}

func TestDriverDSN(t *testing.T) {
	tests := []struct {
		name string
		d    Database
		want string
	}{
		{"pg keyword, no options", Database{Engine: Postgres, DSN: "host=h dbname=d"}, "host=h dbname=d"},
		{"pg keyword, options sorted and quoted", Database{Engine: Postgres, DSN: "host=h dbname=d", Options: map[string]string{
			"sslmode": "disable", "search_path": "a, b", "application_name": "", "x": `it's \`,
		}}, `host=h dbname=d application_name='' search_path='a, b' sslmode=disable x='it\'s \\'`},
		{"pg URL, options replace", Database{Engine: Postgres, DSN: "postgres://u@h/d?sslmode=require&connect_timeout=3", Options: map[string]string{"sslmode": "disable"}},
			"postgres://u@h/d?connect_timeout=3&sslmode=disable"},
		{"pg URL, options added", Database{Engine: Postgres, DSN: "postgresql://h/d", Options: map[string]string{"search_path": "a b"}},
			"postgresql://h/d?search_path=a+b"},
		{"sqlite file", Database{Engine: SQLite, DSN: "app.db"}, "app.db?_foreign_keys=1"},
		{"sqlite options", Database{Engine: SQLite, DSN: "app.db", Options: map[string]string{
			"busy_timeout": "100", "journal_mode": "wal", "foreign_keys": "no", "synchronous": "normal", "transaction_mode": "Immediate",
		}}, "app.db?_busy_timeout=100&_foreign_keys=0&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"},
		{"sqlite options replace aliases", Database{Engine: SQLite, DSN: "file:app.db?mode=rwc&_timeout=9&_fk=0&_journal=DELETE", Options: map[string]string{"busy_timeout": "100", "journal_mode": "wal"}},
			"file:app.db?mode=rwc&_fk=0&_busy_timeout=100&_journal_mode=WAL"},
		{"sqlite DSN turns fk off", Database{Engine: SQLite, DSN: "app.db?_foreign_keys=false"}, "app.db?_foreign_keys=false"},
		{"sqlite memory", Database{Engine: SQLite, DSN: "file:m?mode=memory&cache=shared"}, "file:/m?vfs=memdb&_foreign_keys=1"},
		{"sqlite memory with options", Database{Engine: SQLite, DSN: "file:m?cache=shared&mode=memory&_busy_timeout=10", Options: map[string]string{"synchronous": "off"}}, "file:/m?_busy_timeout=10&vfs=memdb&_synchronous=OFF&_foreign_keys=1"},
		{"sqlite memdb", Database{Engine: SQLite, DSN: "file:/m?vfs=memdb"}, "file:/m?vfs=memdb&_foreign_keys=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.d.DriverDSN()
			if err != nil {
				t.Fatalf("DriverDSN: %v", err)
			}
			if got != tt.want {
				t.Errorf("DriverDSN() =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
	if _, err := (Database{Engine: Postgres}).DriverDSN(); err == nil {
		t.Error("DriverDSN of an invalid database: no error")
	}
}

// TestQuoteKeyword checks the quoting against a reader of lib/pq's
// keyword/value grammar.
func TestQuoteKeyword(t *testing.T) {
	for _, v := range []string{"", "plain", "a b", "it's", `back\slash`, "tab\there", "nbsp\u00a0x", "=", "'", `\`, "ünï"} {
		q := quoteKeyword(v)
		got, rest, ok := readKeywordValue(q)
		if !ok || rest != "" || got != v {
			t.Errorf("quoteKeyword(%q) = %q, read back as %q (rest %q, ok %v)", v, q, got, rest, ok)
		}
	}
}

// readKeywordValue reads one value as lib/pq's parseOpts does.
func readKeywordValue(s string) (value, rest string, ok bool) {
	rs := []rune(s)
	var b []rune
	i := 0
	if len(rs) > 0 && rs[0] == '\'' {
		for i = 1; i < len(rs); i++ {
			switch rs[i] {
			case '\\':
				i++
				if i == len(rs) {
					return "", "", false
				}
				b = append(b, rs[i])
			case '\'':
				return string(b), string(rs[i+1:]), true
			default:
				b = append(b, rs[i])
			}
		}
		return "", "", false
	}
	for ; i < len(rs) && !unicode.IsSpace(rs[i]); i++ {
		if rs[i] == '\\' {
			i++
			if i == len(rs) {
				return "", "", false
			}
		}
		b = append(b, rs[i])
	}
	return string(b), string(rs[i:]), true
}
