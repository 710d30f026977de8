package middleware_test

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/signing"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// msgShow renders messages as "level:text:tags|…".
func msgShow(msgs []middleware.Message) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = fmt.Sprintf("%d:%s:%s", m.Level, m.Text, m.Tags())
	}
	return strings.Join(parts, "|")
}

func msgViews(t testing.TB) []urls.Pattern {
	kw := func(r *manouche.Request, name string) string { v, _ := manouche.Kwarg[string](r, name); return v }
	eng, err := templates.NewEngine(templates.Config{
		FS: []fs.FS{fstest.MapFS{"messages.html": {Data: []byte(
			`{{with .messages.All}}<ul>{{range .}}<li class="{{.Tags}}">{{.Text}}{{if eq .Level $.DEFAULT_MESSAGE_LEVELS.ERROR}}!{{end}}</li>{{end}}</ul>{{else}}none{{end}}`)}}},
		ContextProcessors: []templates.ContextProcessor{middleware.MessagesProcessor},
	})
	if err != nil {
		t.Fatal(err)
	}
	add := func(r *manouche.Request, level, text string) error {
		m := middleware.MessagesFrom(r)
		switch level {
		case "debug":
			return m.Debug(text)
		case "info":
			return m.Info(text)
		case "success":
			return m.Success(text, "extra", "tags")
		case "warning":
			return m.Warning(text)
		case "error":
			return m.Error(text)
		}
		n, _ := strconv.Atoi(level)
		return middleware.AddMessage(r, n, text)
	}
	return []urls.Pattern{
		urls.Path("none/", func(r *manouche.Request) (*manouche.Response, error) { return response.Text("none"), nil }),
		urls.Path("add/<str:level>/<str:text>/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text("ok"), add(r, kw(r, "level"), kw(r, "text"))
		}),
		urls.Path("many/<int:n>/<int:size>/", func(r *manouche.Request) (*manouche.Response, error) {
			n, _ := manouche.Kwarg[int](r, "n")
			size, _ := manouche.Kwarg[int](r, "size")
			rng := rand.NewChaCha8([32]byte{2})
			for i := range n {
				// Random: compression cannot make them fit.
				raw := make([]byte, size)
				rng.Read(raw)
				text := fmt.Sprintf("%03d-%s", i, base64.RawURLEncoding.EncodeToString(raw)[:size])
				if err := middleware.MessagesFrom(r).Info(text); err != nil {
					return nil, err
				}
			}
			return response.Text("ok"), nil
		}),
		urls.Path("show/", func(r *manouche.Request) (*manouche.Response, error) {
			msgs, err := middleware.MessagesFrom(r).All()
			return response.Text(msgShow(msgs)), err
		}),
		urls.Path("count/", func(r *manouche.Request) (*manouche.Response, error) {
			n, err := middleware.MessagesFrom(r).Len()
			return response.Text(fmt.Sprint(n)), err
		}),
		urls.Path("addshow/", func(r *manouche.Request) (*manouche.Response, error) {
			m := middleware.MessagesFrom(r)
			if err := m.Info("now"); err != nil {
				return nil, err
			}
			msgs, err := m.All()
			if err != nil {
				return nil, err
			}
			// Added after the iteration: kept for the next request.
			return response.Text(msgShow(msgs)), m.Warning("later")
		}),
		urls.Path("level/", func(r *manouche.Request) (*manouche.Response, error) {
			m := middleware.MessagesFrom(r)
			if err := m.Debug("hidden"); err != nil {
				return nil, err
			}
			if err := m.Info(""); err != nil { // empty: nothing
				return nil, err
			}
			m.SetLevel(middleware.LevelDebug)
			return response.Text(fmt.Sprint(m.Level())), m.Debug("shown")
		}),
		urls.Path("redirect/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Redirect("/none/")
		}),
		urls.Path("template/", func(r *manouche.Request) (*manouche.Response, error) {
			return eng.Response(r, "messages.html", nil), nil
		}),
		urls.Path("stream/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) { yield([]byte("streamed")) }), middleware.MessagesFrom(r).Info("from a stream view")
		}),
	}
}

