package middleware_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// commonBoom is a converter whose ToGo fails with an error other than
// urls.ErrNoMatch: Django lets such an error out of is_valid_path.
type commonBoom struct{}

func (commonBoom) Regex() string             { return "boom" }
func (commonBoom) ToGo(string) (any, error)  { return nil, errors.New("the boom converter failed") }
func (commonBoom) ToURL(any) (string, error) { return "boom", nil }

func commonOK(*manouche.Request) (*manouche.Response, error) { return response.Text("ok"), nil }

// commonPatterns is the URLconf of Django's CommonMiddlewareTest
// (tests/middleware/urls.py) and a few more routes.
func commonPatterns(t *testing.T) *urls.Conf {
	t.Helper()
	noAppendKey, _ := middleware.NoAppendSlash()
	convs := urls.NewConverters()
	if err := convs.Register("boom", commonBoom{}); err != nil {
		t.Fatal(err)
	}
	conf, err := urls.New(append([]urls.Pattern{
		urls.Path("noslash", commonOK),
		urls.Path("slash/", commonOK),
		urls.Path("needsquoting#/", commonOK),
		urls.Path("caf\u00e9/", commonOK),
		// Accepts paths with two leading slashes.
		urls.RePath(`^(.+)/security/$`, commonOK),
		// "a" answers 404 itself, "b" raises Http404: their slash forms
		// exist but are not redirected to (SEMANTICS 46).
		urls.Path("a", func(*manouche.Request) (*manouche.Response, error) { return response.NotFound("a's own 404"), nil }),
		urls.Path("a/", commonOK),
		urls.Path("b", func(*manouche.Request) (*manouche.Response, error) { return nil, manouche.NotFound("b raised") }),
		urls.Path("b/", commonOK),
		urls.Path("noappend/", commonOK, urls.Attr(middleware.NoAppendSlash())),
		urls.Include("api/", []urls.Pattern{
			urls.Path("items/", commonOK),
			urls.Path("open/", commonOK, urls.Attr(noAppendKey, false)),
		}, urls.Attr(middleware.NoAppendSlash())),
		urls.Path("x/<boom:v>/", commonOK),
		urls.Path("own-cl/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("ok")
			resp.Header().Set("Content-Length", "999") // a wrong value, removed by commonRecorder
			return resp, nil
		}),
		urls.Path("nocontent/", func(*manouche.Request) (*manouche.Response, error) {
			return response.Bytes(204, nil, ""), nil
		}),
	}, hdrKindPatterns()...), urls.WithConverters(convs))
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

