package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// This file also holds the helpers the tests of the header-only built-in
// middleware (Security, XFrameOptions, Common) share; their names start
// with "hdr".

// hdrServe builds a handler from cfg (the URLconf from patterns when
// cfg.URLConf is nil, every host allowed unless cfg says otherwise, logs
// discarded unless cfg has a logger) and serves it over plain HTTP, or
// over TLS when tls is true. The client does not follow redirects.
func hdrServe(t *testing.T, cfg handler.Config, tls bool, patterns ...urls.Pattern) (*httptest.Server, *http.Client) {
	t.Helper()
	h := hdrHandler(t, cfg, patterns...)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return srv, c
}

// hdrHandler builds the handler hdrServe serves.
func hdrHandler(t *testing.T, cfg handler.Config, patterns ...urls.Pattern) *handler.Handler {
	t.Helper()
	if cfg.URLConf == nil {
		conf, err := urls.New(patterns)
		if err != nil {
			t.Fatalf("urls.New: %v", err)
		}
		cfg.URLConf = conf
	}
	if cfg.Settings.AllowedHosts == nil {
		cfg.Settings.AllowedHosts = []string{"*"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := handler.New(cfg)
	if err != nil {
		t.Fatalf("handler.New: %v", err)
	}
	return h
}

// hdrDo sends one request and returns the response with its body read.
// hdr are header name/value pairs; the name "Host" sets the request's
// Host.
func hdrDo(t *testing.T, c *http.Client, method, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, string(body)
}

// hdrText is a view answering 200 with body.
func hdrText(body string) manouche.View {
	return func(*manouche.Request) (*manouche.Response, error) { return response.Text(body), nil }
}

// hdrRenderer renders a deferred response to its own text.
type hdrRenderer string

func (s hdrRenderer) Render(context.Context) ([]byte, error) { return []byte(s), nil }

// hdrFileContent is the file of the file kinds.
const hdrFileContent = "0123456789"

// hdrKind is one kind of response a view can give, and what the client
// must get for it.
type hdrKind struct {
	name   string
	method string
	header []string // request headers, name/value pairs
	status int
	body   string
	// raw: the view wrote the response itself through
	// Request.ResponseWriter, so the response object, and the headers the
	// middleware set on it, are not sent.
	raw bool
}

// hdrKinds are the response kinds every header-only middleware must
// serve, each at /kind/<name>/ (HEAD and the ranged file reuse the
// buffered and file views).
var hdrKinds = []hdrKind{
	{name: "buffered", method: "GET", status: 200, body: "buffered"},
	{name: "streaming", method: "GET", status: 200, body: "streamed in chunks"},
	{name: "file", method: "GET", status: 200, body: hdrFileContent},
	{name: "file", method: "GET", header: []string{"Range", "bytes=2-4"}, status: 206, body: "234"},
	{name: "file", method: "HEAD", header: []string{"Range", "bytes=2-4"}, status: 206, body: ""},
	{name: "deferred", method: "GET", status: 200, body: "rendered late"},
	{name: "buffered", method: "HEAD", status: 200, body: ""},
	{name: "notmodified", method: "GET", status: 304, body: ""},
	{name: "flush", method: "GET", status: 200, body: "flushed by the view", raw: true},
	{name: "hijack", method: "GET", status: 200, body: "hijacked", raw: true},
}

// hdrKindPatterns are the routes of hdrKinds.
func hdrKindPatterns() []urls.Pattern {
	return []urls.Pattern{
		urls.Path("kind/buffered/", hdrText("buffered")),
		urls.Path("kind/streaming/", func(*manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) {
				for _, s := range []string{"streamed", " in", " chunks"} {
					if !yield([]byte(s)) {
						return
					}
				}
			}), nil
		}),
		urls.Path("kind/file/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.File(r, bytes.NewReader([]byte(hdrFileContent)), response.ContentType("text/plain; charset=utf-8")), nil
		}),
		urls.Path("kind/deferred/", func(*manouche.Request) (*manouche.Response, error) {
			return manouche.NewDeferredResponse(200, hdrRenderer("rendered late"), ""), nil
		}),
		urls.Path("kind/notmodified/", func(*manouche.Request) (*manouche.Response, error) {
			return response.NotModified(), nil
		}),
		urls.Path("kind/flush/", func(r *manouche.Request) (*manouche.Response, error) {
			w := r.ResponseWriter()
			w.Header().Set("Content-Type", "text/plain")
			if _, err := io.WriteString(w, "flushed by the view"); err != nil {
				return nil, err
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				return nil, err
			}
			return response.Text("not sent"), nil
		}),
		urls.Path("kind/hijack/", func(r *manouche.Request) (*manouche.Response, error) {
			conn, brw, err := http.NewResponseController(r.ResponseWriter()).Hijack()
			if err != nil {
				return nil, err
			}
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			if err := brw.Flush(); err != nil {
				return nil, err
			}
			return response.Text("not sent"), nil
		}),
	}
}

