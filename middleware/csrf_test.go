package middleware_test

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// The tests of the CSRF middleware (SEMANTICS 105, with 104 for the body
// and 99 for the host). Their helpers' names start with "csrf".

const csrfAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Fixed secrets: the tests mask them with their own implementation of
// Django's algorithm, independent of the middleware's.
const (
	csrfSecretA = "abcdefghijklmnopqrstuvwxyzABCDEF"
	csrfSecretB = "0123456789abcdefghijklmnopqrstuv"
)

// csrfTestMask is Django's _mask_cipher_secret with the given mask.
func csrfTestMask(secret, mask string) string {
	out := []byte(mask)
	for i := 0; i < len(secret); i++ {
		x := strings.IndexByte(csrfAlphabet, secret[i]) + strings.IndexByte(csrfAlphabet, mask[i])
		out = append(out, csrfAlphabet[x%62])
	}
	return string(out)
}

// csrfTestUnmask is Django's _unmask_cipher_token.
func csrfTestUnmask(token string) string {
	var out []byte
	for i := 0; i < 32; i++ {
		x := strings.IndexByte(csrfAlphabet, token[32+i]) - strings.IndexByte(csrfAlphabet, token[i])
		out = append(out, csrfAlphabet[(x+62)%62])
	}
	return string(out)
}

var csrfWellFormed = regexp.MustCompile(`^[a-zA-Z0-9]{32}$|^[a-zA-Z0-9]{64}$`)

// csrfBodySpy records whether the request body was read.
type csrfBodySpy struct {
	io.ReadCloser
	read *atomic.Bool
}

func (b *csrfBodySpy) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.ReadCloser.Read(p)
}

// csrfBrokenBody fails part-way, as a client that goes away.
type csrfBrokenBody struct{ sent bool }

func (b *csrfBrokenBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "csrfmiddlewaretoken=abc"), nil
	}
	return 0, errors.New("connection reset by peer")
}
func (b *csrfBrokenBody) Close() error { return nil }

type csrfSite struct {
	srv      *httptest.Server
	client   *http.Client
	logs     *testkit.LogBuffer
	bodyRead atomic.Bool
	viewRuns atomic.Int64
	broken   atomic.Bool // the next request's body fails part-way
}

type csrfSiteOptions struct {
	settings manouche.Settings
	tls      bool
	// recordReason installs a FailureView that answers 403 with
	// "reason: <reason>" and checks that it gets a *CSRFError.
	recordReason bool
	middleware   []middleware.Factory // default: CSRF alone
	engine       *templates.Engine
}

// csrfViews are the routes every site has.
func csrfViews(s *csrfSite, eng *templates.Engine) []urls.Pattern {
	ok := func(r *manouche.Request) (*manouche.Response, error) {
		s.viewRuns.Add(1)
		return response.Text("ok " + r.Method), nil
	}
	return []urls.Pattern{
		urls.Path("post/", ok),
		urls.Path("plain/", ok),
		urls.Path("exempt/", ok, urls.Attr(middleware.CSRFExempt())),
		urls.Include("free/", []urls.Pattern{
			urls.Path("in/", ok),
			urls.Path("back/", ok, urls.Attr(csrfExemptKey(), false)),
		}, urls.Attr(middleware.CSRFExempt())),
		urls.Path("ensure/", ok, urls.Attr(middleware.EnsureCSRFCookie())),
		urls.Path("token/", func(r *manouche.Request) (*manouche.Response, error) {
			tok, err := middleware.CSRFToken(r)
			if err != nil {
				return nil, err
			}
			return response.Text(tok), nil
		}),
		urls.Path("rotate/", func(r *manouche.Request) (*manouche.Response, error) {
			middleware.RotateCSRFToken(r)
			return response.Text("rotated"), nil
		}),
		urls.Path("csrferror/", func(r *manouche.Request) (*manouche.Response, error) {
			return nil, &middleware.CSRFError{Reason: "from a view"}
		}),
		urls.Path("form/", func(r *manouche.Request) (*manouche.Response, error) {
			if r.Method == http.MethodPost {
				post, err := r.POST()
				if err != nil {
					return nil, err
				}
				return response.Text("posted " + post.Get("name")), nil
			}
			return eng.Response(r, r.HTTP().URL.Query().Get("t")+".html", map[string]any{"title": "A <form>"}), nil
		}),
	}
}

func csrfExemptKey() any {
	k, _ := middleware.CSRFExempt()
	return k
}

// csrfTemplates are the templates of the round-trip tests.
var csrfTemplates = fstest.MapFS{
	// The request function CSRFInputFunc and the lazy token of
	// templates.CSRFProcessor.
	"form.html": {Data: []byte(`<h1>{{.title}}</h1><form method="post" action="/form/">{{csrf_input}}<input name="name"></form><p data-token="{{.csrf_token}}"></p>`)},
	// The request function alone.
	"func.html": {Data: []byte(`<form method="post">{{csrf_input}}</form>`)},
	// No token at all.
	"none.html": {Data: []byte(`<p>{{.title}}</p>`)},
}

