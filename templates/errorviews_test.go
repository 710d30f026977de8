package templates_test

import (
	"errors"
	"io/fs"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// errorSite is a URLconf whose views fail with each error kind, with the
// engine's error views.
func errorSite(t *testing.T, e *templates.Engine) *urls.Conf {
	t.Helper()
	fail := func(err error) manouche.View {
		return func(*manouche.Request) (*manouche.Response, error) { return nil, err }
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", noView, urls.Name("home")),
		urls.Path("foo/", fail(manouche.NotFound("No Foo")), urls.Name("foo")),
		urls.Path("bare404/", fail(&manouche.Http404{})),
		urls.Path("denied/", fail(&manouche.PermissionDenied{Message: "members only"})),
		urls.Path("denied-bare/", fail(&manouche.PermissionDenied{})),
		urls.Path("bad/", fail(&manouche.BadRequest{Message: "secret detail"})),
		urls.Path("boom/", fail(errors.New("secret boom"))),
	}, e.ErrorHandlers()...)
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

// SEMANTICS 95: 404.html, 403.html, 400.html and 500.html are used when
// present, with Django's contexts: request_path and exception for 404,
// exception for 403, both with the context processors; nothing for 400 and
// 500.
func TestErrorTemplates(t *testing.T) {
	keys := `{{range $k, $v := .}}{{$k}};{{end}}`
	e := engine(t, templates.Config{
		FS: []fs.FS{mapFS(
			"404.html", `404 [{{.request_path}}] [{{.exception}}] `+keys,
			"403.html", `403 [{{.exception}}] `+keys,
			"400.html", `400 `+keys+` {{url "home"}}`,
			"500.html", `500 `+keys+` {{url "foo"}}`,
		)},
		ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor},
	})
	conf := errorSite(t, e)
	tests := []struct {
		target string
		status int
		body   string
	}{
		{"/nowhere/", 404, "404 [/nowhere/] [Resolver404] exception;request;request_path;"},
		{"/caf%C3%A9%20x%3C/", 404, "404 [/caf%C3%A9%20x%3C/] [Resolver404] exception;request;request_path;"},
		{"/foo/", 404, "404 [/foo/] [No Foo] exception;request;request_path;"},
		{"/bare404/", 404, "404 [/bare404/] [Http404] exception;request;request_path;"},
		{"/denied/", 403, "403 [members only] exception;request;"},
		{"/denied-bare/", 403, "403 [] exception;request;"},
		{"/bad/", 400, "400  /"},
		{"/boom/", 500, "500  /foo/"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := serve(t, conf, nil, tt.target)
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %q\nwant %d %q", rec.Code, rec.Body, tt.status, tt.body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("the page leaks the error: %q", rec.Body)
			}
		})
	}
}

// Without the templates, the error views give exactly the handler's
// default pages.
func TestErrorTemplatesFallBack(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("unrelated.html", "x")}})
	withViews := errorSite(t, e)
	plain, err := urls.New([]urls.Pattern{
		urls.Path("foo/", func(*manouche.Request) (*manouche.Response, error) { return nil, manouche.NotFound("No Foo") }),
		urls.Path("denied/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.PermissionDenied{} }),
		urls.Path("bad/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.BadRequest{} }),
		urls.Path("boom/", func(*manouche.Request) (*manouche.Response, error) { return nil, errors.New("boom") }),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		status int
		title  string
	}{
		{"/nowhere/", 404, "Not Found"},
		{"/foo/", 404, "Not Found"},
		{"/denied/", 403, "403 Forbidden"},
		{"/bad/", 400, "Bad Request (400)"},
		{"/boom/", 500, "Server Error (500)"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got := serve(t, withViews, nil, tt.target)
			want := serve(t, plain, nil, tt.target)
			if got.Code != tt.status || got.Code != want.Code || got.Body.String() != want.Body.String() {
				t.Errorf("with the engine's views: %d %q\nhandler's default:       %d %q", got.Code, got.Body, want.Code, want.Body)
			}
			if !strings.Contains(got.Body.String(), "<title>"+tt.title+"</title>") {
				t.Errorf("body %q has no title %q", got.Body, tt.title)
			}
			if got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
				t.Errorf("Content-Type %q, handler's %q", got.Header().Get("Content-Type"), want.Header().Get("Content-Type"))
			}
		})
	}
}

// SEMANTICS 94: a 404.html that fails is the 404 view's error: the
// handler answers with the 500 view, and logs it.
func TestBrokenErrorTemplate(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS(
		"404.html", "line\n{{if}}",
		"500.html", "custom 500",
	)}})
	logs := &testkit.LogBuffer{}
	rec := serve(t, errorSite(t, e), logs, "/nowhere/")
	if rec.Code != 500 || rec.Body.String() != "custom 500" {
		t.Errorf("got %d %q, want the 500 page", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "404.html:2") {
		t.Errorf("the log does not name the broken template: %s", logs)
	}
}

func TestErrorViewStatuses(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("418.html", "teapot")}})
	for _, status := range []int{400, 403, 404, 500} {
		if e.ErrorView(status) == nil {
			t.Errorf("ErrorView(%d) = nil", status)
		}
	}
	for _, status := range []int{200, 401, 418, 502} {
		if e.ErrorView(status) != nil {
			t.Errorf("ErrorView(%d) != nil", status)
		}
	}
	if n := len(e.ErrorHandlers()); n != 4 {
		t.Errorf("ErrorHandlers() has %d options, want 4", n)
	}
	// Called directly, outside a handler.
	r := request(t, manouche.Settings{}, nil, "", "/x")
	resp, err := e.ErrorView(404)(r, nil)
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("ErrorView(404) = %v, %v", resp, err)
	}
	if body, _ := resp.Content(); !strings.Contains(string(body), "The requested resource was not found on this server.") {
		t.Errorf("default 404 body %q", body)
	}
	// Even without a request.
	for _, status := range []int{400, 403, 404, 500} {
		if resp, err := e.ErrorView(status)(nil, nil); err != nil || resp.StatusCode != status {
			t.Errorf("ErrorView(%d)(nil, nil) = %v, %v", status, resp, err)
		}
	}
}

// The handler's DEBUG pages still win over the templates for 404 and 500.
func TestErrorTemplatesUnderDebug(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("404.html", "custom 404")}})
	h, err := handler.New(handler.Config{Settings: manouche.Settings{Debug: true, AllowedHosts: []string{"*"}}, URLConf: errorSite(t, e), Logger: (&testkit.LogBuffer{}).Logger()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nowhere/", nil))
	if rec.Code != 404 || strings.Contains(rec.Body.String(), "custom 404") {
		t.Errorf("got %d %q, want the technical 404", rec.Code, rec.Body)
	}
}
