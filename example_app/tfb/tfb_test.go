package tfb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"sync"
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

var engines = []string{"sqlite", "postgres"}

// The data of TFB.md, typed again here rather than taken from the
// package, so that a typo on either side shows.
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

const worldRows = 10000

func database(t testing.TB, engine string) db.Database {
	t.Helper()
	switch engine {
	case "sqlite":
		return db.Database{Engine: db.SQLite, DSN: filepath.Join(t.TempDir(), "tfb.db")}
	case "postgres":
		return db.Database{Engine: db.Postgres, DSN: pgtest.URL(t)}
	}
	t.Fatalf("unknown engine %q", engine)
	return db.Database{}
}

// newManager returns a manager of a fresh, empty database.
func newManager(t testing.TB, engine string) *db.Manager {
	t.Helper()
	m, err := db.NewManager(db.Databases{db.DefaultAlias: database(t, engine)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// newHandler builds the handler as an application would: the TFB URLs
// behind the Server layer and Django's whole default stack, the template
// engine over tfb.Templates(), the manager installed on its signals.
func newHandler(t testing.TB, m *db.Manager) *handler.Handler {
	t.Helper()
	eng, err := templates.NewEngine(templates.Config{FS: []fs.FS{tfb.Templates()}})
	if err != nil {
		t.Fatal(err)
	}
	app := tfb.New(m, db.DefaultAlias, eng)
	conf, err := urls.New(app.URLs())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "tfb-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"},
		URLConf:    conf,
		Middleware: append([]middleware.Factory{tfb.ServerHeaderMiddleware()}, middleware.Default(nil)...),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Install(h.Signals())
	return h
}

// env is a migrated database served by a real server.
type env struct {
	m      *db.Manager
	srv    *httptest.Server
	client *http.Client
}

func newEnv(t testing.TB, engine string, migrate bool) *env {
	t.Helper()
	m := newManager(t, engine)
	if migrate {
		if err := tfb.Migrate(context.Background(), m, db.DefaultAlias); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(newHandler(t, m))
	t.Cleanup(srv.Close)
	// No transparent gzip: the headers are checked as sent.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}}
	t.Cleanup(client.CloseIdleConnections)
	return &env{m: m, srv: srv, client: client}
}

// get requests path with the Host name the benchmark sends (its own, not
// the server's address: ALLOWED_HOSTS must accept it).
func (e *env) get(path string) (*http.Response, []byte, error) {
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Host = "tfb-server:8080"
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// table reads the World table: rn[id] is the randomnumber of id.
func (e *env) table(t *testing.T) []int {
	t.Helper()
	ctx, finish := e.m.Background(context.Background())
	defer finish()
	c, err := e.m.Conn(ctx, db.DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID int `db:"id"`
		RN int `db:"randomnumber"`
	}
	if err := c.SelectContext(ctx, &rows, "SELECT id, randomnumber FROM world"); err != nil {
		t.Fatal(err)
	}
	rn := make([]int, worldRows+1)
	for _, r := range rows {
		if r.ID < 1 || r.ID > worldRows || rn[r.ID] != 0 {
			t.Fatalf("world holds id %d", r.ID)
		}
		if r.RN < 1 || r.RN > worldRows {
			t.Fatalf("world %d has randomnumber %d", r.ID, r.RN)
		}
		rn[r.ID] = r.RN
	}
	if len(rows) != worldRows {
		t.Fatalf("world has %d rows", len(rows))
	}
	return rn
}

// exec runs a statement in a Background scope.
func (e *env) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	ctx, finish := e.m.Background(context.Background())
	defer finish()
	c, err := e.m.Conn(ctx, db.DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
}

// checkHeaders applies TFB's rules for every endpoint.
func checkHeaders(resp *http.Response, contentType string) error {
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Server"); got != tfb.ServerHeader {
		return fmt.Errorf("Server %q", got)
	}
	// TFB checks that two requests 3 s apart carry different Dates. Instead
	// of sleeping 3 s: the Date is a valid HTTP date within a few seconds
	// of now, which net/http computes per response.
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
	if resp.Header.Get("Content-Length") == "" && len(resp.TransferEncoding) == 0 {
		return errors.New("neither Content-Length nor Transfer-Encoding")
	}
	return nil
}

// checkWorld checks one World object: exactly the keys id and
// randomNumber, integers in 1..10000.
func checkWorld(raw []byte) (id, rn int, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return 0, 0, fmt.Errorf("not a JSON object: %s: %v", raw, err)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"id", "randomNumber"}) {
		return 0, 0, fmt.Errorf("keys %v in %s", keys, raw)
	}
	var vals [2]int
	for i, k := range keys {
		n, ok := obj[k].(json.Number)
		if !ok {
			return 0, 0, fmt.Errorf("%s is not a number in %s", k, raw)
		}
		v, err := n.Int64()
		if err != nil || v < 1 || v > worldRows {
			return 0, 0, fmt.Errorf("%s = %s, not in 1..%d", k, n, worldRows)
		}
		vals[i] = int(v)
	}
	return vals[0], vals[1], nil
}

type world struct {
	ID           int `json:"id"`
	RandomNumber int `json:"randomNumber"`
}

// checkWorlds checks a JSON array of n World objects and returns them.
func checkWorlds(body []byte, n int) ([]world, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("not a JSON array: %q: %v", body, err)
	}
	if len(raws) != n {
		return nil, fmt.Errorf("%d objects, want %d", len(raws), n)
	}
	ws := make([]world, n)
	for i, raw := range raws {
		id, rn, err := checkWorld(raw)
		if err != nil {
			return nil, fmt.Errorf("object %d: %v", i, err)
		}
		ws[i] = world{id, rn}
	}
	return ws, nil
}

