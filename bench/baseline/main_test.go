package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/tfb"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// The fortunes of TFB.md, typed again here so that a typo on either side
// shows.
var wantFortunes = []string{
	1:  "fortune: No such file or directory",
	2:  "A computer scientist is someone who fixes things that aren't broken.",
	3:  "After enough decimal places, nobody gives a damn.",
	4:  "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
	5:  "A computer program does what you tell it to do, not what you want it to do.",
	6:  "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
	7:  "Any program that runs right is obsolete.",
	8:  "A list is only as strong as its weakest link. — Donald Knuth",
	9:  "Feature: A bug with seniority.",
	10: "Computers make very fast, very accurate mistakes.",
	11: `<script>alert("This should not be displayed in a browser alert box.");</script>`,
	12: "フレームワークのベンチマーク",
}

// expectedFortunes is TFB's fortunes page built from TFB.md: the 12
// fortunes and the one added at request time, sorted by message, escaped.
func expectedFortunes() string {
	type row struct {
		id  int
		msg string
	}
	rows := []row{{0, "Additional fortune added at request time."}}
	for id, msg := range wantFortunes[1:] {
		rows = append(rows, row{id + 1, msg})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.msg, b.msg) })
	var sb strings.Builder
	sb.WriteString("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>")
	for _, r := range rows {
		fmt.Fprintf(&sb, "<tr><td>%d</td><td>%s</td></tr>", r.id, html.EscapeString(r.msg))
	}
	sb.WriteString("</table></body></html>")
	return sb.String()
}

const (
	ctJSON = "application/json"
	ctText = "text/plain; charset=utf-8"
	ctHTML = "text/html; charset=utf-8"
)

// env is a baseline app on a migrated database, served by a real server.
type env struct {
	d   db.Database
	a   *app
	srv *httptest.Server
}

// databaseURL returns a fresh database of engine as a DATABASE_URL.
func databaseURL(t *testing.T, engine string) string {
	if engine == db.Postgres {
		return pgtest.URL(t)
	}
	return "sqlite:///" + filepath.ToSlash(filepath.Join(t.TempDir(), "baseline.db"))
}

// newEnv configures the baseline as the environment would (DATABASE_URL,
// CONN_MAX_AGE), opens and migrates its database and serves it.
func newEnv(t *testing.T, dbURL, connMaxAge string) *env {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": dbURL, "CONN_MAX_AGE": connMaxAge}
	d, err := configFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := open(context.Background(), d, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.router())
	t.Cleanup(srv.Close)
	return &env{d: d, a: a, srv: srv}
}

// get requests path from srv with the Host name the benchmark sends.
func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "tfb-server:8080"
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// burst requests path n times from workers goroutines at once and fails
// unless every answer is a 200.
func burst(srv *httptest.Server, path string, workers, n int) error {
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range jobs {
				resp, err := srv.Client().Get(srv.URL + path)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("%s: status %d", path, resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// checkHeaders applies TFB's rules for every endpoint.
func checkHeaders(resp *http.Response, body []byte, contentType string) error {
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d (body %.200q)", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Server"); got != tfb.ServerHeader {
		return fmt.Errorf("Server %q, want manouche's %q", got, tfb.ServerHeader)
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return fmt.Errorf("Date %q: %v", resp.Header.Get("Date"), err)
	}
	if d := time.Since(date); d < -3*time.Second || d > 5*time.Second {
		return fmt.Errorf("Date %q is %v away from now", resp.Header.Get("Date"), d)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		return fmt.Errorf("Content-Type %q, want %q", got, contentType)
	}
	if resp.ContentLength != int64(len(body)) {
		return fmt.Errorf("Content-Length %d for a body of %d bytes", resp.ContentLength, len(body))
	}
	return nil
}

// checkWorlds checks a JSON World object (n < 0) or an array of n of
// them: exactly the keys id and randomNumber, integers in 1..10000.
func checkWorlds(body []byte, n int) ([]world, error) {
	var raws []json.RawMessage
	if n < 0 {
		raws = []json.RawMessage{body}
	} else if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("not a JSON array: %.200q: %v", body, err)
	} else if len(raws) != n {
		return nil, fmt.Errorf("%d objects, want %d", len(raws), n)
	}
	ws := make([]world, len(raws))
	for i, raw := range raws {
		var obj map[string]json.Number
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("object %d: %s: %v", i, raw, err)
		}
		id, err1 := obj["id"].Int64()
		rn, err2 := obj["randomNumber"].Int64()
		if len(obj) != 2 || err1 != nil || err2 != nil || id < 1 || id > worldRows || rn < 1 || rn > worldRows {
			return nil, fmt.Errorf("object %d: %s is not a World row", i, raw)
		}
		ws[i] = world{int(id), int(rn)}
	}
	return ws, nil
}