func csrfEngine(t *testing.T, procs ...templates.ContextProcessor) *templates.Engine {
	t.Helper()
	eng, err := templates.NewEngine(templates.Config{
		FS:                []fs.FS{csrfTemplates},
		ContextProcessors: procs,
		RequestFuncs:      map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
	})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func newCSRFSite(t *testing.T, o csrfSiteOptions) *csrfSite {
	t.Helper()
	s := &csrfSite{logs: &testkit.LogBuffer{}}
	settings := o.settings
	if settings.AllowedHosts == nil {
		settings.AllowedHosts = []string{"*"}
	}
	if o.recordReason {
		settings.CSRF.FailureView = func(r *manouche.Request, err error) (*manouche.Response, error) {
			var ce *middleware.CSRFError
			if !errors.As(err, &ce) {
				return nil, errors.New("FailureView got no *CSRFError")
			}
			return manouche.NewResponse(403, []byte("reason: "+ce.Reason), "text/plain"), nil
		}
	}
	mw := o.middleware
	if mw == nil {
		mw = []middleware.Factory{middleware.CSRF()}
	}
	eng := o.engine
	if eng == nil {
		eng = csrfEngine(t, templates.CSRFProcessor(middleware.CSRFTokenFunc))
	}
	conf, err := urls.New(csrfViews(s, eng))
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Middleware: mw, Logger: s.logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.broken.Swap(false) {
			r.Body = &csrfBrokenBody{}
		}
		r.Body = &csrfBodySpy{ReadCloser: r.Body, read: &s.bodyRead}
		h.ServeHTTP(w, r)
	})
	if o.tls {
		s.srv = httptest.NewTLSServer(spy)
	} else {
		s.srv = httptest.NewServer(spy)
	}
	t.Cleanup(s.srv.Close)
	s.client = s.srv.Client()
	s.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return s
}

// csrfReq describes one request.
type csrfReq struct {
	method string
	path   string
	form   url.Values // sent urlencoded when not nil
	body   string     // sent as it is otherwise
	hdr    []string   // name, value pairs; "Host" sets the Host
}

func (s *csrfSite) do(t *testing.T, q csrfReq) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	ctype := ""
	switch {
	case q.form != nil:
		body, ctype = strings.NewReader(q.form.Encode()), "application/x-www-form-urlencoded"
	case q.body != "":
		body = strings.NewReader(q.body)
	}
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	path := q.path
	if path == "" {
		path = "/post/"
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(q.hdr); i += 2 {
		if q.hdr[i] == "Host" {
			req.Host = q.hdr[i+1]
		} else {
			req.Header.Add(q.hdr[i], q.hdr[i+1])
		}
	}
	s.bodyRead.Store(false)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// csrfCookieOf returns the CSRF cookie a response sets, or nil.
func csrfCookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// csrfCaptureDefault points slog.Default at a buffer for the test: the
// CSRF layer logs there.
func csrfCaptureDefault(t *testing.T) *testkit.LogBuffer {
	t.Helper()
	buf := &testkit.LogBuffer{}
	old := slog.Default()
	slog.SetDefault(buf.Logger())
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

func TestCSRFChecks(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true})
	host := strings.TrimPrefix(s.srv.URL, "http://")
	cookieA := "csrftoken=" + csrfSecretA
	maskedA := csrfTestMask(csrfSecretA, csrfSecretB)
	maskedA2 := csrfTestMask(csrfSecretA, "ZYXWVUTSRQPONMLKJIHGFEDCBA987654")
	maskedB := csrfTestMask(csrfSecretB, csrfSecretA)
	form := func(tok string) url.Values { return url.Values{"csrfmiddlewaretoken": {tok}, "name": {"x"}} }
	cases := []struct {
		item     string // the SEMANTICS item
		name     string
		q        csrfReq
		status   int
		reason   string
		bodyRead bool // whether the request body may have been read
	}{
		{"105", "GET passes without a cookie", csrfReq{method: "GET"}, 200, "", false},
		{"105", "HEAD passes", csrfReq{method: "HEAD"}, 200, "", false},
		{"105", "OPTIONS passes", csrfReq{method: "OPTIONS"}, 200, "", false},
		{"105", "TRACE passes", csrfReq{method: "TRACE"}, 200, "", false},
		{"105", "POST without a cookie: refused before the body is read",
			csrfReq{form: form(maskedA)}, 403, "CSRF cookie not set.", false},
		{"105", "PUT without a cookie", csrfReq{method: "PUT", hdr: []string{"X-CSRFToken", maskedA}}, 403, "CSRF cookie not set.", false},
		{"105", "a cookie, no token", csrfReq{form: url.Values{"name": {"x"}}, hdr: []string{"Cookie", cookieA}}, 403, "CSRF token missing.", true},
		{"105", "a cookie, a masked token", csrfReq{form: form(maskedA), hdr: []string{"Cookie", cookieA}}, 200, "", true},
		{"105", "another mask of the same secret", csrfReq{form: form(maskedA2), hdr: []string{"Cookie", cookieA}}, 200, "", true},
		{"105", "an unmasked secret as token", csrfReq{form: form(csrfSecretA), hdr: []string{"Cookie", cookieA}}, 200, "", true},
		{"105", "a masked cookie (Django < 4.0)", csrfReq{form: form(maskedA), hdr: []string{"Cookie", "csrftoken=" + maskedB + "; other=1", "Cookie", "csrftoken=" + maskedA2}}, 200, "", true},
		{"105", "a token of another secret", csrfReq{form: form(maskedB), hdr: []string{"Cookie", cookieA}}, 403, "CSRF token from POST incorrect.", true},
		{"105", "the other secret unmasked", csrfReq{form: form(csrfSecretB), hdr: []string{"Cookie", cookieA}}, 403, "CSRF token from POST incorrect.", true},
		{"105", "a token of the wrong length", csrfReq{form: form(maskedA[:63]), hdr: []string{"Cookie", cookieA}}, 403, "CSRF token from POST has incorrect length.", true},
		{"105", "a token with bad characters", csrfReq{form: form(maskedA[:63] + "!"), hdr: []string{"Cookie", cookieA}}, 403, "CSRF token from POST has invalid characters.", true},
		{"105", "a cookie of the wrong length", csrfReq{form: form(maskedA), hdr: []string{"Cookie", "csrftoken=short"}}, 403, "CSRF cookie has incorrect length.", false},
		{"105", "a cookie with bad characters", csrfReq{form: form(maskedA), hdr: []string{"Cookie", "csrftoken=" + csrfSecretA[:31] + "-"}}, 403, "CSRF cookie has invalid characters.", false},
		{"105", "the header token", csrfReq{method: "PUT", body: "{}", hdr: []string{"Cookie", cookieA, "X-CSRFToken", maskedA}}, 200, "", false},
		{"105", "the header token, unmasked, on DELETE", csrfReq{method: "DELETE", hdr: []string{"Cookie", cookieA, "X-CSRFToken", csrfSecretA}}, 200, "", false},
		{"105", "a JSON POST with the header token", csrfReq{body: `{"a": 1}`, hdr: []string{"Cookie", cookieA, "X-CSRFToken", maskedA, "Content-Type", "application/json"}}, 200, "", false},
		{"105", "an empty form token falls back to the header", csrfReq{form: form(""), hdr: []string{"Cookie", cookieA, "X-CSRFToken", maskedA}}, 200, "", true},
		{"105", "the form token wins over the header", csrfReq{form: form(maskedB), hdr: []string{"Cookie", cookieA, "X-CSRFToken", maskedA}}, 403, "CSRF token from POST incorrect.", true},
		{"105", "a wrong header token", csrfReq{method: "PATCH", hdr: []string{"Cookie", cookieA, "X-CSRFToken", maskedB}}, 403, "CSRF token from the 'X-Csrftoken' HTTP header incorrect.", false},
		{"105", "an empty header token", csrfReq{method: "PATCH", hdr: []string{"Cookie", cookieA, "X-CSRFToken", ""}}, 403, "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.", false},
		{"105", "the same Origin", csrfReq{form: form(maskedA), hdr: []string{"Cookie", cookieA, "Origin", "http://" + host}}, 200, "", true},
		{"105", "another Origin, checked before the cookie",
			csrfReq{form: form(maskedA), hdr: []string{"Origin", "https://evil.example"}}, 403,
			"Origin checking failed - https://evil.example does not match any trusted origins.", false},
		{"105", "the same host over another scheme", csrfReq{form: form(maskedA), hdr: []string{"Cookie", cookieA, "Origin", "https://" + host}}, 403,
			"Origin checking failed - https://" + host + " does not match any trusted origins.", false},
		{"105", "a null Origin", csrfReq{form: form(maskedA), hdr: []string{"Cookie", cookieA, "Origin", "null"}}, 403,
			"Origin checking failed - null does not match any trusted origins.", false},
		{"105", "an exempt route", csrfReq{path: "/exempt/", form: form("")}, 200, "", false},
		{"105", "an exempt include", csrfReq{path: "/free/in/"}, 200, "", false},
		{"105", "an exemption taken back", csrfReq{path: "/free/back/"}, 403, "CSRF cookie not set.", false},
	}
	for _, tc := range cases {
		t.Run(tc.item+"/"+tc.name, func(t *testing.T) {
			runs := s.viewRuns.Load()
			resp, body := s.do(t, tc.q)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tc.status, body)
			}
			if tc.reason != "" && body != "reason: "+tc.reason {
				t.Errorf("body %q, want the reason %q", body, tc.reason)
			}
			if ran := s.viewRuns.Load() > runs; ran != (tc.status == 200) {
				t.Errorf("view ran: %v", ran)
			}
			if !tc.bodyRead && s.bodyRead.Load() {
				t.Errorf("the request body was read")
			}
		})
	}
}