func TestCommonAppendSlash(t *testing.T) {
	script := "/app"
	for _, tc := range []struct {
		name     string
		debug    bool
		disable  bool
		script   *string
		method   string
		target   string
		status   int
		location string
		log      string // a line the log must hold
	}{
		{name: "SEMANTICS 45: /slash?test=1", target: "/slash?test=1", status: 301, location: "/slash/?test=1"},
		{name: "SEMANTICS 45: /slash", target: "/slash", status: 301, location: "/slash/"},
		{name: "SEMANTICS 45: the query is kept as sent", target: "/slash?a=%2F&b=c+d&e", status: 301, location: "/slash/?a=%2F&b=c+d&e"},
		{name: "SEMANTICS 45: /noslash resolves", target: "/noslash", status: 200},
		{name: "SEMANTICS 45: /noslash/ has a slash already", target: "/noslash/", status: 404},
		{name: "SEMANTICS 45: /unknown", target: "/unknown", status: 404},
		{name: "SEMANTICS 45: //evil.com/security (Django's test, after RequestFactory)", target: "//evil.com/security",
			status: 301, location: "/%2Fevil.com/security/"},
		{name: "SEMANTICS 45: ////evil.com/security as sent", target: "////evil.com/security",
			status: 301, location: "/%2F//evil.com/security/"},
		{name: "SEMANTICS 45: the path is quoted", target: "/needsquoting%23", status: 301, location: "/needsquoting%23/"},
		{name: "SEMANTICS 45: non-ASCII is quoted", target: "/caf%C3%A9", status: 301, location: "/caf%C3%A9/"},
		{name: "SEMANTICS 46: a view that answers 404 itself", target: "/a", status: 404},
		{name: "SEMANTICS 46: a view that raises Http404", target: "/b", status: 404},
		{name: "SEMANTICS 45: NoAppendSlash", target: "/noappend", status: 404},
		{name: "SEMANTICS 45: NoAppendSlash on an include", target: "/api/items", status: 404},
		{name: "SEMANTICS 45: NoAppendSlash taken back below an include", target: "/api/open", status: 301, location: "/api/open/"},
		{name: "SEMANTICS 45: DisableAppendSlash", disable: true, target: "/slash", status: 404},
		{name: "SEMANTICS 45: a failing converter on the slash path is a 500, as Django", target: "/x/boom", status: 500,
			log: "the boom converter failed"},
		{name: "SEMANTICS 45: under a mount prefix", script: &script, target: "/slash?x=1", status: 301, location: "/app/slash/?x=1"},
		{name: "SEMANTICS 45: HEAD is redirected", method: "HEAD", target: "/slash", status: 301, location: "/slash/"},
		{name: "SEMANTICS 45: POST without Debug is redirected, the body lost", method: "POST", target: "/slash", status: 301, location: "/slash/"},
		{name: "SEMANTICS 45: PUT without Debug is redirected", method: "PUT", target: "/slash", status: 301, location: "/slash/"},
		{name: "SEMANTICS 45: GET with Debug is redirected", debug: true, target: "/slash?x", status: 301, location: "/slash/?x"},
		{name: "SEMANTICS 45: POST with Debug is a 500", debug: true, method: "POST", target: "/slash?x=1", status: 500,
			log: "You called this URL via POST, but the URL doesn't end in a slash and you have APPEND_SLASH set. " +
				"manouche can't redirect to the slash URL while maintaining POST data. Change your form to point to " +
				"{host}/slash/?x=1 (note the trailing slash), or set DisableAppendSlash in your manouche settings."},
		{name: "SEMANTICS 45: PUT with Debug is a 500", debug: true, method: "PUT", target: "/slash", status: 500,
			log: "You called this URL via PUT, but"},
		{name: "SEMANTICS 45: PATCH with Debug is a 500", debug: true, method: "PATCH", target: "/slash", status: 500,
			log: "maintaining PATCH data"},
		{name: "SEMANTICS 45: DELETE with Debug is a 500", debug: true, method: "DELETE", target: "/slash", status: 500,
			log: "You called this URL via DELETE"},
		{name: "SEMANTICS 45: the Debug message escapes leading slashes too", debug: true, method: "POST", target: "//evil.com/security",
			status: 500, log: "point to {host}/%2Fevil.com/security/ (note"},
		{name: "SEMANTICS 45: POST with Debug to a URL that resolves", debug: true, method: "POST", target: "/noslash", status: 200},
		{name: "SEMANTICS 45: POST with Debug to an unknown URL stays a 404", debug: true, method: "POST", target: "/unknown", status: 404},
		{name: "SEMANTICS 45: POST with Debug and DisableAppendSlash", debug: true, disable: true, method: "POST", target: "/slash", status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testkit.LogBuffer
			srv, c := hdrServe(t, handler.Config{
				Settings:   manouche.Settings{Debug: tc.debug, DisableAppendSlash: tc.disable, ForceScriptName: tc.script},
				URLConf:    commonPatterns(t),
				Middleware: []middleware.Factory{middleware.Common()},
				Logger:     logs.Logger(),
			}, false)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, _ := hdrDo(t, c, method, srv.URL+tc.target)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
				t.Fatalf("got %d Location %q, want %d %q", resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
			}
			if tc.log != "" {
				want := strings.ReplaceAll(tc.log, "{host}", strings.TrimPrefix(srv.URL, "http://"))
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, logs.String())
				}
			}
		})
	}
}

// SEMANTICS 9: the paths are resolved with the request's URLconf, which
// an earlier middleware may have replaced.
func TestCommonAppendSlashRequestURLConf(t *testing.T) {
	other, err := urls.New([]urls.Pattern{urls.Path("other/", commonOK)})
	if err != nil {
		t.Fatal(err)
	}
	swap := func(next middleware.Handler) (middleware.Middleware, error) {
		return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
			r.URLConf = other
			return next(r), nil
		}), nil
	}
	srv, c := hdrServe(t, handler.Config{
		URLConf:    commonPatterns(t),
		Middleware: []middleware.Factory{swap, middleware.Common()},
	}, false)
	for target, want := range map[string]string{"/other": "/other/", "/slash": ""} {
		resp, _ := hdrDo(t, c, "GET", srv.URL+target)
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("GET %s: %d Location %q, want %q", target, resp.StatusCode, got, want)
		}
	}
}