func worlds(n int) func([]byte) error {
	return func(body []byte) error { _, err := checkWorlds(body, n); return err }
}

func exactBody(want string) func([]byte) error {
	return func(body []byte) error {
		if string(body) != want {
			return fmt.Errorf("body\n got %q\nwant %q", body, want)
		}
		return nil
	}
}

// TestEndpoints applies TFB's verifier rules to every endpoint, with
// CONN_MAX_AGE 0 (a connection per request) and 60 (pooled), on SQLite
// and PostgreSQL.
func TestEndpoints(t *testing.T) {
	type tc struct {
		path, ctype string
		check       func([]byte) error
	}
	cases := []tc{
		{"/json", ctJSON, exactBody(`{"message":"Hello, World!"}`)},
		{"/plaintext", ctText, exactBody("Hello, World!")},
		{"/db", ctJSON, worlds(-1)},
		{"/fortunes", ctHTML, func(body []byte) error {
			// html/template writes "+" as "&#43;", which html.EscapeString
			// leaves alone; TFB's verifier parses the page, so both pass.
			return exactBody(expectedFortunes())([]byte(strings.ReplaceAll(string(body), "&#43;", "+")))
		}},
		{"/cached-queries?queries=20", ctJSON, worlds(1)}, // only count counts
	}
	clamping := []struct {
		query string
		n     int
	}{{"", 1}, {"=", 1}, {"=foo", 1}, {"=0", 1}, {"=-3", 1}, {"=1", 1}, {"=20", 20}, {"=500", 500}, {"=501", 500}, {"=99999999999999999999999", 500}}
	for _, ep := range []struct{ path, param string }{{"/queries", "queries"}, {"/updates", "queries"}, {"/cached-queries", "count"}} {
		for _, c := range clamping {
			p := ep.path
			if c.query != "" {
				p += "?" + ep.param + c.query
			}
			cases = append(cases, tc{p, ctJSON, worlds(c.n)})
		}
	}
	for _, engine := range []string{db.SQLite, db.Postgres} {
		for _, age := range []string{"0", "60"} {
			t.Run(engine+"/CONN_MAX_AGE="+age, func(t *testing.T) {
				e := newEnv(t, databaseURL(t, engine), age)
				for _, c := range cases {
					resp, body := get(t, e.srv, c.path)
					if err := checkHeaders(resp, body, c.ctype); err != nil {
						t.Errorf("%s: %v", c.path, err)
						continue
					}
					if err := c.check(body); err != nil {
						t.Errorf("%s: %v", c.path, err)
					}
				}
				resp, _ := get(t, e.srv, "/nope")
				if resp.StatusCode != 404 || resp.Header.Get("Server") != tfb.ServerHeader {
					t.Errorf("/nope: status %d, Server %q", resp.StatusCode, resp.Header.Get("Server"))
				}
				// The connections, under more concurrent requests than
				// the bound: with CONN_MAX_AGE 0 each request's is closed
				// when it ends (none is handed on to a waiting request),
				// with 60 they are kept; never more than manouche's bound.
				before := e.a.db.Stats()
				const requests = 64
				if err := burst(e.srv, "/db", 2*db.DefaultMaxOpenConns, requests); err != nil {
					t.Fatal(err)
				}
				s := e.a.db.Stats()
				closed := s.MaxIdleClosed - before.MaxIdleClosed
				if s.MaxOpenConnections != db.DefaultMaxOpenConns {
					t.Errorf("MaxOpenConnections %d, want %d", s.MaxOpenConnections, db.DefaultMaxOpenConns)
				}
				if age == "0" && (s.Idle != 0 || s.OpenConnections != 0 || closed != requests) {
					t.Errorf("CONN_MAX_AGE 0: %d idle, %d open, %d closed after %d requests; want 0, 0, %d", s.Idle, s.OpenConnections, closed, requests, requests)
				}
				if age == "60" && (s.Idle == 0 || closed != 0) {
					t.Errorf("CONN_MAX_AGE 60: %d idle, %d closed; want some and 0", s.Idle, closed)
				}
			})
		}
	}
}