// newMsgSite builds a handler with the message views and mw behind a real
// server, as a *sessSite.
func newMsgSite(t testing.TB, settings manouche.Settings, mw ...middleware.Factory) *sessSite {
	t.Helper()
	site := &sessSite{t: t, logs: &testkit.LogBuffer{}}
	conf, err := urls.New(msgViews(t))
	if err != nil {
		t.Fatal(err)
	}
	settings.AllowedHosts = []string{"*"}
	if settings.SecretKey == "" {
		settings.SecretKey = sessTestSecret
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Middleware: mw, Logger: site.logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	site.srv = httptest.NewServer(h)
	t.Cleanup(site.srv.Close)
	site.jar, _ = cookiejar.New(nil)
	site.client = &http.Client{Jar: site.jar, Timeout: 10 * time.Second}
	return site
}

// msgStorages are the storages under test: the session one on both
// session stores, and the cookie one.
type msgStorage struct {
	name     string
	settings manouche.Settings
	mem      *sessMem
	mw       []middleware.Factory
}

func msgStorages() []msgStorage {
	mem := newSessMem(time.Now)
	return []msgStorage{
		{name: "session/server", mem: mem, mw: []middleware.Factory{middleware.Sessions(mem), middleware.Messages()}},
		{name: "session/signed cookies", mw: []middleware.Factory{middleware.Sessions(middleware.SignedCookies()), middleware.Messages()}},
		{name: "cookie", settings: manouche.Settings{Messages: manouche.MessageSettings{Storage: "cookie"}}, mw: []middleware.Factory{middleware.Messages()}},
	}
}

func TestMessagesNextRequest(t *testing.T) {
	for _, st := range msgStorages() {
		t.Run(st.name, func(t *testing.T) {
			site := newMsgSite(t, st.settings, st.mw...)
			site.want(site.get("/add/info/hello/"), 200, "ok")
			site.want(site.get("/add/success/done/"), 200, "ok")
			site.want(site.get("/add/45/custom/"), 200, "ok")
			// Read in a later request, once.
			site.want(site.get("/show/"), 200, "20:hello:info|25:done:extra tags success|45:custom:")
			site.want(site.get("/show/"), 200, "")

			// Shown in the request that added them: not kept.
			site.want(site.get("/addshow/"), 200, "20:now:info")
			site.want(site.get("/show/"), 200, "30:later:warning")
			site.want(site.get("/show/"), 200, "")

			// A redirect, and a page that does not show messages, keep
			// them; Len does not consume.
			site.want(site.get("/add/error/failed/"), 200, "ok")
			site.want(site.get("/redirect/"), 200, "none") // followed to /none/
			site.want(site.get("/count/"), 200, "1")
			site.want(site.get("/count/"), 200, "1")
			site.want(site.get("/show/"), 200, "40:failed:error")
			site.want(site.get("/count/"), 200, "0")

			// The minimum level, and empty texts.
			res := site.get("/level/")
			site.want(res, 200, "10")
			site.want(site.get("/show/"), 200, "10:shown:debug")

			// A streaming response keeps them too.
			site.want(site.get("/stream/"), 200, "streamed")
			site.want(site.get("/show/"), 200, "20:from a stream view:info")
		})
	}
}

func TestMessagesUntouched(t *testing.T) {
	for _, st := range msgStorages() {
		t.Run(st.name, func(t *testing.T) {
			site := newMsgSite(t, st.settings, st.mw...)
			site.want(site.get("/add/info/hello/"), 200, "ok")
			if st.mem != nil {
				st.mem.loads.Store(0)
				st.mem.saves.Store(0)
			}
			res := site.get("/none/")
			site.want(res, 200, "none")
			if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("Set-Cookie %q on a request that did not use messages", sc)
			}
			if v := res.header.Values("Vary"); len(v) != 0 {
				t.Errorf("Vary %q on a request that did not use messages", v)
			}
			if st.mem != nil {
				if got := st.mem.calls(); got != "loads=0 saves=0 deletes=0" {
					t.Errorf("a request that never used messages: %s", got)
				}
			}
			site.want(site.get("/show/"), 200, "20:hello:info")
		})
	}
}