// expectedFortunes is TFB's fortunes page, built from the fortunes of
// TFB.md and the one added at request time, sorted by message in byte
// order, escaped.
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

// normalize makes the equivalent escapes equal, as TFB's verifier does
// when it parses the page: html/template writes "+" as "&#43;", which
// html.EscapeString leaves alone.
func normalize(s string) string { return strings.ReplaceAll(s, "&#43;", "+") }

func checkFortunes(body []byte) error {
	got := string(body)
	if want := expectedFortunes(); normalize(got) != want {
		return fmt.Errorf("fortunes page\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(got, "<tr><td>11</td><td>&lt;script&gt;alert(&#34;This should not be displayed in a browser alert box.&#34;);&lt;/script&gt;</td></tr>") {
		return errors.New("row 11 is not escaped as expected")
	}
	if strings.Contains(got, "<script>") {
		return errors.New("a <script> tag is in the page")
	}
	if !strings.Contains(got, "<tr><td>12</td><td>フレームワークのベンチマーク</td></tr>") {
		return errors.New("row 12 is not intact")
	}
	return nil
}

func exactBody(want string) func([]byte) error {
	return func(body []byte) error {
		if string(body) != want {
			return fmt.Errorf("body %q, want %q", body, want)
		}
		return nil
	}
}

func worlds(n int) func([]byte) error {
	return func(body []byte) error {
		_, err := checkWorlds(body, n)
		return err
	}
}

const (
	ctJSON = "application/json"
	ctText = "text/plain; charset=utf-8"
	ctHTML = "text/html; charset=utf-8"
)

// TestVerifier applies TFB's verifier rules to every endpoint.
func TestVerifier(t *testing.T) {
	type tc struct {
		path  string
		ctype string
		check func(body []byte) error
	}
	cases := []tc{
		{"/json", ctJSON, exactBody(`{"message":"Hello, World!"}`)},
		{"/plaintext", ctText, exactBody("Hello, World!")},
		{"/db", ctJSON, func(body []byte) error { _, _, err := checkWorld(body); return err }},
		{"/fortunes", ctHTML, checkFortunes},
		// Only the count parameter counts for /cached-queries.
		{"/cached-queries?queries=20", ctJSON, worlds(1)},
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
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, true)
			for _, c := range cases {
				t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
					resp, body, err := e.get(c.path)
					if err != nil {
						t.Fatal(err)
					}
					if err := checkHeaders(resp, c.ctype); err != nil {
						t.Fatalf("%s: %v (body %.200q)", c.path, err, body)
					}
					if err := c.check(body); err != nil {
						t.Fatalf("%s: %v", c.path, err)
					}
				})
			}
		})
	}
}