// TestCSRFBodyErrors: a body over the limits is its own 400 (Django reads
// request.POST and lets the error through); a body that cannot be read
// counts as a missing token (SEMANTICS 104, 105).
func TestCSRFBodyErrors(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true, settings: manouche.Settings{DataUploadMaxMemorySize: 20}})
	cookie := "csrftoken=" + csrfSecretA
	t.Run("100/too big → 400", func(t *testing.T) {
		resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {csrfSecretA}}, hdr: []string{"Cookie", cookie}})
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400; body %q", resp.StatusCode, body)
		}
		if !strings.Contains(s.logs.String(), "RequestDataTooBig") {
			t.Errorf("the 400 was not logged as RequestDataTooBig:\n%s", s.logs)
		}
	})
	t.Run("100/too big but the header token: POST still parses → 400", func(t *testing.T) {
		resp, _ := s.do(t, csrfReq{form: url.Values{"name": {strings.Repeat("x", 40)}}, hdr: []string{"Cookie", cookie, "X-CSRFToken", csrfSecretA}})
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	s = newCSRFSite(t, csrfSiteOptions{recordReason: true})
	t.Run("104/unreadable → CSRF token missing", func(t *testing.T) {
		s.broken.Store(true)
		resp, body := s.do(t, csrfReq{form: url.Values{"x": {"y"}}, hdr: []string{"Cookie", cookie}})
		if resp.StatusCode != 403 || body != "reason: CSRF token missing." {
			t.Fatalf("got %d %q, want 403 CSRF token missing.", resp.StatusCode, body)
		}
	})
	t.Run("104/unreadable, the header token → accepted", func(t *testing.T) {
		s.broken.Store(true)
		resp, body := s.do(t, csrfReq{form: url.Values{"x": {"y"}}, hdr: []string{"Cookie", cookie, "X-CSRFToken", csrfSecretA}})
		// The view runs; its own r.POST() is empty (the body is gone).
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %q, want 200", resp.StatusCode, body)
		}
	})
}

func TestCSRFHeaderName(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true, settings: manouche.Settings{CSRF: manouche.CSRFSettings{HeaderName: "X-XSRF-TOKEN", CookieName: "xsrf"}}})
	masked := csrfTestMask(csrfSecretA, csrfSecretB)
	for _, tc := range []struct {
		name   string
		hdr    []string
		status int
		reason string
	}{
		{"the custom header", []string{"Cookie", "xsrf=" + csrfSecretA, "x-xsrf-token", masked}, 200, ""},
		{"Django's header is not read", []string{"Cookie", "xsrf=" + csrfSecretA, "X-CSRFToken", masked}, 403, "CSRF token missing."},
		{"the default cookie is not read", []string{"Cookie", "csrftoken=" + csrfSecretA, "X-XSRF-TOKEN", masked}, 403, "CSRF cookie not set."},
		{"named as Django names it", []string{"Cookie", "xsrf=" + csrfSecretA, "X-XSRF-TOKEN", "bad"}, 403, "CSRF token from the 'X-Xsrf-Token' HTTP header has incorrect length."},
	} {
		t.Run("105/"+tc.name, func(t *testing.T) {
			resp, body := s.do(t, csrfReq{method: "PUT", hdr: tc.hdr})
			if resp.StatusCode != tc.status || (tc.reason != "" && body != "reason: "+tc.reason) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.reason)
			}
		})
	}
}