// hdrRunKinds requests every kind of hdrKinds from srv, checks status and
// body, and hands each response that the handler wrote (not a raw one)
// to check.
func hdrRunKinds(t *testing.T, srv *httptest.Server, c *http.Client, check func(t *testing.T, k hdrKind, resp *http.Response)) {
	t.Helper()
	for _, k := range hdrKinds {
		name := k.method + " " + k.name
		if len(k.header) > 0 {
			name += " " + k.header[1]
		}
		t.Run(name, func(t *testing.T) {
			resp, body := hdrDo(t, c, k.method, srv.URL+"/kind/"+k.name+"/", k.header...)
			if resp.StatusCode != k.status || body != k.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, k.status, k.body)
			}
			if !k.raw {
				check(t, k, resp)
			}
		})
	}
}

// securityHeaders are the headers the Security middleware may set.
var securityHeaders = []string{"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"}

// securityWant is what a response must carry: each of securityHeaders
// with the value given, "" meaning absent.
type securityWant struct{ hsts, nosniff, referrer, opener string }

func (w securityWant) check(t *testing.T, got http.Header) {
	t.Helper()
	for i, v := range []string{w.hsts, w.nosniff, w.referrer, w.opener} {
		name := securityHeaders[i]
		vals := got.Values(name)
		switch {
		case v == "" && len(vals) != 0:
			t.Errorf("%s: %q, want none", name, vals)
		case v != "" && (len(vals) != 1 || vals[0] != v):
			t.Errorf("%s: %q, want %q", name, vals, v)
		}
	}
}

// securityDefaults are the headers of Django's default settings on a
// plain-HTTP request.
var securityDefaults = securityWant{nosniff: "nosniff", referrer: "same-origin", opener: "same-origin"}