// TestUpdates checks TFB's rule for /updates?queries=500 — at least 90%
// of the rows of the response really changed in the table — and more:
// every row read changed (the view draws a number other than the old
// one), the response shows what the table holds, including for an id
// read twice, and no other row changed.
func TestUpdates(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, true)
			// 500 ids out of 10,000 repeat one with probability 1 - 4e-6; a
			// few requests make sure the repeated-id path is taken.
			dups := 0
			for round := 0; round < 3 && dups == 0; round++ {
				before := e.table(t)
				resp, body, err := e.get("/updates?queries=500")
				if err != nil {
					t.Fatal(err)
				}
				if err := checkHeaders(resp, ctJSON); err != nil {
					t.Fatal(err)
				}
				ws, err := checkWorlds(body, 500)
				if err != nil {
					t.Fatal(err)
				}
				after := e.table(t)
				seen := map[int]int{}
				for _, w := range ws {
					if v, ok := seen[w.ID]; ok {
						dups++
						if v != w.RandomNumber {
							t.Errorf("id %d appears with %d and %d", w.ID, v, w.RandomNumber)
						}
					}
					seen[w.ID] = w.RandomNumber
					if after[w.ID] != w.RandomNumber {
						t.Errorf("id %d: response %d, table %d", w.ID, w.RandomNumber, after[w.ID])
					}
				}
				changed := 0
				for id := 1; id <= worldRows; id++ {
					_, updated := seen[id]
					switch {
					case updated && before[id] != after[id]:
						changed++
					case !updated && before[id] != after[id]:
						t.Errorf("id %d changed but is not in the response", id)
					}
				}
				if changed*10 < len(seen)*9 {
					t.Errorf("only %d of %d rows changed (TFB wants 90%%)", changed, len(seen))
				}
				if changed != len(seen) {
					t.Errorf("%d of %d rows changed; the view draws a new value for each", changed, len(seen))
				}
			}
			if dups == 0 {
				t.Error("three requests for 500 rows never read an id twice")
			}
		})
	}
}

// TestUpdatesConcurrent runs updates side by side: no error, no deadlock
// (PostgreSQL: ids are written in order; SQLite: one statement waits for
// the write lock under the busy timeout).
func TestUpdatesConcurrent(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, true)
			const workers, requests = 8, 20
			errs := make(chan error, workers*requests)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range requests {
						resp, body, err := e.get("/updates?queries=20")
						if err == nil {
							err = checkHeaders(resp, ctJSON)
						}
						if err == nil {
							_, err = checkWorlds(body, 20)
						}
						if err != nil {
							errs <- fmt.Errorf("worker %d, request %d: %v (body %.200q)", w, i, err, body)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			e.table(t) // still 10,000 rows in range
		})
	}
}

// TestCachedQueries checks that /cached-queries serves the table's rows,
// and that a failed load of the cache is not kept.
func TestCachedQueries(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, false)
			resp, _, err := e.get("/cached-queries?count=5")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 500 {
				t.Fatalf("without the tables: status %d, want 500", resp.StatusCode)
			}
			if err := tfb.Migrate(context.Background(), e.m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			table := e.table(t)
			for range 3 {
				resp, body, err := e.get("/cached-queries?count=500")
				if err != nil {
					t.Fatal(err)
				}
				if err := checkHeaders(resp, ctJSON); err != nil {
					t.Fatal(err)
				}
				ws, err := checkWorlds(body, 500)
				if err != nil {
					t.Fatal(err)
				}
				distinct := map[int]bool{}
				for _, w := range ws {
					distinct[w.ID] = true
					if table[w.ID] != w.RandomNumber {
						t.Fatalf("id %d: cached %d, table %d", w.ID, w.RandomNumber, table[w.ID])
					}
				}
				if len(distinct) < 400 {
					t.Fatalf("only %d distinct ids among 500 random ones", len(distinct))
				}
			}
		})
	}
}