func TestMessagesTemplate(t *testing.T) {
	for _, st := range msgStorages() {
		t.Run(st.name, func(t *testing.T) {
			site := newMsgSite(t, st.settings, st.mw...)
			site.want(site.get("/template/"), 200, "none")
			site.want(site.get("/add/info/a%20%3Cb%3E/"), 200, "ok")
			site.want(site.get("/add/error/boom/"), 200, "ok")
			site.want(site.get("/template/"), 200, `<ul><li class="info">a &lt;b&gt;</li><li class="error">boom!</li></ul>`)
			site.want(site.get("/template/"), 200, "none")
		})
	}
	// Without the middleware the processor lists nothing.
	site := newMsgSite(t, manouche.Settings{})
	site.want(site.get("/template/"), 200, "none")
}

func TestMessagesWithoutMiddleware(t *testing.T) {
	site := newMsgSite(t, manouche.Settings{})
	res := site.get("/add/info/x/")
	site.want(res, 500, "*")
	if !strings.Contains(site.logs.String(), "You cannot add messages without installing middleware.Messages.") {
		t.Errorf("logs: %s", site.logs.String())
	}
	site.want(site.get("/show/"), 200, "")
	site.want(site.get("/count/"), 200, "0")
}

func TestMessagesSessionOrder(t *testing.T) {
	tests := []struct {
		name string
		mw   []middleware.Factory
	}{
		{"no session middleware", []middleware.Factory{middleware.Messages()}},
		{"sessions listed after messages", []middleware.Factory{middleware.Messages(), middleware.Sessions(newSessMem(time.Now))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site := newMsgSite(t, manouche.Settings{}, tc.mw...)
			site.want(site.get("/add/info/x/"), 500, "*")
			if !strings.Contains(site.logs.String(), "list middleware.Sessions before middleware.Messages") {
				t.Errorf("the error does not name the order: %s", site.logs.String())
			}
			// A request that does not use messages is served.
			site.want(site.get("/none/"), 200, "none")
		})
	}
}