// TestUpdates checks TFB's rule for /updates?queries=500 (at least 90%
// of the rows really change; here every one does) and that the response
// shows what the table holds, on both engines.
func TestUpdates(t *testing.T) {
	for _, engine := range []string{db.SQLite, db.Postgres} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, databaseURL(t, engine), "60")
			table := func() map[int]int {
				var rows []world
				if err := e.a.db.Select(&rows, "SELECT id, randomnumber FROM world"); err != nil {
					t.Fatal(err)
				}
				m := make(map[int]int, len(rows))
				for _, r := range rows {
					m[r.ID] = r.RandomNumber
				}
				return m
			}
			before := table()
			if len(before) != worldRows {
				t.Fatalf("world has %d rows", len(before))
			}
			resp, body := get(t, e.srv, "/updates?queries=500")
			if err := checkHeaders(resp, body, ctJSON); err != nil {
				t.Fatal(err)
			}
			ws, err := checkWorlds(body, 500)
			if err != nil {
				t.Fatal(err)
			}
			after := table()
			for _, w := range ws {
				if after[w.ID] != w.RandomNumber || before[w.ID] == after[w.ID] {
					t.Errorf("id %d: before %d, response %d, table %d", w.ID, before[w.ID], w.RandomNumber, after[w.ID])
				}
			}
			changed := 0
			for id := range after {
				if after[id] != before[id] {
					changed++
				}
			}
			distinct := map[int]bool{}
			for _, w := range ws {
				distinct[w.ID] = true
			}
			if changed != len(distinct) {
				t.Errorf("%d rows changed, want the %d distinct ids of the response", changed, len(distinct))
			}
		})
	}
}

// manoucheHandler builds example_app/tfb's endpoints as an application
// does (the Server layer, Django's default stack, the template engine,
// the manager installed) on d, a database the baseline has migrated.
func manoucheHandler(t *testing.T, d db.Database) http.Handler {
	t.Helper()
	m, err := db.NewManager(db.Databases{db.DefaultAlias: d}, db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	eng, err := templates.NewEngine(templates.Config{FS: []fs.FS{tfb.Templates()}})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := urls.New(tfb.New(m, db.DefaultAlias, eng).URLs())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "baseline-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"},
		URLConf:    conf,
		Middleware: append([]middleware.Factory{tfb.ServerHeaderMiddleware()}, middleware.Default(nil)...),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Install(h.Signals())
	return h
}