// DESIGN promise 1, SEMANTICS 57: the 404 that the redirect replaces is
// closed (its stream never produced), and the request finishes once;
// likewise when Debug turns the redirect into an error.
func TestCommonAppendSlashClosesThe404(t *testing.T) {
	for _, tc := range []struct {
		name      string
		debug     bool
		method    string
		streaming bool
		status    int
	}{
		{name: "buffered 404 replaced by the redirect", method: "GET", status: 301},
		{name: "streaming 404 replaced by the redirect", method: "GET", streaming: true, status: 301},
		{name: "404 replaced by the Debug POST error", debug: true, method: "POST", status: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				closer   testkit.CountCloser
				counters testkit.Counters
				produced atomic.Bool
			)
			// Inside Common: answers /slash with a 404 holding a file.
			inner := func(next middleware.Handler) (middleware.Middleware, error) {
				return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
					if r.PathInfo != "/slash" {
						return next(r), nil
					}
					resp := response.NotFound("inner 404")
					if tc.streaming {
						resp = manouche.NewStreamingResponse(404, func(context.Context, io.Writer) error {
							produced.Store(true)
							return nil
						}, "")
					}
					resp.AddCloser(&closer)
					return resp, nil
				}), nil
			}
			h := hdrHandler(t, handler.Config{
				Settings:   manouche.Settings{Debug: tc.debug},
				URLConf:    commonPatterns(t),
				Middleware: []middleware.Factory{middleware.Common(), inner},
			})
			counters.Connect(h.Signals())
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := srv.Client()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, _ := hdrDo(t, c, tc.method, srv.URL+"/slash")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			testkit.WaitFor(t, "request_finished", func() bool { return counters.Finished.Load() == 1 })
			if n := closer.N.Load(); n != 1 {
				t.Errorf("the replaced 404 was closed %d times, want 1", n)
			}
			if produced.Load() {
				t.Errorf("the replaced 404's stream was produced")
			}
			if s, f := counters.Started.Load(), counters.Finished.Load(); s != 1 || f != 1 {
				t.Errorf("started %d, finished %d; want 1, 1", s, f)
			}
		})
	}
}

// SEMANTICS 47: PREPEND_WWW, with the slash appended in the same redirect.
func TestCommonPrependWWW(t *testing.T) {
	proxy := [2]string{"X-Forwarded-Proto", "https"}
	for _, tc := range []struct {
		name     string
		tls      bool
		debug    bool
		disable  bool
		method   string
		target   string
		header   []string
		status   int
		location string
	}{
		{name: "a slash URL", target: "/slash/?x=1", status: 301, location: "http://www.example.com/slash/?x=1"},
		{name: "the slash appended in the same redirect", target: "/slash?x=1", status: 301, location: "http://www.example.com/slash/?x=1"},
		{name: "no slash appended when the URL resolves", target: "/noslash", status: 301, location: "http://www.example.com/noslash"},
		{name: "no slash appended to an unknown URL", target: "/unknown", status: 301, location: "http://www.example.com/unknown"},
		{name: "no slash appended with DisableAppendSlash", disable: true, target: "/slash", status: 301, location: "http://www.example.com/slash"},
		{name: "the path is quoted", target: "/caf%C3%A9", status: 301, location: "http://www.example.com/caf%C3%A9/"},
		{name: "the port is kept", target: "/slash/", header: []string{"Host", "example.com:8080"}, status: 301,
			location: "http://www.example.com:8080/slash/"},
		{name: "over TLS", tls: true, target: "/slash/", status: 301, location: "https://www.example.com/slash/"},
		{name: "behind a proxy that says https", target: "/slash/", header: []string{"X-Forwarded-Proto", "https"}, status: 301,
			location: "https://www.example.com/slash/"},
		{name: "www. already", target: "/slash/", header: []string{"Host", "www.example.com"}, status: 200},
		{name: "www. already, append slash still applies", target: "/slash", header: []string{"Host", "www.example.com"}, status: 301,
			location: "/slash/"},
		{name: "POST without Debug", method: "POST", target: "/slash", status: 301, location: "http://www.example.com/slash/"},
		{name: "POST with Debug that needs a slash is a 500", debug: true, method: "POST", target: "/slash", status: 500},
		{name: "POST with Debug that needs none", debug: true, method: "POST", target: "/slash/", status: 301,
			location: "http://www.example.com/slash/"},
	} {
		t.Run("SEMANTICS 47: "+tc.name, func(t *testing.T) {
			srv, c := hdrServe(t, handler.Config{
				Settings: manouche.Settings{PrependWWW: true, Debug: tc.debug, DisableAppendSlash: tc.disable,
					Secure: manouche.SecureSettings{ProxySSLHeader: proxy}},
				URLConf:    commonPatterns(t),
				Middleware: []middleware.Factory{middleware.Common()},
			}, tc.tls)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			hdr := append([]string{"Host", "example.com"}, tc.header...)
			resp, _ := hdrDo(t, c, method, srv.URL+tc.target, hdr...)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
				t.Fatalf("got %d Location %q, want %d %q", resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
			}
		})
	}
}

