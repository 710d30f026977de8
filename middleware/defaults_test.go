package middleware_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/sessiondb"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// Default is Django's startproject MIDDLEWARE, in its order (SEMANTICS 30).
func TestDefaultOrder(t *testing.T) {
	next := func(*manouche.Request) *manouche.Response { return response.Text("") }
	var got []string
	for _, f := range middleware.Default(nil) {
		m, err := f(next)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, middleware.Name(f, m))
	}
	want := "middleware.Security middleware.Sessions middleware.Common middleware.CSRF middleware.Messages middleware.XFrameOptions"
	if strings.Join(got, " ") != want {
		t.Fatalf("Default() = %v, want %s", got, want)
	}
	// The signed-cookie store needs SECRET_KEY: the handler refuses to
	// start without one, as Django's checks do.
	conf, _ := urls.New(nil)
	if _, err := handler.New(handler.Config{URLConf: conf, Middleware: middleware.Default(nil)}); err == nil || !strings.Contains(err.Error(), "SecretKey") {
		t.Fatalf("handler.New without SecretKey: %v", err)
	}
}

// pollTemplates are the round trip's pages: a form with the CSRF field,
// and a results page showing the flash messages.
var pollTemplates = fstest.MapFS{
	"vote.html":    {Data: []byte(`<form method="post" action="{{url "vote"}}">{{csrf_input}}<button name="choice" value="go">Vote</button></form>`)},
	"results.html": {Data: []byte(`{{range .messages.All}}<p class="{{.Tags}}">{{.Text}}</p>{{end}}<p>votes: {{.votes}}</p>`)},
}