// TestMigrate checks the seed data and that Migrate is idempotent: it
// keeps rows that are there and puts back rows that are missing.
func TestMigrate(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, false)
			start := time.Now()
			if err := tfb.Migrate(context.Background(), e.m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			t.Logf("Migrate, seeding: %v", time.Since(start))
			first := e.table(t) // 10,000 rows, ids 1..10000, numbers in range
			distinct := map[int]bool{}
			for _, v := range first[1:] {
				distinct[v] = true
			}
			if len(distinct) < 5000 {
				t.Fatalf("only %d distinct random numbers in 10,000 rows", len(distinct))
			}
			checkFortuneTable(t, e)

			e.exec(t, "UPDATE world SET randomnumber = $1 WHERE id = $2", 1234, 7)
			e.exec(t, "DELETE FROM world WHERE id IN (5, 10000)")
			e.exec(t, "DELETE FROM fortune WHERE id = 11")
			e.exec(t, "UPDATE fortune SET message = $1 WHERE id = $2", "changed", 3)
			for range 2 {
				start := time.Now()
				if err := tfb.Migrate(context.Background(), e.m, db.DefaultAlias); err != nil {
					t.Fatalf("Migrate again: %v", err)
				}
				t.Logf("Migrate again: %v", time.Since(start))
			}
			again := e.table(t) // the deleted rows are back
			for id := 1; id <= worldRows; id++ {
				if id != 5 && id != 10000 && id != 7 && again[id] != first[id] {
					t.Fatalf("id %d: %d before, %d after migrating again", id, first[id], again[id])
				}
			}
			if again[7] != 1234 {
				t.Fatalf("id 7 is %d after migrating again, want the 1234 it was set to", again[7])
			}
			want := slices.Clone(wantFortunes)
			want[3] = "changed"
			checkFortuneRows(t, e, want)

			// A scope of the caller's: Migrate uses it and leaves it open.
			ctx, finish := e.m.Background(context.Background())
			defer finish()
			if err := tfb.Migrate(ctx, e.m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			c, err := e.m.Conn(ctx, db.DefaultAlias)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.GetContext(ctx, &n, "SELECT count(*) FROM fortune"); err != nil || n != 12 {
				t.Fatalf("fortune rows: %d, %v", n, err)
			}
			if err := tfb.Migrate(context.Background(), e.m, "replica"); !errors.Is(err, db.ErrNoAlias) {
				t.Fatalf("Migrate of an unknown alias: %v", err)
			}
		})
	}
}

func checkFortuneTable(t *testing.T, e *env) {
	t.Helper()
	checkFortuneRows(t, e, wantFortunes)
}

func checkFortuneRows(t *testing.T, e *env, want []string) {
	t.Helper()
	ctx, finish := e.m.Background(context.Background())
	defer finish()
	c, err := e.m.Conn(ctx, db.DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID      int    `db:"id"`
		Message string `db:"message"`
	}
	if err := c.SelectContext(ctx, &rows, "SELECT id, message FROM fortune ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	got := make([]string, 1, len(rows)+1)
	for i, r := range rows {
		if r.ID != i+1 {
			t.Fatalf("fortune ids: %+v", rows)
		}
		got = append(got, r.Message)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("fortunes\n got %q\nwant %q", got, want)
	}
}

// TestServerHeader checks that the layer sets Server on every response,
// error pages included, and keeps one a view set.
func TestServerHeader(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{
		urls.Path("own", func(r *manouche.Request) (*manouche.Response, error) {
			resp := manouche.NewResponse(200, []byte("x"), "text/plain")
			resp.Header().Set("Server", "own")
			return resp, nil
		}),
		urls.Path("boom", func(r *manouche.Request) (*manouche.Response, error) {
			return nil, errors.New("boom")
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "tfb-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"},
		URLConf:    conf,
		Middleware: append([]middleware.Factory{tfb.ServerHeaderMiddleware()}, middleware.Default(nil)...),
		Logger:     discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   string
		status int
		server string
	}{{"/own", 200, "own"}, {"/nowhere", 404, tfb.ServerHeader}, {"/boom", 500, tfb.ServerHeader}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if w.Code != c.status || w.Header().Get("Server") != c.server || len(w.Header()["Server"]) != 1 {
			t.Errorf("%s: status %d, Server %q, want %d and %q", c.path, w.Code, w.Header()["Server"], c.status, c.server)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