func TestCSRFTrustedOrigins(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true, settings: manouche.Settings{CSRF: manouche.CSRFSettings{
		TrustedOrigins: []string{"https://partner.example", "https://*.example.com", "http://*.plain.test:8080"},
	}}})
	tok := csrfTestMask(csrfSecretA, csrfSecretB)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://partner.example", true},
		{"http://partner.example", false},
		{"https://partner.example:443", false},
		{"https://a.example.com", true},
		{"https://a.b.example.com", true},
		{"https://example.com", true}, // Django's is_same_domain: the domain itself
		{"http://a.example.com", false},
		{"https://evilexample.com", false},
		{"https://example.com.evil", false},
		{"https://a.example.com:8443", false},
		{"http://x.plain.test:8080", true},
		{"http://x.plain.test", false},
		{"https://[::1", false}, // urlsplit's ValueError
	} {
		t.Run("105/"+tc.origin, func(t *testing.T) {
			resp, body := s.do(t, csrfReq{method: "PUT", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA, "X-CSRFToken", tok, "Origin", tc.origin}})
			if tc.ok && resp.StatusCode != 200 {
				t.Fatalf("got %d %q, want 200", resp.StatusCode, body)
			}
			want := "reason: Origin checking failed - " + tc.origin + " does not match any trusted origins."
			if !tc.ok && (resp.StatusCode != 403 || body != want) {
				t.Fatalf("got %d %q, want 403 %q", resp.StatusCode, body, want)
			}
		})
	}
}

// TestCSRFReferer is Django's strict Referer checking of HTTPS requests
// without an Origin header.
func TestCSRFReferer(t *testing.T) {
	csrfCaptureDefault(t)
	tok := csrfTestMask(csrfSecretA, csrfSecretB)
	base := []string{"Cookie", "csrftoken=" + csrfSecretA, "X-CSRFToken", tok}
	type tcase struct {
		name    string
		host    string
		referer []string // nil: none
		origin  string
		reason  string // "" → 200
	}
	run := func(t *testing.T, s *csrfSite, cases []tcase) {
		for _, tc := range cases {
			t.Run("105/"+tc.name, func(t *testing.T) {
				hdr := append([]string{"Host", tc.host}, base...)
				for _, r := range tc.referer {
					hdr = append(hdr, "Referer", r)
				}
				if tc.origin != "" {
					hdr = append(hdr, "Origin", tc.origin)
				}
				resp, body := s.do(t, csrfReq{method: "DELETE", hdr: hdr})
				if tc.reason == "" && resp.StatusCode != 200 {
					t.Fatalf("got %d %q, want 200", resp.StatusCode, body)
				}
				if tc.reason != "" && (resp.StatusCode != 403 || body != "reason: "+tc.reason) {
					t.Fatalf("got %d %q, want 403 %q", resp.StatusCode, body, tc.reason)
				}
			})
		}
	}
	t.Run("host", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{tls: true, recordReason: true, settings: manouche.Settings{
			CSRF: manouche.CSRFSettings{TrustedOrigins: []string{"https://*.partner.test", "http://legacy.test"}},
		}})
		run(t, s, []tcase{
			{"no Referer", "www.example.com", nil, "", "Referer checking failed - no Referer."},
			{"an empty Referer", "www.example.com", []string{""}, "", "Referer checking failed - Referer is malformed."},
			{"no scheme", "www.example.com", []string{"www.example.com/form/"}, "", "Referer checking failed - Referer is malformed."},
			{"no host", "www.example.com", []string{"https:///form/"}, "", "Referer checking failed - Referer is malformed."},
			{"bad brackets", "www.example.com", []string{"https://[::1/"}, "", "Referer checking failed - Referer is malformed."},
			{"an http Referer", "www.example.com", []string{"http://www.example.com/form/"}, "", "Referer checking failed - Referer is insecure while host is secure."},
			{"another host", "www.example.com", []string{"https://evil.example/form/"}, "", "Referer checking failed - https://evil.example/form/ does not match any trusted origins."},
			{"another port", "www.example.com", []string{"https://www.example.com:8443/"}, "", "Referer checking failed - https://www.example.com:8443/ does not match any trusted origins."},
			{"userinfo", "www.example.com", []string{"https://evil@www.example.com/"}, "", "Referer checking failed - https://evil@www.example.com/ does not match any trusted origins."},
			{"the same host", "www.example.com", []string{"https://www.example.com/form/?q=100%"}, "", ""},
			{"the same host and port", "www.example.com:8443", []string{"https://www.example.com:8443/"}, "", ""},
			{"a trusted subdomain", "www.example.com", []string{"https://a.partner.test/x"}, "", ""},
			{"a trusted host over https whatever its scheme", "www.example.com", []string{"https://legacy.test/"}, "", ""},
			// Joined with a comma, as a WSGI server does; the netloc is the
			// first one's.
			{"two Referer headers", "www.example.com", []string{"https://www.example.com/", "https://evil.example/"}, "", ""},
			{"two Referer headers, the first elsewhere", "www.example.com", []string{"https://evil.example/", "https://www.example.com/"}, "", "Referer checking failed - https://evil.example/,https://www.example.com/ does not match any trusted origins."},
			{"an Origin skips the Referer check", "www.example.com", nil, "https://www.example.com", ""},
		})
	})
	t.Run("cookie domain", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{tls: true, recordReason: true, settings: manouche.Settings{
			CSRF: manouche.CSRFSettings{CookieDomain: ".example.com"},
		}})
		run(t, s, []tcase{
			{"a sibling subdomain", "www.example.com", []string{"https://shop.example.com/"}, "", ""},
			{"the domain", "www.example.com", []string{"https://example.com/"}, "", ""},
			{"the server's port counts", "www.example.com:8443", []string{"https://shop.example.com:8443/"}, "", ""},
			{"without it", "www.example.com:8443", []string{"https://shop.example.com/"}, "", "Referer checking failed - https://shop.example.com/ does not match any trusted origins."},
			{"elsewhere", "www.example.com", []string{"https://example.org/"}, "", "Referer checking failed - https://example.org/ does not match any trusted origins."},
		})
	})
	t.Run("plain HTTP has no Referer check", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{recordReason: true})
		run(t, s, []tcase{{"no Referer over http", "www.example.com", nil, "", ""}})
	})
}