// DISALLOWED_USER_AGENTS: a match is a 403 from the request phase.
func TestCommonDisallowedUserAgents(t *testing.T) {
	var logs testkit.LogBuffer
	var views atomic.Int64
	srv, c := hdrServe(t, handler.Config{
		Settings: manouche.Settings{
			DisallowedUserAgents: []string{"^EvilBot", "(?i)scraper"},
			PrependWWW:           true, // the user agent is checked first
		},
		Middleware: []middleware.Factory{middleware.Common()},
		Logger:     logs.Logger(),
	}, false, urls.Path("page/", func(*manouche.Request) (*manouche.Response, error) {
		views.Add(1)
		return response.Text("page"), nil
	}))
	for _, tc := range []struct {
		ua     string
		status int
	}{
		{"EvilBot/1.0", 403},
		{"Mozilla/5.0 (compatible; SuperSCRAPER 2)", 403},
		{"Mozilla/5.0 EvilBot", 200}, // the first pattern is anchored
		{"", 200},                    // no User-Agent header at all
		{"Mozilla/5.0", 200},
	} {
		t.Run(tc.ua, func(t *testing.T) {
			before := views.Load()
			resp, _ := hdrDo(t, c, "GET", srv.URL+"/page/", "User-Agent", tc.ua, "Host", "www.example.com")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ran := views.Load() - before; (tc.status == 403) != (ran == 0) {
				t.Errorf("the view ran %d times", ran)
			}
		})
	}
	if !strings.Contains(logs.String(), "Forbidden (Permission denied): /page/") || !strings.Contains(logs.String(), "Forbidden user agent") {
		t.Errorf("the 403 was not logged as Django's PermissionDenied:\n%s", logs.String())
	}
	// A refused agent is not redirected to www. first.
	resp, _ := hdrDo(t, c, "GET", srv.URL+"/page/", "User-Agent", "EvilBot", "Host", "example.com")
	if resp.StatusCode != 403 {
		t.Errorf("a refused agent on a host without www.: %d, want 403", resp.StatusCode)
	}
}

// A pattern that does not compile stops handler.New, naming it.
func TestCommonConfigErrors(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{urls.Path("", commonOK)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = handler.New(handler.Config{
		Settings:   manouche.Settings{DisallowedUserAgents: []string{"^ok", "bad(", `(?<=x)y`}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Common()},
	})
	var ic *manouche.ImproperlyConfigured
	if !errors.As(err, &ic) {
		t.Fatalf("handler.New: %v, want an ImproperlyConfigured error", err)
	}
	for _, w := range []string{"middleware.Common", "DisallowedUserAgents", `"bad("`, "DISALLOWED_USER_AGENTS"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %s", err, w)
		}
	}
}

// SEMANTICS 98–99: the host is read in the request phase; one that fails
// validation is the request's error (a 400). The handler validates the
// Host before any middleware, so the layer is driven directly here.
func TestCommonHostError(t *testing.T) {
	s := &manouche.Settings{AllowedHosts: []string{"example.com"}}
	m, err := middleware.Common()(func(*manouche.Request) *manouche.Response { return response.Text("next") })
	if err != nil {
		t.Fatal(err)
	}
	if err := middleware.Configure(m, s); err != nil {
		t.Fatal(err)
	}
	hr := httptest.NewRequest("GET", "/page/", nil)
	hr.Host = "evil.example"
	resp, err := m.Serve(manouche.NewRequest(httptest.NewRecorder(), hr, s, nil, "", "/page/"))
	if !errors.Is(err, manouche.ErrDisallowedHost) || resp != nil {
		t.Fatalf("got %v, %v; want a DisallowedHost error", resp, err)
	}
	if got := manouche.StatusFor(err); got != 400 {
		t.Errorf("status for the error: %d, want 400", got)
	}
}