func TestMessagesConfigure(t *testing.T) {
	conf, err := urls.New(msgViews(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings manouche.Settings
		want     string
	}{
		{"unknown storage", manouche.Settings{Messages: manouche.MessageSettings{Storage: "fallback"}}, `Settings.Messages.Storage is "fallback"`},
		{"cookie storage without a key", manouche.Settings{Messages: manouche.MessageSettings{Storage: "cookie"}}, "The SECRET_KEY setting must not be empty"},
		{"session storage without a key", manouche.Settings{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.New(handler.Config{Settings: tc.settings, URLConf: conf, Middleware: []middleware.Factory{middleware.Messages()}})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("handler.New: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestMessagesCookieStorage(t *testing.T) {
	settings := manouche.Settings{
		Messages: manouche.MessageSettings{Storage: "cookie", CookieName: "flash"},
		Session:  manouche.SessionSettings{CookieDomain: "127.0.0.1", CookieSecure: false, CookieSameSite: http.SameSiteStrictMode},
	}
	site := newMsgSite(t, settings, middleware.Messages())
	res := site.get("/add/info/hello/")
	line := res.setCookieLine("flash")
	for _, attr := range []string{"flash=", "Path=/", "Domain=127.0.0.1", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(line, attr) {
			t.Errorf("Set-Cookie %q lacks %s", line, attr)
		}
	}
	if strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires") {
		t.Errorf("Set-Cookie %q is not a browser-session cookie", line)
	}
	// Shown: the cookie is deleted.
	res = site.get("/show/")
	site.want(res, 200, "20:hello:info")
	if line := res.setCookieLine("flash"); !strings.Contains(line, "Max-Age=0") {
		t.Errorf("the consumed messages' cookie is not deleted: %q", line)
	}

	// Too many for 2048 bytes: the oldest go, the cookie fits.
	res = site.get("/many/40/60/")
	site.want(res, 200, "ok")
	c := res.cookie("flash")
	if c == nil || len(c.Value) > 2048 {
		t.Fatalf("cookie %v", c)
	}
	res = site.get("/show/")
	shown := strings.Split(res.body, "|")
	if len(shown) >= 40 || len(shown) < 5 || !strings.HasPrefix(shown[len(shown)-1], "20:039-") {
		t.Fatalf("%d messages kept, last %q; want the newest that fit", len(shown), shown[len(shown)-1])
	}

	// A cookie signed with another key or salt, or garbage: ignored, and
	// deleted once read.
	forged, _ := signing.TimestampSigner{Key: "other", Salt: "manouche.middleware.messages"}.Dumps([]any{[]any{40, "forged"}}, false)
	otherSalt, _ := signing.TimestampSigner{Key: sessTestSecret, Salt: "manouche.middleware.session"}.Dumps([]any{[]any{40, "forged"}}, false)
	good, _ := signing.TimestampSigner{Key: sessTestSecret, Salt: "manouche.middleware.messages"}.Dumps([]any{[]any{40, "kept"}, "junk", []any{"x", "y"}, []any{20.5, "z"}, []any{30, "t", "tag"}}, false)
	for _, tc := range []struct{ name, value, want string }{
		{"forged", forged, ""},
		{"another salt", otherSalt, ""},
		{"garbage", "garbage", ""},
		{"huge", strings.Repeat("a", 4000), ""},
		{"good, with junk entries skipped", good, "40:kept:error|30:t:tag warning"},
	} {
		res := site.getWithCookie("/show/", "flash="+tc.value)
		if res.body != tc.want {
			t.Errorf("%s: shown %q, want %q", tc.name, res.body, tc.want)
		}
		if line := res.setCookieLine("flash"); !strings.Contains(line, "Max-Age=0") {
			t.Errorf("%s: cookie not deleted: %q", tc.name, line)
		}
	}
}

func TestMessagesNotAllStoredInDebug(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings manouche.Settings
		mw       func() []middleware.Factory
		path     string
		// without Debug: how many are kept, and the first one kept
		kept  func(n int) bool
		first string
	}{
		{"cookie over 2048 bytes", manouche.Settings{Messages: manouche.MessageSettings{Storage: "cookie"}},
			func() []middleware.Factory { return []middleware.Factory{middleware.Messages()} },
			"/many/40/60/", func(n int) bool { return n >= 5 && n < 40 }, ""},
		{"session over 100 messages", manouche.Settings{},
			func() []middleware.Factory {
				return []middleware.Factory{middleware.Sessions(newSessMem(time.Now)), middleware.Messages()}
			},
			"/many/101/1/", func(n int) bool { return n == 100 }, "20:001-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug := tc.settings
			debug.Debug = true
			site := newMsgSite(t, debug, tc.mw()...)
			site.want(site.get(tc.path), 500, "*")
			if !strings.Contains(site.logs.String(), "Not all temporary messages could be stored.") {
				t.Errorf("logs: %s", site.logs.String())
			}
			// Without Debug: stored, the oldest dropped, no error.
			site = newMsgSite(t, tc.settings, tc.mw()...)
			site.want(site.get(tc.path), 200, "ok")
			shown := strings.Split(site.get("/show/").body, "|")
			if !tc.kept(len(shown)) || !strings.HasPrefix(shown[0], tc.first) {
				t.Errorf("%d messages kept, the first %q", len(shown), shown[0])
			}
		})
	}
}

func TestMessageTags(t *testing.T) {
	tests := []struct {
		msg  middleware.Message
		tags string
	}{
		{middleware.Message{Level: middleware.LevelDebug}, "debug"},
		{middleware.Message{Level: middleware.LevelInfo}, "info"},
		{middleware.Message{Level: middleware.LevelSuccess}, "success"},
		{middleware.Message{Level: middleware.LevelWarning}, "warning"},
		{middleware.Message{Level: middleware.LevelError}, "error"},
		{middleware.Message{Level: middleware.LevelError, ExtraTags: "a b"}, "a b error"},
		{middleware.Message{Level: 33, ExtraTags: "own"}, "own"},
		{middleware.Message{Level: 33}, ""},
	}
	for _, tc := range tests {
		if got := tc.msg.Tags(); got != tc.tags {
			t.Errorf("%+v.Tags() = %q, want %q", tc.msg, got, tc.tags)
		}
	}
	if s := (middleware.Message{Text: "hi"}).String(); s != "hi" {
		t.Errorf("String = %q", s)
	}
	var nilList *middleware.MessageList
	if msgs, err := nilList.All(); msgs != nil || err != nil {
		t.Errorf("nil All = %v, %v", msgs, err)
	}
	if err := nilList.Info("x"); err == nil {
		t.Error("nil Info succeeded")
	}
}
