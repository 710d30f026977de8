package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// env is a test environment for the example app: getenv over a map.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// sqliteEnv is a DEBUG environment with a database and STATIC_ROOT in a
// temporary directory.
func sqliteEnv(t *testing.T) env {
	dir := t.TempDir()
	return env{
		"DATABASE_URL": "sqlite:///" + filepath.ToSlash(filepath.Join(dir, "db.sqlite3")),
		"STATIC_ROOT":  filepath.Join(dir, "static"),
	}
}

// engines are the databases the app is tested on.
func engines(t *testing.T) map[string]func(t *testing.T) env {
	return map[string]func(t *testing.T) env{
		"sqlite": sqliteEnv,
		"postgres": func(t *testing.T) env {
			e := sqliteEnv(t)
			e["DATABASE_URL"] = pgtest.URL(t)
			return e
		},
	}
}

// command runs one command of the command line and returns its output.
func command(t testing.TB, e env, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, e.get, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     env
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{name: "defaults: DEBUG, SQLite in .manouche, the development key", env: env{}, check: func(t *testing.T, c config) {
			if !c.Settings.Debug || !c.DevKey || c.Settings.SecretKey != devSecretKey || !c.Metrics {
				t.Errorf("%+v", c)
			}
			if c.Database.Engine != "sqlite" || c.Database.DSN != ".manouche/db.sqlite3" {
				t.Errorf("database %+v", c.Database)
			}
		}},
		{name: "DEBUG off needs SECRET_KEY", env: env{"DEBUG": "0"}, wantErr: "SECRET_KEY is required when DEBUG is off"},
		{name: "production", env: env{"DEBUG": "false", "SECRET_KEY": "s3cret", "ALLOWED_HOSTS": "example.com, .example.org", "CONN_MAX_AGE": "none", "CONN_HEALTH_CHECKS": "yes", "DATABASE_URL": "postgres://app@db.internal/app"}, check: func(t *testing.T, c config) {
			if c.Settings.Debug || c.DevKey || c.Metrics || len(c.Settings.AllowedHosts) != 2 || c.Settings.AllowedHosts[1] != ".example.org" {
				t.Errorf("%+v", c)
			}
			if c.Database.Engine != "postgres" || !c.Database.ConnHealthChecks || c.Database.ConnMaxAge != db.Forever {
				t.Errorf("database %+v", c.Database)
			}
		}},
		{name: "METRICS without DEBUG", env: env{"DEBUG": "off", "SECRET_KEY": "k", "METRICS": "1"}, check: func(t *testing.T, c config) {
			if !c.Metrics {
				t.Error("metrics off")
			}
		}},
		{name: "MIDDLEWARE none", env: env{"MIDDLEWARE": "none"}, check: func(t *testing.T, c config) {
			if !c.Bare {
				t.Error("not bare")
			}
		}},
		{name: "MIDDLEWARE default", env: env{"MIDDLEWARE": "default"}, check: func(t *testing.T, c config) {
			if c.Bare {
				t.Error("bare")
			}
		}},
		{name: "bad MIDDLEWARE", env: env{"MIDDLEWARE": "some"}, wantErr: `MIDDLEWARE="some": want default`},
		{name: "bad CONN_MAX_AGE", env: env{"CONN_MAX_AGE": "-3"}, wantErr: "CONN_MAX_AGE"},
		{name: "bad DEBUG", env: env{"DEBUG": "maybe"}, wantErr: `DEBUG="maybe"`},
		{name: "bad DATABASE_URL", env: env{"DATABASE_URL": "mysql://x/y"}, wantErr: "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := configFromEnv(tt.env.get)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// The command line: migrate twice (idempotent), check, showurls,
// collectstatic, clearsessions, and the errors of a bad command line.
func TestCommands(t *testing.T) {
	e := sqliteEnv(t)
	for range 2 {
		out, err := command(t, e, "migrate")
		if err != nil || strings.Count(out, "... OK") != 4 {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
	}
	if out, err := command(t, e, "check"); err != nil || !strings.Contains(out, "System check identified no issues (1 warnings).") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	out, err := command(t, e, "showurls")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/polls/<int:pk>/", "polls", "/fortunes", "/debug/vars"} {
		if !strings.Contains(out, want) {
			t.Errorf("showurls lacks %q:\n%s", want, out)
		}
	}
	if out, err := command(t, e, "collectstatic"); err != nil || !strings.Contains(out, "copied") {
		t.Fatalf("collectstatic: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(e["STATIC_ROOT"], "staticfiles.json")); err != nil {
		t.Fatalf("no manifest after collectstatic: %v", err)
	}
	if out, err := command(t, e, "clearsessions"); err != nil || !strings.Contains(out, "Expired sessions deleted.") {
		t.Fatalf("clearsessions: %v\n%s", err, out)
	}
	if out, err := command(t, e, "help"); err != nil || !strings.Contains(out, "runserver [addr]") {
		t.Fatalf("help: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"frobnicate"}, {"migrate", "extra"}, {"runserver", "a", "b"}} {
		if _, err := command(t, e, args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	// A broken setting stops check with a message naming it.
	bad := sqliteEnv(t)
	bad["DEBUG"], bad["SECRET_KEY"] = "0", ""
	if _, err := command(t, bad, "check"); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Fatalf("check without SECRET_KEY: %v", err)
	}
}

// startApp migrates, collects the static files and serves the app on a
// real server.
func startApp(t *testing.T, e env) (*app, *httptest.Server) {
	t.Helper()
	a := openApp(t, e, "migrate", "collectstatic")
	srv := httptest.NewServer(a.serve)
	t.Cleanup(srv.Close) // before the app's close: cleanups run last first
	return a, srv
}

// openApp runs the management commands on e, in order, then builds the
// app from e, logging nowhere; it is closed when tb ends.
func openApp(tb testing.TB, e env, commands ...string) *app {
	tb.Helper()
	for _, c := range commands {
		if out, err := command(tb, e, c); err != nil {
			tb.Fatalf("%s: %v\n%s", c, err, out)
		}
	}
	cfg, err := configFromEnv(e.get)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// The whole app on each database, configured for production (DEBUG off,
// METRICS on): the home page's redirect, the polls pages with hashed
// static names, the TFB endpoints through the whole
// stack, a 404 page of the app's own, a stream, and the counters at
// /debug/vars adding up.
func TestAppEndToEnd(t *testing.T) {
	for name, mk := range engines(t) {
		t.Run(name, func(t *testing.T) {
			e := mk(t)
			e["DEBUG"], e["SECRET_KEY"], e["ALLOWED_HOSTS"], e["METRICS"] = "0", "end-to-end", "127.0.0.1", "1"
			a, srv := startApp(t, e)
			client := &http.Client{}
			get := func(path string) (*http.Response, string) {
				t.Helper()
				resp, err := client.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			resp, page := get("/")
			if resp.StatusCode != 200 || resp.Request.URL.Path != "/polls/" || !strings.Contains(page, "What") {
				t.Fatalf("home → %s: %d %q", resp.Request.URL.Path, resp.StatusCode, page)
			}
			// The page links its CSS by its hashed name, served immutable.
			css := regexpFind(page, `/static/polls/style\.[0-9a-f]{12}\.css`)
			if css == "" {
				t.Fatalf("no hashed stylesheet in %q", page)
			}
			if resp, _ := get(css); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Fatalf("%s: %d %q", css, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			for _, path := range []string{"/json", "/plaintext", "/db", "/queries?queries=3", "/fortunes", "/updates?queries=2", "/cached-queries?count=2"} {
				resp, body := get(path)
				if resp.StatusCode != 200 || resp.Header.Get("Server") != "manouche" || resp.Header.Get("Date") == "" || body == "" {
					t.Errorf("%s: %d Server %q: %.80q", path, resp.StatusCode, resp.Header.Get("Server"), body)
				}
			}
			if resp, body := get("/polls/99999/"); resp.StatusCode != 404 || !strings.Contains(body, "<html") {
				t.Errorf("unknown question: %d %.200q", resp.StatusCode, body)
			}
			if resp, body := get("/live/3/"); resp.StatusCode != 200 || strings.Count(body, "votes=") != 3 {
				t.Errorf("live stream: %d %q", resp.StatusCode, body)
			}
			srv.CloseClientConnections()
			testkit.WaitFor(t, "every request finished", func() bool {
				return a.metrics.count("requests_started") == a.metrics.count("requests_finished")
			})
			_, body := get("/debug/vars")
			var vars struct {
				Started   int64            `json:"requests_started"`
				Finished  int64            `json:"requests_finished"`
				Responses map[string]int64 `json:"responses"`
				Streams   int64            `json:"streams_finished"`
				Databases map[string]map[string]int64
			}
			if err := json.Unmarshal([]byte(body), &vars); err != nil {
				t.Fatalf("/debug/vars: %v\n%s", err, body)
			}
			// 13 requests: the redirect, the list, the stylesheet, seven
			// TFB endpoints, the 404, the stream and /debug/vars itself,
			// which is neither finished nor counted by status yet. Two
			// streams: the live count and the stylesheet (a file).
			if vars.Started != 13 || vars.Finished != 12 || vars.Streams != 2 ||
				vars.Responses["2xx"] != 10 || vars.Responses["3xx"] != 1 || vars.Responses["4xx"] != 1 {
				t.Errorf("counters: %+v", vars)
			}
			if d := vars.Databases["default"]; d["connections_opened"] == 0 {
				t.Errorf("database counters: %v", d)
			}
		})
	}
}

// regexpFind returns the first match of expr in s, or "".
func regexpFind(s, expr string) string { return regexp.MustCompile(expr).FindString(s) }

// With MIDDLEWARE=none (the benchmark's bare run) the TFB endpoints answer
// what TFB requires with no layer in between: Server set around the
// handler, none of the security headers the default stack adds, and
// check says what is off.
func TestAppBare(t *testing.T) {
	e := sqliteEnv(t)
	e["DEBUG"], e["SECRET_KEY"], e["ALLOWED_HOSTS"], e["MIDDLEWARE"] = "0", "bare", "127.0.0.1", "none"
	out, err := command(t, e, "check")
	if err != nil || !strings.Contains(out, "MIDDLEWARE=none") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	_, srv := startApp(t, e)
	for _, tc := range []struct{ path, body string }{
		{"/plaintext", "Hello, World!"},
		{"/json", `{"message":"Hello, World!"}`},
		{"/db", ""},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Server") != "manouche" || (tc.body != "" && string(b) != tc.body) || len(b) == 0 {
			t.Errorf("%s: %d Server %q %q", tc.path, resp.StatusCode, resp.Header.Get("Server"), b)
		}
		for _, h := range []string{"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Vary"} {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("%s: %s: %q with no middleware", tc.path, h, v)
			}
		}
	}
}

// With METRICS off (and DEBUG off) nothing is counted: no counters, no
// metrics layer, no lifecycle receivers but the database's, and no
// /debug/vars; the pages still answer through the default stack.
func TestAppMetricsOff(t *testing.T) {
	e := sqliteEnv(t)
	e["DEBUG"], e["SECRET_KEY"], e["ALLOWED_HOSTS"] = "0", "no-metrics", "127.0.0.1"
	a, srv := startApp(t, e)
	if a.metrics != nil {
		t.Fatal("counters built with METRICS off")
	}
	sig := a.handler.Signals()
	// The database manager's receivers (db.Manager.Install) only.
	if n, m := sig.RequestStarted.Len(), sig.RequestFinished.Len(); n != 1 || m != 1 {
		t.Errorf("request_started has %d receivers, request_finished %d; want the database's alone", n, m)
	}
	if n := sig.GotRequestException.Len(); n != 0 {
		t.Errorf("got_request_exception has %d receivers; want none", n)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{{"/plaintext", 200}, {"/debug/vars", 404}} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: not through the default stack (X-Frame-Options %q)", tc.path, resp.Header.Get("X-Frame-Options"))
		}
	}
}