// commonRecorder is a layer, listed before Common, that records the
// Content-Length each response has when it leaves Common: on the wire
// net/http adds one to small bodies itself.
type commonRecorder struct {
	mu   sync.Mutex
	seen map[string][]string // "METHOD path Range" → Content-Length values
}

func (rec *commonRecorder) factory(next middleware.Handler) (middleware.Middleware, error) {
	return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
		resp := next(r)
		key := r.Method + " " + r.PathInfo + " " + r.Header().Get("Range")
		rec.mu.Lock()
		rec.seen[key] = resp.Header().Values("Content-Length")
		rec.mu.Unlock()
		if r.PathInfo == "/own-cl/" {
			resp.Header().Del("Content-Length") // its value was wrong on purpose
		}
		return resp, nil
	}), nil
}

func (rec *commonRecorder) get(key string) ([]string, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	v, ok := rec.seen[key]
	return v, ok
}

// SEMANTICS 61: Content-Length on buffered responses that lack it, never
// on streaming ones (DESIGN promise 5: every kind is served, its body
// untouched).
func TestCommonContentLength(t *testing.T) {
	rec := &commonRecorder{seen: map[string][]string{}}
	srv, c := hdrServe(t, handler.Config{
		URLConf:    commonPatterns(t),
		Middleware: []middleware.Factory{rec.factory, middleware.Common()},
	}, false)

	// Every kind: a buffered body gets its length, a rendered deferred
	// one too; a stream none; a file keeps its own.
	want := map[string]string{
		"GET /kind/buffered/ ":       "8",
		"HEAD /kind/buffered/ ":      "8",
		"GET /kind/streaming/ ":      "",
		"GET /kind/file/ ":           "10",
		"GET /kind/file/ bytes=2-4":  "3",
		"HEAD /kind/file/ bytes=2-4": "3",
		"GET /kind/deferred/ ":       strconv.Itoa(len("rendered late")),
		"GET /kind/notmodified/ ":    "",
		"GET /kind/flush/ ":          "8", // the unsent "not sent" response
		"GET /kind/hijack/ ":         "8",
		"GET /own-cl/ ":              "999",
		"GET /nocontent/ ":           "",
		"GET /slash ":                "", // Django returns the APPEND_SLASH redirect as it is
		"GET /noslash ":              "2",
	}
	hdrRunKinds(t, srv, c, func(t *testing.T, k hdrKind, resp *http.Response) {
		if k.name == "streaming" && resp.ContentLength != -1 {
			t.Errorf("a stream was sent with Content-Length %d", resp.ContentLength)
		}
	})
	for _, target := range []struct{ method, path string }{
		{"GET", "/own-cl/"}, {"GET", "/nocontent/"}, {"GET", "/slash"}, {"GET", "/noslash"},
	} {
		resp, body := hdrDo(t, c, target.method, srv.URL+target.path)
		if resp.StatusCode >= 500 || (target.path == "/own-cl/" && body != "ok") {
			t.Fatalf("%s %s: %d %q", target.method, target.path, resp.StatusCode, body)
		}
	}
	for key, w := range want {
		// A view that hijacks or writes by itself returns after the
		// client has its answer: wait, boundedly, for Common's response
		// phase to have run.
		testkit.WaitFor(t, key+" recorded", func() bool { _, ok := rec.get(key); return ok })
		got, ok := rec.get(key)
		if !ok {
			t.Errorf("%s: not recorded", key)
			continue
		}
		if w == "" && len(got) != 0 || w != "" && (len(got) != 1 || got[0] != w) {
			t.Errorf("%s: Content-Length %q when it left Common, want %q", key, got, w)
		}
	}

	// The 404 page of an unknown URL gets the length of its body.
	resp, body := hdrDo(t, c, "GET", srv.URL+"/unknown/")
	got, _ := rec.get("GET /unknown/ ")
	if resp.StatusCode != 404 || len(got) != 1 || got[0] != strconv.Itoa(len(body)) {
		t.Errorf("404 page: %d, Content-Length %q for %d bytes", resp.StatusCode, got, len(body))
	}
}

// The layer's name in messages.
func TestCommonName(t *testing.T) {
	f := middleware.Common()
	m, err := f(func(*manouche.Request) *manouche.Response { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := middleware.Name(f, m); got != "middleware.Common" {
		t.Errorf("Name: %q", got)
	}
	if _, err := f(nil); err == nil {
		t.Errorf("a nil next layer was accepted")
	}
}