func TestCSRFCookie(t *testing.T) {
	csrfCaptureDefault(t)
	t.Run("105/defaults", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{})
		resp, tok := s.do(t, csrfReq{method: "GET", path: "/token/"})
		c := csrfCookieOf(resp, "csrftoken")
		if c == nil {
			t.Fatalf("no CSRF cookie: %v", resp.Header["Set-Cookie"])
		}
		if !regexp.MustCompile(`^[a-zA-Z0-9]{32}$`).MatchString(c.Value) {
			t.Errorf("cookie value %q is not a secret", c.Value)
		}
		if len(tok) != 64 || csrfTestUnmask(tok) != c.Value {
			t.Errorf("token %q does not unmask to the cookie's secret %q", tok, c.Value)
		}
		if c.MaxAge != 31449600 || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Secure || c.HttpOnly || c.Domain != "" {
			t.Errorf("cookie attributes: %+v (raw %q)", c, resp.Header["Set-Cookie"])
		}
		if c.Expires.Before(time.Now().Add(51 * 7 * 24 * time.Hour)) {
			t.Errorf("Expires %v: not 52 weeks ahead", c.Expires)
		}
		if v := resp.Header.Get("Vary"); v != "Cookie" {
			t.Errorf("Vary %q, want Cookie", v)
		}
		// The token works in a POST.
		resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {tok}}, hdr: []string{"Cookie", "csrftoken=" + c.Value}})
		if resp.StatusCode != 200 {
			t.Fatalf("POST with the token: %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/settings", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{settings: manouche.Settings{CSRF: manouche.CSRFSettings{
			CookieName: "xsrf", CookieAge: -1, CookieDomain: "example.com", CookiePath: "/app/",
			CookieSecure: true, CookieHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode,
		}}})
		resp, _ := s.do(t, csrfReq{method: "GET", path: "/token/"})
		c := csrfCookieOf(resp, "xsrf")
		if c == nil {
			t.Fatalf("no xsrf cookie: %v", resp.Header["Set-Cookie"])
		}
		raw := strings.Join(resp.Header["Set-Cookie"], "\n")
		if c.MaxAge != 0 || !c.Expires.IsZero() || strings.Contains(raw, "Max-Age") {
			t.Errorf("a negative age must give a browser-session cookie: %q", raw)
		}
		if c.Domain != "example.com" || c.Path != "/app/" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie attributes: %q", raw)
		}
	})
	t.Run("105/age and no SameSite", func(t *testing.T) {
		s := newCSRFSite(t, csrfSiteOptions{settings: manouche.Settings{CSRF: manouche.CSRFSettings{
			CookieAge: time.Hour, CookieSameSite: http.SameSiteDefaultMode,
		}}})
		resp, _ := s.do(t, csrfReq{method: "GET", path: "/token/"})
		raw := strings.Join(resp.Header["Set-Cookie"], "\n")
		if !strings.Contains(raw, "Max-Age=3600") || strings.Contains(raw, "SameSite") {
			t.Errorf("Set-Cookie %q: want Max-Age=3600 and no SameSite", raw)
		}
	})
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true})
	for _, tc := range []struct {
		name    string
		q       csrfReq
		status  int
		cookie  string // "": none; "new": a new secret; "same": csrfSecretA
		varyHas bool
	}{
		{"a page that does not use the token sets nothing", csrfReq{method: "GET", path: "/plain/"}, 200, "", false},
		{"nor with a cookie", csrfReq{method: "GET", path: "/plain/", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA}}, 200, "", false},
		{"nor an accepted POST", csrfReq{method: "PUT", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA, "X-CSRFToken", csrfSecretA}}, 200, "", false},
		{"using the token renews the cookie", csrfReq{method: "GET", path: "/token/", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA}}, 200, "same", true},
		{"a masked cookie is renewed unmasked", csrfReq{method: "GET", path: "/token/", hdr: []string{"Cookie", "csrftoken=" + csrfTestMask(csrfSecretA, csrfSecretB)}}, 200, "same", true},
		{"a malformed cookie is replaced, token used or not", csrfReq{method: "GET", path: "/plain/", hdr: []string{"Cookie", "csrftoken=bad"}}, 200, "new", true},
		{"a malformed cookie, on a refused POST", csrfReq{method: "POST", hdr: []string{"Cookie", "csrftoken=" + strings.Repeat("!", 32)}}, 403, "new", true},
		{"EnsureCSRFCookie sets it", csrfReq{method: "GET", path: "/ensure/"}, 200, "new", true},
		{"and renews it", csrfReq{method: "GET", path: "/ensure/", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA}}, 200, "same", true},
		{"but not on a refused request", csrfReq{method: "POST", path: "/ensure/"}, 403, "", false},
		{"rotation gives a new secret", csrfReq{method: "GET", path: "/rotate/", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA}}, 200, "new", true},
		{"a view's CSRFError is a 403", csrfReq{method: "GET", path: "/csrferror/"}, 403, "", false},
	} {
		t.Run("105/"+tc.name, func(t *testing.T) {
			resp, body := s.do(t, tc.q)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %q", resp.StatusCode, tc.status, body)
			}
			c := csrfCookieOf(resp, "csrftoken")
			switch tc.cookie {
			case "":
				if c != nil {
					t.Errorf("a cookie was set: %v", resp.Header["Set-Cookie"])
				}
			case "same":
				if c == nil || c.Value != csrfSecretA {
					t.Errorf("want the cookie %s renewed, got %v", csrfSecretA, resp.Header["Set-Cookie"])
				}
			case "new":
				if c == nil || c.Value == csrfSecretA || len(c.Value) != 32 || !csrfWellFormed.MatchString(c.Value) {
					t.Errorf("want a new secret, got %v", resp.Header["Set-Cookie"])
				}
			}
			if has := strings.Contains(resp.Header.Get("Vary"), "Cookie"); has != tc.varyHas {
				t.Errorf("Vary %q", resp.Header.Get("Vary"))
			}
		})
	}
}

