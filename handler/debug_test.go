package handler_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/urls"
)

// technical404View raises Http404 from a view that did resolve.
func technical404View(*manouche.Request) (*manouche.Response, error) {
	return nil, &manouche.Http404{Message: "Testing technical 404."}
}

// debugPatterns is a URLconf with names, an include with a namespace and a
// view that raises Http404.
func debugPatterns() []urls.Pattern {
	return []urls.Pattern{
		urls.Path("", text("home"), urls.Name("home")),
		urls.Path("articles/<int:year>/", text("year"), urls.Name("articles-year")),
		urls.Include("blog/", []urls.Pattern{
			urls.Path("post/", text("post"), urls.Name("post")),
		}, urls.AppName("blog"), urls.Namespace("weblog")),
		urls.Path("technical404/", technical404View, urls.Name("technical404")),
	}
}

// mustContain fails unless body holds every one of want.
func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
	if t.Failed() {
		t.Fatalf("body:\n%s", body)
	}
}

// mustNotContain fails if body holds any of bad.
func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("body holds %q", b)
		}
	}
	if t.Failed() {
		t.Fatalf("body:\n%s", body)
	}
}

func TestTechnical404(t *testing.T) {
	// SEMANTICS 96: with Debug, an unmatched path lists the patterns tried,
	// in order, with their names and namespaces, and says the path matched
	// none of them.
	h := build(t, handler.Config{Settings: manouche.Settings{Debug: true}, Logger: newRecLog().Logger()}, debugPatterns()...)

	rec := do(h, "GET", "/nope/")
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	mustContain(t, rec.Body.String(),
		"Page not found <span>(404)</span>",
		"<tr><th>Request Method:</th><td>GET</td></tr>",
		"<tr><th>Request URL:</th><td>http://example.com/nope/</td></tr>",
		"tried these URL patterns, in this order:",
		"[name='home']",
		"<code>articles/&lt;int:year&gt;/</code> [name='articles-year']",
		"<li><code>blog/</code> [namespace='weblog'] </li>", // an include that did not match: one level
		"[name='technical404']",
		"The current path, <code>nope/</code>, didn't match any of these.",
		"Debug = true",
	)

	// The plain-text form, for a client that asks for it: the chains in
	// order, numbered; below an include that matched, the chain runs from
	// the include to the leaf (SEMANTICS 39).
	rec = do(h, "GET", "/blog/nope/", "Accept", "text/plain")
	if ct := rec.Header().Get("Content-Type"); rec.Code != 404 || ct != "text/plain; charset=utf-8" {
		t.Fatalf("text/plain: got %d %q", rec.Code, ct)
	}
	mustContain(t, rec.Body.String(),
		"Page not found (404)\n",
		"[name='home'] \n1. ", // the empty route first
		"1. articles/<int:year>/ [name='articles-year']",
		"2. blog/ [namespace='weblog'] post/ [name='post']",
		"3. technical404/ [name='technical404']",
		"The current path, blog/nope/, didn't match any of these.",
	)
}

func TestTechnical404RaisedByView(t *testing.T) {
	// SEMANTICS 96: a view that raises Http404 is named ("Raised by:", the
	// view function as Django shows it), its message is shown, and the page
	// says the path matched the last pattern tried.
	h := build(t, handler.Config{Settings: manouche.Settings{Debug: true}, Logger: newRecLog().Logger()}, debugPatterns()...)
	rec := do(h, "GET", "/technical404/")
	if rec.Code != 404 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	mustContain(t, body,
		`<pre class="exception_value">Testing technical 404.</pre>`,
		"<tr><th>Raised by:</th><td>github.com/manouche/manouche/handler_test.technical404View</td></tr>",
	)
	// Django lists resolver_match.tried (the patterns tried up to the
	// match) and says "matched the last one."; the handler asks the
	// URLconf for that list only when it builds this page.
	mustContain(t, body,
		"The current path, <code>technical404/</code>, matched the last one.",
		"<code>technical404/</code>",
	)
}