// A browser-free round trip through the whole default stack, over HTTP
// with a cookie jar and sessions in a database: a form page gives the CSRF
// cookie and token, the vote posts them back, the session counts the vote
// and a flash message tells of it after the redirect, once; a forged token
// is refused with 403 and changes nothing; logging in (CycleKey, and a new
// CSRF secret) changes both cookies and the old session is gone.
func TestDefaultStackRoundTrip(t *testing.T) {
	m, err := db.NewManager(db.Databases{db.DefaultAlias: {Engine: db.SQLite, DSN: filepath.Join(t.TempDir(), "app.db")}},
		db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := sessiondb.Migrate(context.Background(), m, db.DefaultAlias); err != nil {
		t.Fatal(err)
	}
	store := sessiondb.New(m, db.DefaultAlias)

	var eng *templates.Engine
	vote := func(r *manouche.Request) (*manouche.Response, error) {
		if r.Method != http.MethodPost {
			return eng.Response(r, "vote.html", nil), nil
		}
		s := middleware.SessionFrom(r)
		n, _, err := s.Get("votes")
		if err != nil {
			return nil, err
		}
		votes, _ := n.(float64)
		if err := s.Set("votes", votes+1); err != nil {
			return nil, err
		}
		if err := middleware.MessagesFrom(r).Success("You voted for go."); err != nil {
			return nil, err
		}
		to, err := urls.Reverse(r, "results")
		if err != nil {
			return nil, err
		}
		return response.Redirect(to)
	}
	results := func(r *manouche.Request) (*manouche.Response, error) {
		n, _, err := middleware.SessionFrom(r).Get("votes")
		if err != nil {
			return nil, err
		}
		return eng.Response(r, "results.html", map[string]any{"votes": n}), nil
	}
	login := func(r *manouche.Request) (*manouche.Response, error) {
		if err := middleware.SessionFrom(r).CycleKey(); err != nil {
			return nil, err
		}
		middleware.RotateCSRFToken(r)
		return response.Text("logged in"), nil
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("vote/", vote, urls.Name("vote")),
		urls.Path("results/", results, urls.Name("results")),
		urls.Path("login/", login, urls.Name("login")),
	})
	if err != nil {
		t.Fatal(err)
	}
	eng, err = templates.NewEngine(templates.Config{
		FS:                []fs.FS{pollTemplates},
		URLConf:           conf,
		ContextProcessors: []templates.ContextProcessor{middleware.MessagesProcessor},
		RequestFuncs:      map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.LogBuffer{}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "round trip"},
		URLConf:    conf,
		Middleware: middleware.Default(store),
		Logger:     logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Install(h.Signals())
	var c testkit.Counters
	c.Connect(h.Signals())
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	base, _ := url.Parse(srv.URL)

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
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := client.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	cookie := func(name string) string {
		for _, ck := range jar.Cookies(base) {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}
	tokenRE := regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"`)

	resp, page := get("/vote/")
	m1 := tokenRE.FindStringSubmatch(page)
	if resp.StatusCode != 200 || m1 == nil || cookie("csrftoken") == "" {
		t.Fatalf("form page: %d, cookie %q, page %q", resp.StatusCode, cookie("csrftoken"), page)
	}
	if cookie("sessionid") != "" {
		t.Fatal("a page that does not use the session set its cookie")
	}
	for _, h := range []string{"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("the form page lacks %s", h)
		}
	}

	// The vote: 302 to the results (followed by the client), which show
	// the message once and the count from the session.
	resp, page = post("/vote/", url.Values{"csrfmiddlewaretoken": {m1[1]}, "choice": {"go"}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/results/" {
		t.Fatalf("vote: %d at %s: %q", resp.StatusCode, resp.Request.URL.Path, page)
	}
	if !strings.Contains(page, `<p class="success">You voted for go.</p>`) || !strings.Contains(page, "votes: 1") {
		t.Fatalf("results after the vote: %q", page)
	}
	session := cookie("sessionid")
	if session == "" {
		t.Fatal("no session cookie after the vote")
	}
	if _, page = get("/results/"); strings.Contains(page, "You voted") || !strings.Contains(page, "votes: 1") {
		t.Fatalf("results again: the message must be gone, the count kept: %q", page)
	}

	// A second vote with the token of another page: same secret, new mask.
	_, page = get("/vote/")
	m2 := tokenRE.FindStringSubmatch(page)
	if m2 == nil || m2[1] == m1[1] {
		t.Fatalf("second form: %q", page)
	}
	if _, page = post("/vote/", url.Values{"csrfmiddlewaretoken": {m2[1]}}); !strings.Contains(page, "votes: 2") {
		t.Fatalf("second vote: %q", page)
	}

	// A forged token: 403, logged with its reason, nothing counted.
	forged := strings.Repeat("a", 64)
	if resp, _ = post("/vote/", url.Values{"csrfmiddlewaretoken": {forged}}); resp.StatusCode != 403 {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "Forbidden (CSRF token from POST incorrect.): /vote/") {
		t.Errorf("the refusal is not logged with its reason:\n%s", logs)
	}
	if _, page = get("/results/"); !strings.Contains(page, "votes: 2") {
		t.Fatalf("after the forged vote: %q", page)
	}

	// Logging in: a new session key with the same data, a new CSRF
	// secret; the old token no longer works.
	csrfBefore := cookie("csrftoken")
	if _, page = get("/login/"); page != "logged in" {
		t.Fatalf("login: %q", page)
	}
	if cookie("sessionid") == session || cookie("csrftoken") == csrfBefore {
		t.Fatal("login did not rotate the session key and the CSRF secret")
	}
	if _, page = get("/results/"); !strings.Contains(page, "votes: 2") {
		t.Fatalf("the session's data after login: %q", page)
	}
	if resp, _ = post("/vote/", url.Values{"csrfmiddlewaretoken": {m2[1]}}); resp.StatusCode != 403 {
		t.Fatalf("a token of the old secret: %d, want 403", resp.StatusCode)
	}
	var keys int
	ctx, finish := m.Background(context.Background())
	conn, err := m.Conn(ctx, db.DefaultAlias)
	if err == nil {
		err = conn.GetContext(ctx, &keys, "SELECT count(*) FROM "+sessiondb.Table+" WHERE session_key = ?", session)
	}
	if ferr := finish(); err == nil {
		err = ferr
	}
	if err != nil {
		t.Fatal(err)
	}
	if keys != 0 {
		t.Fatal("the session key before login is still stored")
	}
	srv.Close()
	testkit.WaitFor(t, "every request finished", func() bool { return c.Started.Load() == c.Finished.Load() })
}