// TestSameAsManouche serves example_app/tfb's endpoints and the
// baseline's from one SQLite database and compares them: the same bodies
// where TFB fixes them (/json, /plaintext, /fortunes), the same shape
// elsewhere, the same Server and Content-Type everywhere.
func TestSameAsManouche(t *testing.T) {
	e := newEnv(t, databaseURL(t, db.SQLite), "60")
	ms := httptest.NewServer(manoucheHandler(t, e.d))
	t.Cleanup(ms.Close)
	for _, c := range []struct {
		path  string
		exact bool
		n     int
	}{
		{"/json", true, 0}, {"/plaintext", true, 0}, {"/fortunes", true, 0},
		{"/db", false, -1}, {"/queries?queries=7", false, 7}, {"/updates?queries=3", false, 3},
		{"/cached-queries?count=600", false, 500},
	} {
		mresp, mbody := get(t, ms, c.path)
		bresp, bbody := get(t, e.srv, c.path)
		if mresp.StatusCode != 200 || bresp.StatusCode != 200 {
			t.Errorf("%s: status %d from manouche, %d from the baseline", c.path, mresp.StatusCode, bresp.StatusCode)
			continue
		}
		for _, h := range []string{"Server", "Content-Type", "Content-Length"} {
			if h == "Content-Length" && !c.exact {
				continue
			}
			if m, b := mresp.Header.Get(h), bresp.Header.Get(h); m != b {
				t.Errorf("%s: %s %q from manouche, %q from the baseline", c.path, h, m, b)
			}
		}
		if c.exact {
			if string(mbody) != string(bbody) {
				t.Errorf("%s: bodies differ\nmanouche %q\nbaseline %q", c.path, mbody, bbody)
			}
			continue
		}
		if _, err := checkWorlds(mbody, c.n); err != nil {
			t.Errorf("%s from manouche: %v", c.path, err)
		}
		if _, err := checkWorlds(bbody, c.n); err != nil {
			t.Errorf("%s from the baseline: %v", c.path, err)
		}
	}
}

// TestConfig checks the reading of the environment and the SQLite
// parameters manouche's manager adds.
func TestConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	d, err := configFromEnv(env(nil))
	if err != nil || d.Engine != db.SQLite || d.DSN != ".manouche/baseline.sqlite3" || d.ConnMaxAge != 0 {
		t.Errorf("default: %+v, %v", d, err)
	}
	d, err = configFromEnv(env(map[string]string{"DATABASE_URL": "postgres://u@%2Ftmp/x?max_open_conns=3", "CONN_MAX_AGE": "none"}))
	if err != nil || d.Engine != db.Postgres || d.ConnMaxAge != db.Forever || d.MaxConns() != 3 {
		t.Errorf("postgres, none: %+v, %v", d, err)
	}
	for _, vars := range []map[string]string{{"CONN_MAX_AGE": "-1"}, {"CONN_MAX_AGE": "1m"}, {"DATABASE_URL": "mysql://x/y"}} {
		if _, err := configFromEnv(env(vars)); err == nil {
			t.Errorf("%v: no error", vars)
		}
	}
	for dsn, want := range map[string]string{
		"a.db?_foreign_keys=1":                             "a.db?_foreign_keys=1&_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate",
		"a.db?_journal=DELETE&_timeout=1&_txlock=deferred": "a.db?_journal=DELETE&_timeout=1&_txlock=deferred",
		"a.db?mode=ro":                                     "a.db?mode=ro&_busy_timeout=5000&_txlock=immediate",
	} {
		if got := sqliteDSN(dsn, false); got != want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
	if got, want := sqliteDSN("file:/memdb?vfs=memdb", true), "file:/memdb?vfs=memdb&_busy_timeout=5000&_txlock=immediate"; got != want {
		t.Errorf("in memory: %q, want %q", got, want)
	}
}

// TestInMemory serves from an in-memory SQLite database with a
// connection per request: the keeper keeps the data between requests.
func TestInMemory(t *testing.T) {
	e := newEnv(t, "sqlite://:memory:?name=baseline_test", "0")
	for range 3 {
		resp, body := get(t, e.srv, "/queries?queries=5")
		if err := checkHeaders(resp, body, ctJSON); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRun starts the command on a free port, requests a page and stops it
// as SIGTERM would.
func TestRun(t *testing.T) {
	dbURL := databaseURL(t, db.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"127.0.0.1:0"}, func(k string) string {
			return map[string]string{"DATABASE_URL": dbURL}[k]
		}, pw, io.Discard)
		pw.CloseWithError(err)
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	_, rest, ok := strings.Cut(line, "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v", line, err)
	}
	base, _, _ := strings.Cut(rest, " ")
	resp, err := http.Get(strings.TrimSuffix(base, "/") + "/plaintext")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Hello, World!" {
		t.Errorf("/plaintext: %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	if err := run(context.Background(), []string{"a", "b"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("two arguments: no error")
	}
}