func TestInstallWorkedPage(t *testing.T) {
	// SEMANTICS 96: with Debug and an empty URLconf, "/" shows the
	// install-worked page instead of the technical 404; as in Django
	// (views/debug.py default_urlconf) it is a 200.
	h := build(t, handler.Config{Settings: manouche.Settings{Debug: true}, Logger: newRecLog().Logger()})
	rec := do(h, "GET", "/")
	if rec.Code != 200 {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	mustContain(t, rec.Body.String(), "The install worked successfully! Congratulations!")

	h = build(t, handler.Config{Logger: newRecLog().Logger()})
	rec = do(h, "GET", "/")
	if rec.Code != 404 || rec.Body.String() != djangoErrorPage("Not Found", "The requested resource was not found on this server.") {
		t.Fatalf("Debug off: got %d %q", rec.Code, rec.Body)
	}
}

func TestNoTechnical404WithoutDebug(t *testing.T) {
	// SEMANTICS 96: never any of it with Debug off.
	h := build(t, handler.Config{Logger: newRecLog().Logger()}, debugPatterns()...)
	for _, p := range []string{"/nope/", "/technical404/"} {
		for _, accept := range []string{"", "text/plain"} {
			rec := do(h, "GET", p, "Accept", accept)
			if rec.Code != 404 {
				t.Fatalf("%s: status %d", p, rec.Code)
			}
			mustNotContain(t, rec.Body.String(), "Page not found", "tried these URL patterns", "articles-year",
				"didn't match", "matched the last one", "Raised by", "Testing technical 404", "install worked", "Debug = true")
		}
	}
}

// panicView panics with an error that wraps another.
func panicView(*manouche.Request) (*manouche.Response, error) {
	panic(fmt.Errorf("loading widget 42: %w", io.ErrUnexpectedEOF))
}

// debug500Request is a request with query parameters, credentials and
// cookies, some of which must be masked.
func debug500Request(h *handler.Handler, target, accept string) *httptest.ResponseRecorder {
	return do(h, "GET", target,
		"Accept", accept,
		"Authorization", "Bearer tok-xyz-789",
		"Cookie", "sessionid=sess-abc-123; csrftoken=csrf-def-456",
		"X-Custom", "visible-header-value")
}

const secretKey = "django-insecure-s3cr3t-k3y"

func TestTechnical500(t *testing.T) {
	// SEMANTICS 97: with Debug, a panicking view gives the technical page:
	// the error chain, the stack, the request (GET, cookies, headers as
	// META) and the settings. Values whose keys match
	// API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE are masked: the
	// SecretKey setting, the api_key parameter, the csrftoken cookie, and
	// the Authorization and Cookie headers (HTTP_AUTHORIZATION,
	// HTTP_COOKIE). As in Django, a cookie whose name does not match
	// (sessionid) is shown in the COOKIES table, and the raw query string
	// (Request URL, QUERY_STRING) is shown as sent, api_key included.
	h := build(t, handler.Config{
		Settings: manouche.Settings{Debug: true, SecretKey: secretKey, SecretKeyFallbacks: []string{"old-secret-555"},
			Secure: manouche.SecureSettings{HSTSSeconds: 3600}},
		Logger: newRecLog().Logger(),
	}, urls.Path("boom/", panicView, urls.Name("boom")))
	const target = "/boom/?q=findme&api_key=abc-key-321"

	rec := debug500Request(h, target, "")
	if ct := rec.Header().Get("Content-Type"); rec.Code != 500 || ct != "text/html; charset=utf-8" {
		t.Fatalf("got %d %q", rec.Code, ct)
	}
	body := rec.Body.String()
	mustContain(t, body,
		"<h2>Error chain</h2>",
		"<code>*handler.PanicError</code>: panic: loading widget 42: unexpected EOF",
		"<code>*fmt.wrapError</code>: loading widget 42: unexpected EOF",
		"<code>*errors.errorString</code>: unexpected EOF",
		"<h2>Traceback</h2><pre>goroutine ", // the panic's stack
		"handler_test.panicView",
		"<td>q</td><td><pre>findme</pre></td>",
		"<td>api_key</td><td><pre>********************</pre></td>",
		"<td>SecretKey</td><td><pre>********************</pre></td>",
		"<td>SecretKeyFallbacks</td><td><pre>********************</pre></td>",
		"<td>Secure.HSTSSeconds</td><td><pre>3600</pre></td>", // nested settings, flattened
		"<td>CSRF.FailureView</td><td><pre>&lt;nil&gt;</pre></td>",
		"<td>csrftoken</td><td><pre>********************</pre></td>",
		"<td>sessionid</td><td><pre>sess-abc-123</pre></td>",
		"<td>HTTP_AUTHORIZATION</td><td><pre>********************</pre></td>",
		"<td>HTTP_COOKIE</td><td><pre>********************</pre></td>",
		"<td>HTTP_X_CUSTOM</td><td><pre>visible-header-value</pre></td>",
		"<td>QUERY_STRING</td><td><pre>q=findme&amp;api_key=abc-key-321</pre></td>",
		"<tr><th>Raised during:</th><td>github.com/manouche/manouche/handler_test.panicView</td></tr>",
		"Debug = true",
	)
	mustNotContain(t, body, secretKey, "csrf-def-456", "tok-xyz-789", "old-secret-555")

	// Accept: text/plain → the same report as text.
	rec = debug500Request(h, target, "text/plain")
	if ct := rec.Header().Get("Content-Type"); rec.Code != 500 || ct != "text/plain; charset=utf-8" {
		t.Fatalf("text/plain: got %d %q", rec.Code, ct)
	}
	body = rec.Body.String()
	mustContain(t, body,
		"*handler.PanicError: panic: loading widget 42: unexpected EOF",
		"Traceback:\ngoroutine ",
		"  q = findme\n",
		"  api_key = ********************\n",
		"  SecretKey = ********************\n",
		"  csrftoken = ********************\n",
		"  sessionid = sess-abc-123\n",
		"  HTTP_AUTHORIZATION = ********************\n",
		"  HTTP_COOKIE = ********************\n",
	)
	mustNotContain(t, body, "<html", secretKey, "csrf-def-456", "tok-xyz-789")
}

func TestTechnical500ReturnedError(t *testing.T) {
	// SEMANTICS 97: an error returned (not panicked) has no stack; its
	// chain is its history.
	h := build(t, handler.Config{Settings: manouche.Settings{Debug: true}, Logger: newRecLog().Logger()},
		urls.Path("fail/", fail(fmt.Errorf("saving order 7: %w", errors.New("connection reset")))))
	rec := do(h, "GET", "/fail/", "Accept", "text/plain")
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	mustContain(t, rec.Body.String(),
		"*fmt.wrapError: saving order 7: connection reset",
		"*errors.errorString: connection reset",
		"(the error was returned, not panicked)",
	)
}

func TestNoTechnical500WithoutDebug(t *testing.T) {
	// SEMANTICS 97: with Debug off, no stack, no request data, no secret:
	// Django's "Server Error (500)" page.
	h := build(t, handler.Config{Settings: manouche.Settings{SecretKey: secretKey}, Logger: newRecLog().Logger()},
		urls.Path("boom/", panicView))
	for _, accept := range []string{"", "text/plain"} {
		rec := debug500Request(h, "/boom/?q=findme", accept)
		if rec.Code != 500 || rec.Body.String() != djangoErrorPage("Server Error (500)", "") {
			t.Fatalf("Accept %q: got %d %q", accept, rec.Code, rec.Body)
		}
	}
}