func TestSecurityHeaders(t *testing.T) {
	proxy := [2]string{"X-Forwarded-Proto", "https"}
	hsts := func(extra func(*manouche.SecureSettings)) manouche.SecureSettings {
		s := manouche.SecureSettings{HSTSSeconds: 3600}
		if extra != nil {
			extra(&s)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		secure manouche.SecureSettings
		tls    bool
		header []string
		want   securityWant
	}{
		{name: "SEMANTICS 63: defaults, plain HTTP", want: securityDefaults},
		{name: "SEMANTICS 63: defaults over TLS: no HSTS without HSTSSeconds", tls: true, want: securityDefaults},
		{name: "SEMANTICS 63: HSTS never on plain HTTP", secure: hsts(nil), want: securityDefaults},
		{name: "SEMANTICS 63: HSTS over TLS", secure: hsts(nil), tls: true,
			want: securityWant{"max-age=3600", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: HSTS includeSubDomains", secure: hsts(func(s *manouche.SecureSettings) { s.HSTSIncludeSubdomains = true }), tls: true,
			want: securityWant{"max-age=3600; includeSubDomains", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: HSTS preload", secure: hsts(func(s *manouche.SecureSettings) { s.HSTSPreload = true }), tls: true,
			want: securityWant{"max-age=3600; preload", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: HSTS includeSubDomains and preload", secure: hsts(func(s *manouche.SecureSettings) { s.HSTSIncludeSubdomains, s.HSTSPreload = true, true }), tls: true,
			want: securityWant{"max-age=3600; includeSubDomains; preload", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: HSTS behind a proxy that says https", secure: hsts(func(s *manouche.SecureSettings) { s.ProxySSLHeader = proxy }),
			header: []string{"X-Forwarded-Proto", "https"}, want: securityWant{"max-age=3600", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: HSTS behind a proxy: first value counts", secure: hsts(func(s *manouche.SecureSettings) { s.ProxySSLHeader = proxy }),
			header: []string{"X-Forwarded-Proto", "https, http"}, want: securityWant{"max-age=3600", "nosniff", "same-origin", "same-origin"}},
		{name: "SEMANTICS 63: no HSTS behind a proxy that says http, even over TLS", secure: hsts(func(s *manouche.SecureSettings) { s.ProxySSLHeader = proxy }),
			tls: true, header: []string{"X-Forwarded-Proto", "http"}, want: securityDefaults},
		{name: "SEMANTICS 63: no HSTS when the proxy header is missing on plain HTTP", secure: hsts(func(s *manouche.SecureSettings) { s.ProxySSLHeader = proxy }),
			want: securityDefaults},
		{name: "SEMANTICS 63: the proxy header is ignored without ProxySSLHeader", secure: hsts(nil),
			header: []string{"X-Forwarded-Proto", "https"}, want: securityDefaults},
		{name: "SEMANTICS 63: nosniff off", secure: manouche.SecureSettings{DisableContentTypeNosniff: true},
			want: securityWant{referrer: "same-origin", opener: "same-origin"}},
		{name: "SEMANTICS 63: one referrer policy", secure: manouche.SecureSettings{ReferrerPolicy: "strict-origin"},
			want: securityWant{nosniff: "nosniff", referrer: "strict-origin", opener: "same-origin"}},
		{name: "SEMANTICS 63: a referrer policy list is trimmed and joined", secure: manouche.SecureSettings{ReferrerPolicy: " no-referrer ,  strict-origin-when-cross-origin "},
			want: securityWant{nosniff: "nosniff", referrer: "no-referrer,strict-origin-when-cross-origin", opener: "same-origin"}},
		{name: "SEMANTICS 63: referrer policy off", secure: manouche.SecureSettings{ReferrerPolicy: manouche.Off},
			want: securityWant{nosniff: "nosniff", opener: "same-origin"}},
		{name: "SEMANTICS 63: opener policy", secure: manouche.SecureSettings{CrossOriginOpenerPolicy: "same-origin-allow-popups"},
			want: securityWant{nosniff: "nosniff", referrer: "same-origin", opener: "same-origin-allow-popups"}},
		{name: "SEMANTICS 63: opener policy off", secure: manouche.SecureSettings{CrossOriginOpenerPolicy: manouche.Off},
			want: securityWant{nosniff: "nosniff", referrer: "same-origin"}},
		{name: "SEMANTICS 63: everything off", secure: manouche.SecureSettings{DisableContentTypeNosniff: true, ReferrerPolicy: manouche.Off, CrossOriginOpenerPolicy: manouche.Off},
			tls: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := hdrServe(t, handler.Config{
				Settings:   manouche.Settings{Secure: tc.secure},
				Middleware: []middleware.Factory{middleware.Security()},
			}, tc.tls, urls.Path("page/", hdrText("page")))
			for _, path := range []string{"/page/", "/missing/"} { // a view's response and an error page
				resp, body := hdrDo(t, c, "GET", srv.URL+path, tc.header...)
				if path == "/page/" && (resp.StatusCode != 200 || body != "page") {
					t.Fatalf("GET %s: %d %q", path, resp.StatusCode, body)
				}
				tc.want.check(t, resp.Header)
			}
		})
	}
}

// SEMANTICS 63: every header is set only when the response lacks it.
func TestSecurityHeadersOnlyWhenAbsent(t *testing.T) {
	own := map[string]string{
		"Strict-Transport-Security":  "max-age=1",
		"X-Content-Type-Options":     "whatever",
		"Referrer-Policy":            "unsafe-url",
		"Cross-Origin-Opener-Policy": "unsafe-none",
	}
	srv, c := hdrServe(t, handler.Config{
		Settings:   manouche.Settings{Secure: manouche.SecureSettings{HSTSSeconds: 3600, HSTSPreload: true}},
		Middleware: []middleware.Factory{middleware.Security()},
	}, true,
		urls.Path("own/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("own")
			for k, v := range own {
				resp.Header().Set(k, v)
			}
			return resp, nil
		}),
		urls.Path("one/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("one")
			resp.Header().Set("Referrer-Policy", "no-referrer")
			return resp, nil
		}),
	)
	resp, _ := hdrDo(t, c, "GET", srv.URL+"/own/")
	securityWant{own["Strict-Transport-Security"], own["X-Content-Type-Options"], own["Referrer-Policy"], own["Cross-Origin-Opener-Policy"]}.check(t, resp.Header)

	resp, _ = hdrDo(t, c, "GET", srv.URL+"/one/")
	securityWant{"max-age=3600; preload", "nosniff", "no-referrer", "same-origin"}.check(t, resp.Header)
}

// SEMANTICS 63: SECURE_SSL_REDIRECT, SECURE_REDIRECT_EXEMPT and
// SECURE_SSL_HOST.
func TestSecuritySSLRedirect(t *testing.T) {
	exempt := []string{"^exempt/", `^api/v[0-9]+/`}
	proxy := [2]string{"X-Forwarded-Proto", "https"}
	script := "/app"
	for _, tc := range []struct {
		name     string
		secure   manouche.SecureSettings
		script   *string
		tls      bool
		method   string
		target   string
		header   []string
		location string // "" means no redirect: the view answers 200
	}{
		{name: "plain HTTP is redirected, query kept", target: "/page/?x=1&y=%20z",
			location: "https://{host}/page/?x=1&y=%20z"},
		{name: "POST too", method: "POST", target: "/page/", location: "https://{host}/page/"},
		{name: "HEAD too", method: "HEAD", target: "/page/", location: "https://{host}/page/"},
		{name: "the host as sent (Django's get_host validates it lower-cased but returns it as is), port kept", target: "/page/",
			header: []string{"Host", "WWW.Example.COM:8080"}, location: "https://WWW.Example.COM:8080/page/"},
		{name: "SSLHost", secure: manouche.SecureSettings{SSLHost: "secure.example.com"}, target: "/page/?q=1",
			location: "https://secure.example.com/page/?q=1"},
		{name: "the path is escaped as Django's get_full_path", target: "/pa%20ge%3F/caf%C3%A9;x=1?a=%3F",
			location: "https://{host}/pa%20ge%3F/caf%C3%A9%3Bx%3D1?a=%3F"},
		{name: "exempt", target: "/exempt/page/"},
		{name: "exempt, second pattern", target: "/api/v2/items/"},
		{name: "exempt patterns are searched, not anchored by the middleware", secure: manouche.SecureSettings{RedirectExempt: []string{"items/"}},
			target: "/api/vX/items/"},
		{name: "not exempt: the pattern is anchored", target: "/page/exempt/", location: "https://{host}/page/exempt/"},
		{name: "leading slashes are all stripped before matching", target: "//exempt/page/"},
		{name: "over TLS: no redirect", tls: true, target: "/page/"},
		{name: "a proxy saying https: no redirect", secure: manouche.SecureSettings{ProxySSLHeader: proxy}, target: "/page/",
			header: []string{"X-Forwarded-Proto", "https"}},
		{name: "a proxy saying http: redirect", secure: manouche.SecureSettings{ProxySSLHeader: proxy}, target: "/page/",
			header: []string{"X-Forwarded-Proto", "http"}, location: "https://{host}/page/"},
		{name: "a proxy saying http over TLS: redirect", secure: manouche.SecureSettings{ProxySSLHeader: proxy}, tls: true,
			target: "/page/", header: []string{"X-Forwarded-Proto", "http"}, location: "https://{host}/page/"},
		{name: "under a mount prefix the Location has it and exemptions ignore it", script: &script, target: "/page/",
			location: "https://{host}/app/page/"},
		{name: "under a mount prefix, exempt", script: &script, target: "/exempt/page/"},
	} {
		t.Run("SEMANTICS 63: "+tc.name, func(t *testing.T) {
			var views atomic.Int64
			sec := tc.secure
			sec.SSLRedirect = true
			if sec.RedirectExempt == nil {
				sec.RedirectExempt = exempt
			}
			view := func(r *manouche.Request) (*manouche.Response, error) {
				views.Add(1)
				return response.Text("view"), nil
			}
			srv, c := hdrServe(t, handler.Config{
				Settings:   manouche.Settings{Secure: sec, ForceScriptName: tc.script},
				Middleware: []middleware.Factory{middleware.Security()},
			}, tc.tls,
				urls.Path("page/", view), urls.Path("page/exempt/", view), urls.RePath(`^.*$`, view))
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, _ := hdrDo(t, c, method, srv.URL+tc.target, tc.header...)
			if tc.location == "" {
				if resp.StatusCode != 200 || views.Load() != 1 {
					t.Fatalf("got %d (views run: %d), want the view's 200", resp.StatusCode, views.Load())
				}
				return
			}
			_, host, _ := strings.Cut(srv.URL, "://")
			want := strings.ReplaceAll(tc.location, "{host}", host)
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
				t.Fatalf("got %d Location %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
			}
			if views.Load() != 0 {
				t.Errorf("the view ran for a redirected request")
			}
			// The response phase runs on the redirect as well (Django's
			// MiddlewareMixin): no HSTS, the request was not secure.
			securityDefaults.check(t, resp.Header)
		})
	}
}

// SEMANTICS 99: the SSL redirect goes to the validated host; a host that
// fails validation is the request's error (a 400), not a redirect to it.
// The handler validates the Host before any middleware, so the layer is
// driven directly here.
func TestSecurityRedirectHostError(t *testing.T) {
	s := &manouche.Settings{AllowedHosts: []string{"example.com"}, Secure: manouche.SecureSettings{SSLRedirect: true}}
	m, err := middleware.Security()(func(*manouche.Request) *manouche.Response { return response.Text("next") })
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

// Bad settings stop handler.New, naming what is wrong.
func TestSecurityConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secure manouche.SecureSettings
		want   []string
	}{
		{"a bad exempt pattern", manouche.SecureSettings{RedirectExempt: []string{"^ok/", "(unclosed"}},
			[]string{"middleware.Security", "RedirectExempt", `"(unclosed"`, "SECURE_REDIRECT_EXEMPT"}},
		{"a negative max-age", manouche.SecureSettings{HSTSSeconds: -1},
			[]string{"HSTSSeconds", "-1", "SECURE_HSTS_SECONDS"}},
		{"a misspelt referrer policy", manouche.SecureSettings{ReferrerPolicy: "no-referer"},
			[]string{"ReferrerPolicy", `"no-referer"`, "SECURE_REFERRER_POLICY", "strict-origin-when-cross-origin"}},
		{"a bad item in a referrer policy list", manouche.SecureSettings{ReferrerPolicy: "origin, nope"},
			[]string{"ReferrerPolicy", `"nope"`}},
		{"an empty item in a referrer policy list", manouche.SecureSettings{ReferrerPolicy: "origin,,same-origin"},
			[]string{"ReferrerPolicy", `""`}},
		{"Off in capitals is not Off", manouche.SecureSettings{ReferrerPolicy: "OFF"},
			[]string{"ReferrerPolicy", `"OFF"`, "manouche.Off"}},
		{"a bad opener policy", manouche.SecureSettings{CrossOriginOpenerPolicy: "same-site"},
			[]string{"CrossOriginOpenerPolicy", `"same-site"`, "SECURE_CROSS_ORIGIN_OPENER_POLICY"}},
		{"an opener policy is no list", manouche.SecureSettings{CrossOriginOpenerPolicy: "same-origin,unsafe-none"},
			[]string{"CrossOriginOpenerPolicy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := urls.New([]urls.Pattern{urls.Path("", hdrText("x"))})
			if err != nil {
				t.Fatal(err)
			}
			h, err := handler.New(handler.Config{
				Settings:   manouche.Settings{Secure: tc.secure},
				URLConf:    conf,
				Middleware: []middleware.Factory{middleware.Security()},
			})
			if err == nil {
				t.Fatalf("handler.New accepted %+v", tc.secure)
			}
			if h != nil {
				t.Errorf("handler.New returned a handler with its error")
			}
			var ic *manouche.ImproperlyConfigured
			if !errors.As(err, &ic) {
				t.Errorf("error %T is not an ImproperlyConfigured", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

// DESIGN promise 5: every kind of response gets the headers, over TLS
// with HSTS; the body is untouched and streams and files are still sent
// whole (or the range asked for).
func TestSecurityKinds(t *testing.T) {
	srv, c := hdrServe(t, handler.Config{
		Settings:   manouche.Settings{Secure: manouche.SecureSettings{HSTSSeconds: 60}},
		Middleware: []middleware.Factory{middleware.Security()},
	}, true, hdrKindPatterns()...)
	hdrRunKinds(t, srv, c, func(t *testing.T, _ hdrKind, resp *http.Response) {
		securityWant{"max-age=60", "nosniff", "same-origin", "same-origin"}.check(t, resp.Header)
	})
}

// The layer's name in messages.
func TestSecurityName(t *testing.T) {
	f := middleware.Security()
	m, err := f(func(*manouche.Request) *manouche.Response { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := middleware.Name(f, m); got != "middleware.Security" {
		t.Errorf("Name: %q", got)
	}
	if _, err := f(nil); err == nil {
		t.Errorf("a nil next layer was accepted")
	}
}