// TestCSRFRoundTrip: a browser-free client with a cookie jar gets a form
// rendered through the templates package, posts it back, then forges one.
func TestCSRFRoundTrip(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := s.srv.Client()
	c.Jar = jar
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(tok string) (*http.Response, string) {
		t.Helper()
		resp, err := c.PostForm(s.srv.URL+"/form/", url.Values{"csrfmiddlewaretoken": {tok}, "name": {"Ada"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	input := regexp.MustCompile(`<input type="hidden" name="csrfmiddlewaretoken" value="([a-zA-Z0-9]{64})">`)

	resp, page := get("/form/?t=form")
	m := input.FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET form: %d, no hidden input (escaped?) in %q", resp.StatusCode, page)
	}
	if !strings.Contains(page, "<h1>A &lt;form&gt;</h1>") {
		t.Errorf("the page's own data is not escaped: %q", page)
	}
	first := csrfCookieOf(resp, "csrftoken")
	if first == nil || resp.Header.Get("Vary") != "Cookie" {
		t.Fatalf("the form page must set the cookie and Vary: Cookie: %v", resp.Header)
	}
	if csrfTestUnmask(m[1]) != first.Value {
		t.Fatalf("the page's token does not unmask to the cookie")
	}
	lazy := regexp.MustCompile(`data-token="([a-zA-Z0-9]{64})"`).FindStringSubmatch(page)
	if lazy == nil || lazy[1] == m[1] || csrfTestUnmask(lazy[1]) != first.Value {
		t.Fatalf("the lazy csrf_token is missing or wrong: %q", page)
	}

	t.Run("105/the posted form validates", func(t *testing.T) {
		resp, body := post(m[1])
		if resp.StatusCode != 200 || body != "posted Ada" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/the lazy token validates too", func(t *testing.T) {
		if resp, body := post(lazy[1]); resp.StatusCode != 200 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/a forged token is refused", func(t *testing.T) {
		resp, body := post(csrfTestMask(csrfSecretB, csrfSecretA))
		if resp.StatusCode != 403 || body != "reason: CSRF token from POST incorrect." {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/the next form keeps the secret and renews the cookie", func(t *testing.T) {
		resp, page := get("/form/?t=form")
		m2 := input.FindStringSubmatch(page)
		if m2 == nil || m2[1] == m[1] || csrfTestUnmask(m2[1]) != first.Value {
			t.Fatalf("want a new mask of the same secret")
		}
		// Using the token sends the cookie again, with a fresh expiry
		// (Django's CSRF_COOKIE_NEEDS_UPDATE).
		if c := csrfCookieOf(resp, "csrftoken"); c == nil || c.Value != first.Value {
			t.Fatalf("the cookie was not renewed: %v", resp.Header["Set-Cookie"])
		}
		if resp, body := post(m2[1]); resp.StatusCode != 200 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/the template function", func(t *testing.T) {
		resp, page := get("/form/?t=func")
		m3 := input.FindStringSubmatch(page)
		if resp.StatusCode != 200 || m3 == nil {
			t.Fatalf("GET func: %d %q", resp.StatusCode, page)
		}
		if resp, body := post(m3[1]); resp.StatusCode != 200 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/a login rotates the secret: old tokens fail", func(t *testing.T) {
		get("/rotate/")
		if resp, body := post(m[1]); resp.StatusCode != 403 || body != "reason: CSRF token from POST incorrect." {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		_, page := get("/form/?t=form")
		m4 := input.FindStringSubmatch(page)
		if resp, body := post(m4[1]); resp.StatusCode != 200 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
}

func TestCSRFLazyTemplates(t *testing.T) {
	csrfCaptureDefault(t)
	eng := csrfEngine(t, templates.CSRFProcessor(middleware.CSRFTokenFunc), templates.RequestProcessor)
	s := newCSRFSite(t, csrfSiteOptions{engine: eng})
	resp, page := s.do(t, csrfReq{method: "GET", path: "/form/?t=none"})
	if resp.StatusCode != 200 || csrfCookieOf(resp, "csrftoken") != nil || resp.Header.Get("Vary") != "" {
		t.Fatalf("a page without a token: %d %v %q", resp.StatusCode, resp.Header, page)
	}
	resp, page = s.do(t, csrfReq{method: "GET", path: "/form/?t=func"})
	if resp.StatusCode != 200 || csrfCookieOf(resp, "csrftoken") == nil || !strings.Contains(page, `name="csrfmiddlewaretoken"`) {
		t.Fatalf("a page with {{csrf_input}}: %d %v %q", resp.StatusCode, resp.Header, page)
	}
}

// TestCSRFFailureLogged: the 403 is logged once, with its reason, on the
// handler's logger under the CSRF logger name, and the handler does not
// log it again (SEMANTICS 11, 105).
func TestCSRFFailureLogged(t *testing.T) {
	def := csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{})
	resp, _ := s.do(t, csrfReq{form: url.Values{"a": {"b"}}})
	if resp.StatusCode != 403 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	line := s.logs.String()
	if n := strings.Count(line, "Forbidden (CSRF cookie not set.): /post/"); n != 1 {
		t.Errorf("the reason is logged %d times, want once:\n%s", n, line)
	}
	if strings.Count(line, "msg=") != 1 || strings.Contains(line, "Forbidden: /post/") {
		t.Errorf("the 403 is logged again:\n%s", line)
	}
	if def.String() != "" {
		t.Errorf("logged on slog.Default instead of the handler's logger:\n%s", def)
	}
	for _, want := range []string{"level=WARN", "logger=manouche.security.csrf", "status=403", "method=POST"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	// A FailureView answering a 403 of its own: still logged once.
	s2 := newCSRFSite(t, csrfSiteOptions{recordReason: true})
	resp, _ = s2.do(t, csrfReq{method: "PUT", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA}})
	if resp.StatusCode != 403 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := s2.logs.String(); strings.Count(got, "msg=") != 1 || !strings.Contains(got, "Forbidden (CSRF token missing.): /post/") {
		t.Errorf("want one line, Forbidden (CSRF token missing.): /post/, got:\n%s", got)
	}
}

func TestCSRFDefaultFailurePage(t *testing.T) {
	csrfCaptureDefault(t)
	for _, debug := range []bool{false, true} {
		s := newCSRFSite(t, csrfSiteOptions{settings: manouche.Settings{Debug: debug}})
		resp, body := s.do(t, csrfReq{method: "PUT", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA, "X-CSRFToken", "<b>"}})
		if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("debug=%v: %d %q", debug, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{"<title>403 Forbidden</title>", "CSRF verification failed. Request aborted."} {
			if !strings.Contains(body, want) {
				t.Errorf("debug=%v: the page lacks %q", debug, want)
			}
		}
		reason := "CSRF token from the &#39;X-Csrftoken&#39; HTTP header has incorrect length."
		if strings.Contains(body, reason) != debug {
			t.Errorf("debug=%v: reason shown: %v\n%s", debug, !debug, body)
		}
		if strings.Contains(body, "<b>") {
			t.Errorf("the token is echoed unescaped")
		}
	}
	s := newCSRFSite(t, csrfSiteOptions{})
	_, body := s.do(t, csrfReq{form: url.Values{}})
	if !strings.Contains(body, "this site requires a CSRF cookie when submitting forms") {
		t.Errorf("no explanation of the missing cookie: %s", body)
	}
}

func TestCSRFConfigure(t *testing.T) {
	for _, tc := range []struct {
		name string
		csrf manouche.CSRFSettings
		want string // "" → builds
	}{
		{"trusted origins with schemes", manouche.CSRFSettings{TrustedOrigins: []string{"https://example.com", "http://*.example.org:8000", "https://[::1]:8443"}}, ""},
		{"a bare host", manouche.CSRFSettings{TrustedOrigins: []string{"https://ok.example", "example.com"}},
			"must start with a scheme (usually http:// or https://) but found example.com."},
		{"a wildcard without a scheme", manouche.CSRFSettings{TrustedOrigins: []string{"*.example.com"}}, "but found *.example.com."},
		{"a scheme without slashes", manouche.CSRFSettings{TrustedOrigins: []string{"https:example.com"}}, "but found https:example.com."},
		{"a bad header name", manouche.CSRFSettings{HeaderName: "X CSRF"}, `Settings.CSRF.HeaderName "X CSRF" is not a valid HTTP header name`},
		{"a bad cookie name", manouche.CSRFSettings{CookieName: "csrf;token"}, `Settings.CSRF.CookieName "csrf;token" is not a valid cookie name`},
	} {
		t.Run("105/"+tc.name, func(t *testing.T) {
			conf, err := urls.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = handler.New(handler.Config{Settings: manouche.Settings{CSRF: tc.csrf}, URLConf: conf, Middleware: []middleware.Factory{middleware.CSRF()}})
			if tc.want == "" && err != nil {
				t.Fatalf("handler.New: %v", err)
			}
			if tc.want != "" {
				var ic *manouche.ImproperlyConfigured
				if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ic) {
					t.Fatalf("handler.New: %v, want an ImproperlyConfigured with %q", err, tc.want)
				}
			}
		})
	}
}

// TestCSRFDoubleLayer: two CSRF layers check and set once
// (csrf_processing_done, CSRF_COOKIE_NEEDS_UPDATE cleared).
func TestCSRFDoubleLayer(t *testing.T) {
	csrfCaptureDefault(t)
	s := newCSRFSite(t, csrfSiteOptions{middleware: []middleware.Factory{middleware.CSRF(), middleware.CSRF()}})
	resp, tok := s.do(t, csrfReq{method: "GET", path: "/token/"})
	if n := len(resp.Header["Set-Cookie"]); n != 1 || resp.Header.Get("Vary") != "Cookie" {
		t.Fatalf("Set-Cookie %v, Vary %q", resp.Header["Set-Cookie"], resp.Header.Get("Vary"))
	}
	c := csrfCookieOf(resp, "csrftoken")
	resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {tok}}, hdr: []string{"Cookie", "csrftoken=" + c.Value}})
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

// TestCSRFWithoutHandler: the token functions need the handler's request
// scope.
func TestCSRFWithoutHandler(t *testing.T) {
	def := csrfCaptureDefault(t)
	hr := httptest.NewRequest("GET", "/", nil)
	r := manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/")
	if _, err := middleware.CSRFToken(r); err == nil {
		t.Fatal("CSRFToken without a scope: no error")
	}
	if got := middleware.CSRFInput(r); got != "" {
		t.Fatalf("CSRFInput without a scope: %q", got)
	}
	if got := middleware.CSRFTokenFunc(r); got != "" {
		t.Fatalf("CSRFTokenFunc without a scope: %q", got)
	}
	if !strings.Contains(def.String(), "CSRF token unavailable") {
		t.Errorf("the failure is not logged: %q", def)
	}
	if _, err := middleware.CSRFInputFunc(r); err == nil {
		t.Fatal("CSRFInputFunc without a scope: no error")
	}
	middleware.RotateCSRFToken(r) // does nothing, does not panic
	var pd *manouche.PermissionDenied
	if err := error(&middleware.CSRFError{Reason: "x"}); !errors.As(err, &pd) || err.Error() != "CSRF verification failed: x" {
		t.Fatalf("CSRFError: %v", err)
	}
}

// TestCSRFNoAllocations: a safe request that never uses the token costs
// the layer no allocation.
func TestCSRFNoAllocations(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{urls.Path("p/", func(*manouche.Request) (*manouche.Response, error) {
		return manouche.NewResponse(200, nil, "text/plain"), nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(mw []middleware.Factory, cookie string) float64 {
		h, err := handler.New(handler.Config{Settings: manouche.Settings{AllowedHosts: []string{"*"}}, URLConf: conf, Middleware: mw, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/p/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			w.Body.Reset()
			h.ServeHTTP(w, req)
		})
	}
	without := allocs(nil, "")
	with := allocs([]middleware.Factory{middleware.CSRF()}, "")
	// A layer costs the handler's conversion closure nothing per request;
	// whatever more there is comes from the CSRF layer.
	if with > without {
		t.Errorf("GET without a cookie: %v allocations with CSRF, %v without", with, without)
	}
	withCookie := allocs([]middleware.Factory{middleware.CSRF()}, "csrftoken="+csrfSecretA)
	t.Logf("allocations per GET: %v without CSRF, %v with, %v with a CSRF cookie", without, with, withCookie)
	// Request.Cookies parses the header once (the map, and its entry).
	if withCookie > without+2 {
		t.Errorf("GET with a cookie: %v allocations with CSRF, %v without", withCookie, without)
	}
}

// TestCSRFSessions: with Settings.CSRF.UseSessions the secret lives in the
// session (CSRF_USE_SESSIONS); the session middleware must come first.
func TestCSRFSessions(t *testing.T) {
	csrfCaptureDefault(t)
	settings := manouche.Settings{SecretKey: "csrf-test-secret-key", CSRF: manouche.CSRFSettings{UseSessions: true}}
	s := newCSRFSite(t, csrfSiteOptions{recordReason: true, settings: settings,
		middleware: []middleware.Factory{middleware.Sessions(middleware.SignedCookies()), middleware.CSRF()}})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s.client.Jar = jar

	t.Run("105/no session, no secret", func(t *testing.T) {
		resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {csrfSecretA}}})
		if resp.StatusCode != 403 || body != "reason: CSRF cookie not set." || s.bodyRead.Load() {
			t.Fatalf("got %d %q (body read: %v)", resp.StatusCode, body, s.bodyRead.Load())
		}
	})
	resp, tok := s.do(t, csrfReq{method: "GET", path: "/token/"})
	if resp.StatusCode != 200 || len(tok) != 64 {
		t.Fatalf("GET /token/: %d %q", resp.StatusCode, tok)
	}
	t.Run("105/the secret is not a cookie", func(t *testing.T) {
		if c := csrfCookieOf(resp, "csrftoken"); c != nil {
			t.Fatalf("a CSRF cookie with UseSessions: %v", c)
		}
		if csrfCookieOf(resp, "sessionid") == nil {
			t.Fatalf("the session was not saved: %v", resp.Header["Set-Cookie"])
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Cookie") {
			t.Errorf("Vary %q", resp.Header.Get("Vary"))
		}
	})
	t.Run("105/the token validates against the session", func(t *testing.T) {
		resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {tok}}})
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/a wrong token", func(t *testing.T) {
		resp, body := s.do(t, csrfReq{method: "PUT", hdr: []string{"X-CSRFToken", csrfTestMask(csrfSecretB, csrfSecretA)}})
		if resp.StatusCode != 403 || body != "reason: CSRF token from the 'X-Csrftoken' HTTP header incorrect." {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/a csrftoken cookie is ignored", func(t *testing.T) {
		resp, body := s.do(t, csrfReq{method: "PUT", hdr: []string{"Cookie", "csrftoken=" + csrfSecretA, "X-CSRFToken", csrfSecretA}})
		if resp.StatusCode != 403 {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("105/rotation replaces the session's secret", func(t *testing.T) {
		s.do(t, csrfReq{method: "GET", path: "/rotate/"})
		if resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {tok}}}); resp.StatusCode != 403 {
			t.Fatalf("the old token after rotation: %d %q", resp.StatusCode, body)
		}
		_, tok2 := s.do(t, csrfReq{method: "GET", path: "/token/"})
		if resp, body := s.do(t, csrfReq{form: url.Values{"csrfmiddlewaretoken": {tok2}}}); resp.StatusCode != 200 {
			t.Fatalf("the new token: %d %q", resp.StatusCode, body)
		}
	})

	for _, tc := range []struct {
		name string
		mw   []middleware.Factory
	}{
		{"no session middleware", []middleware.Factory{middleware.CSRF()}},
		{"the session middleware after CSRF", []middleware.Factory{middleware.CSRF(), middleware.Sessions(middleware.SignedCookies())}},
	} {
		t.Run("105/"+tc.name, func(t *testing.T) {
			s := newCSRFSite(t, csrfSiteOptions{settings: settings, middleware: tc.mw})
			resp, _ := s.do(t, csrfReq{method: "GET", path: "/plain/"})
			if resp.StatusCode != 500 {
				t.Fatalf("status %d, want 500", resp.StatusCode)
			}
			if !strings.Contains(s.logs.String(), "the session middleware must come before CSRF") {
				t.Errorf("the 500 does not say why:\n%s", s.logs)
			}
		})
	}
}
