package polls_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/sessiondb"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// backend is a database the application runs on, with or without
// ATOMIC_REQUESTS.
type backend struct {
	name   string
	engine string
	atomic bool
}

var backends = []backend{
	{"sqlite", db.SQLite, false},
	{"postgres", db.Postgres, false},
	{"sqlite-atomic-requests", db.SQLite, true},
	{"postgres-atomic-requests", db.Postgres, true},
}

// manager returns a manager on a new, empty database of b: a SQLite file
// or a PostgreSQL database of its own.
func manager(t *testing.T, b backend) *db.Manager {
	t.Helper()
	def := db.Database{Engine: b.engine, AtomicRequests: b.atomic}
	switch b.engine {
	case db.SQLite:
		def.DSN = filepath.Join(t.TempDir(), "polls.db")
	case db.Postgres:
		def.DSN = pgtest.URL(t)
	default:
		t.Fatalf("unknown engine %q", b.engine)
	}
	m, err := db.NewManager(db.Databases{db.DefaultAlias: def}, db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// site is the polls application served over HTTP the way the example app
// serves it: Django's default middleware with database sessions, static
// files right after Security, the templates with the request, static and
// messages context processors and {{csrf_input}}, the error pages of the
// templates, and the database manager on the handler's signals.
type site struct {
	t      *testing.T
	m      *db.Manager
	srv    *httptest.Server
	logs   *testkit.LogBuffer
	counts *testkit.Counters
}

// siteSettings are the site's settings: DEBUG off, so that errors show
// the application's pages.
func siteSettings() manouche.Settings {
	return manouche.Settings{
		AllowedHosts: []string{"127.0.0.1"},
		SecretKey:    "polls tests",
		StaticURL:    "/static/",
	}
}

// engine returns the template engine of the site.
func engine(t *testing.T) *templates.Engine {
	t.Helper()
	eng, err := templates.NewEngine(templates.Config{
		FS: []fs.FS{polls.Templates()},
		ContextProcessors: []templates.ContextProcessor{
			templates.RequestProcessor, templates.StaticProcessor, middleware.MessagesProcessor,
		},
		RequestFuncs: map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
	})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func newSite(t *testing.T, b backend) *site {
	t.Helper()
	m := manager(t, b)
	ctx := context.Background()
	for _, migrate := range []func(context.Context, *db.Manager, string) error{polls.Migrate, sessiondb.Migrate, polls.Seed} {
		if err := migrate(ctx, m, db.DefaultAlias); err != nil {
			t.Fatal(err)
		}
	}
	eng := engine(t)
	app := polls.New(m, db.DefaultAlias, eng)
	conf, err := urls.New([]urls.Pattern{
		urls.Include("polls/", app.URLs(), urls.AppName("polls"), urls.Namespace("polls")),
	}, eng.ErrorHandlers()...)
	if err != nil {
		t.Fatal(err)
	}
	settings := siteSettings()
	mw := middleware.Default(sessiondb.New(m, db.DefaultAlias))
	mw = slices.Insert(mw, 1, middleware.Static(middleware.StaticConfig{Settings: settings, FS: polls.Static()}))
	s := &site{t: t, m: m, logs: &testkit.LogBuffer{}, counts: &testkit.Counters{}}
	h, err := handler.New(handler.Config{
		Settings:     settings,
		URLConf:      conf,
		Middleware:   mw,
		Logger:       s.logs.Logger(),
		ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{m.MakeViewAtomic},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Install(h.Signals())
	s.counts.Connect(h.Signals())
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

// finished waits until every request started has finished (the last
// request_finished comes after the client has read the body).
func (s *site) finished() {
	s.t.Helper()
	testkit.WaitFor(s.t, "every request finished", func() bool {
		return s.counts.Started.Load() == s.counts.Finished.Load()
	})
	if n := s.counts.Exceptions.Load(); n != 0 {
		s.t.Errorf("%d got_request_exception signals:\n%s", n, s.logs)
	}
}

// inScope runs f with a connection of a Background scope of its own.
func (s *site) inScope(f func(ctx context.Context, c *db.Conn) error) {
	s.t.Helper()
	ctx, finish := s.m.Background(context.Background())
	c, err := s.m.Conn(ctx, db.DefaultAlias)
	if err == nil {
		err = f(ctx, c)
	}
	if ferr := finish(); err == nil {
		err = ferr
	}
	if err != nil {
		s.t.Fatal(err)
	}
}

// count returns the single integer the query selects.
func (s *site) count(query string, args ...any) int64 {
	s.t.Helper()
	var n int64
	s.inScope(func(ctx context.Context, c *db.Conn) error { return c.GetContext(ctx, &n, query, args...) })
	return n
}

// addQuestion inserts a question published at pub with its choices and
// returns its id.
func (s *site) addQuestion(text string, pub time.Time, choices ...string) int64 {
	s.t.Helper()
	var id int64
	s.inScope(func(ctx context.Context, c *db.Conn) error {
		return c.Atomic(ctx, func(ctx context.Context) error {
			err := c.GetContext(ctx, &id, "INSERT INTO polls_question (question_text, pub_date) VALUES ($1, $2) RETURNING id",
				text, pub.UTC().Truncate(time.Microsecond))
			for _, ch := range choices {
				if err != nil {
					break
				}
				_, err = c.ExecContext(ctx, "INSERT INTO polls_choice (question_id, choice_text) VALUES ($1, $2)", id, ch)
			}
			return err
		})
	})
	return id
}

// votes returns the votes counted for a choice.
func (s *site) votes(choiceID int64) int64 {
	s.t.Helper()
	return s.count("SELECT votes FROM polls_choice WHERE id = $1", choiceID)
}

// client is a browser: a cookie jar, and redirects followed or not.
type client struct {
	s   *site
	c   *http.Client
	jar *cookiejar.Jar
}

func (s *site) client(follow bool, tr http.RoundTripper) *client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &client{s: s, c: c, jar: jar}
}

// do sends req and reads the whole body; it may run in any goroutine.
func (c *client) do(req *http.Request) (*http.Response, string, error) {
	resp, err := c.c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func (c *client) tryGet(path string, header ...string) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodGet, c.s.srv.URL+path, nil)
	if err != nil {
		return nil, "", err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *client) tryPost(path string, form url.Values) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodPost, c.s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// get sends a GET with the header's name, value pairs.
func (c *client) get(path string, header ...string) (*http.Response, string) {
	c.s.t.Helper()
	resp, body, err := c.tryGet(path, header...)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return resp, body
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.s.t.Helper()
	resp, body, err := c.tryPost(path, form)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return resp, body
}

// getJSON GETs path, expects 200 with JSON and decodes it into v.
func (c *client) getJSON(path string, v any) {
	c.s.t.Helper()
	resp, body := c.get(path)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		c.s.t.Fatalf("GET %s: %d %s: %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		c.s.t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// cookie returns the value of the client's cookie name.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.s.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

var tokenRE = regexp.MustCompile(`<input type="hidden" name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})">`)

// token extracts the CSRF token of a page's form.
func token(page string) (string, error) {
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no CSRF token in the page:\n%s", page)
	}
	return m[1], nil
}

// apiQuestion is a question of the JSON API.
type apiQuestion struct {
	ID           int64       `json:"id"`
	QuestionText string      `json:"question_text"`
	PubDate      string      `json:"pub_date"`
	URL          string      `json:"url"`
	Choices      []apiChoice `json:"choices"`
}

type apiChoice struct {
	ID         int64  `json:"id"`
	ChoiceText string `json:"choice_text"`
	Votes      int64  `json:"votes"`
}

// choiceID returns the id of the choice of q with the text.
func choiceID(t *testing.T, q apiQuestion, text string) int64 {
	t.Helper()
	for _, c := range q.Choices {
		if c.ChoiceText == text {
			return c.ID
		}
	}
	t.Fatalf("no choice %q in %+v", text, q)
	return 0
}
