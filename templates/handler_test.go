package templates_test

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// hooks is a hook-style middleware whose hooks are set per test and
// record themselves in a trace.
type hooks struct {
	name string
	tr   *testkit.Trace
	tmpl func(*manouche.Request, *manouche.Response) (*manouche.Response, error)
	exc  func(*manouche.Request, error) (*manouche.Response, error)
	resp func(*manouche.Request, *manouche.Response) (*manouche.Response, error)
}

func (h *hooks) ProcessTemplateResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	h.tr.Add(h.name + ".template")
	if h.tmpl == nil {
		return resp, nil
	}
	return h.tmpl(r, resp)
}

func (h *hooks) ProcessException(r *manouche.Request, err error) (*manouche.Response, error) {
	h.tr.Add(h.name + ".exception")
	if h.exc == nil {
		return nil, nil
	}
	return h.exc(r, err)
}

func (h *hooks) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	h.tr.Add(h.name + ".response")
	if h.resp == nil {
		return resp, nil
	}
	return h.resp(r, resp)
}

// serve builds a handler for conf with middleware and runs one GET.
func serve(t *testing.T, conf *urls.Conf, logs *testkit.LogBuffer, target string, mw ...middleware.Factory) *httptest.ResponseRecorder {
	t.Helper()
	if logs == nil {
		logs = &testkit.LogBuffer{}
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: mw,
		Logger:     logs.Logger(),
	})
	if err != nil {
		t.Fatalf("handler.New: %v", err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec
}

// SEMANTICS 25, 26, 64: a template response is rendered after the
// process_template_response hooks, which run in reverse order and may
// change its template and context; the response hooks see it rendered.
func TestTemplateResponseThroughHandler(t *testing.T) {
	e := engine(t, templates.Config{
		FS: []fs.FS{mapFS(
			"base.html", `<h1>{{block "title" .}}{{end}}</h1>{{block "body" .}}{{end}}`,
			"view.html", `{{/* extends "base.html" */}}{{define "title"}}view{{end}}`,
			"hooked.html", `{{/* extends "base.html" */}}{{define "title"}}{{.title}}{{end}}{{define "body"}}<a href="{{url "polls:detail" .pk}}">{{.request.ResolverMatch.URLName}}</a>{{end}}`,
		)},
		ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor},
	})
	tr := &testkit.Trace{}
	view := func(r *manouche.Request) (*manouche.Response, error) {
		tr.Add("view")
		resp := e.Response(r, "view.html", map[string]any{"title": "from the view", "pk": 1})
		err := resp.AddPostRenderCallback(func(resp *manouche.Response) (*manouche.Response, error) {
			b, err := resp.Content()
			tr.Add("post-render " + string(b[:4]))
			return nil, err
		})
		return resp, err
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Include("polls/", []urls.Pattern{
			urls.Path("<int:pk>/", view, urls.Name("detail")),
		}, urls.AppName("polls"), urls.Namespace("polls")),
	})
	if err != nil {
		t.Fatal(err)
	}
	outer := &hooks{name: "outer", tr: tr,
		tmpl: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			tr, ok := templates.Of(resp)
			if !ok {
				return nil, errors.New("outer: not a template response")
			}
			tr.Context["title"] = "<changed by outer>" // after inner's change
			tr.Context["pk"] = 99
			return resp, nil
		},
		resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			b, err := resp.Content() // rendered by now
			if err != nil {
				return nil, err
			}
			resp.Header().Set("X-Length", strings.Repeat("x", len(b)%7))
			return resp, nil
		},
	}
	inner := &hooks{name: "inner", tr: tr,
		tmpl: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			tr, _ := templates.Of(resp)
			if tr.Names[0] != "view.html" || tr.Context["title"] != "from the view" {
				return nil, errors.New("inner saw a changed response")
			}
			tr.Names = []string{"hooked.html"}
			tr.Context["title"] = "changed by inner"
			return resp, nil
		},
	}

	// Behind a mount prefix, to see that url reverses with the request.
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Hooks(outer), middleware.Hooks(inner)},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	http.StripPrefix("/app", h).ServeHTTP(rec, httptest.NewRequest("GET", "/app/polls/1/", nil))

	want := `<h1>&lt;changed by outer&gt;</h1><a href="/app/polls/99/">detail</a>`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("got %d %q\nwant 200 %q", rec.Code, rec.Body, want)
	}
	if rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
	}
	if got, want := tr.String(), "view,inner.template,outer.template,post-render <h1>,inner.response,outer.response"; got != want {
		t.Errorf("trace %s\nwant  %s", got, want)
	}
}

// SEMANTICS 21, 25: a render error goes through process_exception, like a
// view's error; the first hook that answers wins. Without one, the error
// is a 500.
func TestRenderErrorGoesToProcessException(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS(
		"badurl.html", "<p>\n{{url \"nope\"}}",
	)}})
	tests := []struct {
		name     string
		template string
		check    func(error) bool
		kind     string
		logged   string
	}{
		{"missing template", "missing.html", func(err error) bool {
			var dne *templates.DoesNotExistError
			return errors.As(err, &dne) && dne.Names[0] == "missing.html"
		}, "TemplateDoesNotExist", `TemplateDoesNotExist: \"missing.html\"; searched: FS[0] (fstest.MapFS): missing.html`},
		{"url error", "badurl.html", func(err error) bool {
			var nr *urls.NoReverseMatch
			return errors.As(err, &nr) && strings.Contains(err.Error(), "badurl.html:2")
		}, "NoReverseMatch", "Reverse for 'nope' not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := func(r *manouche.Request) (*manouche.Response, error) {
				return e.Response(r, tt.template, nil), nil
			}
			conf, err := urls.New([]urls.Pattern{urls.Path("", view)})
			if err != nil {
				t.Fatal(err)
			}
			tr := &testkit.Trace{}
			var seen error
			catcher := &hooks{name: "catcher", tr: tr, exc: func(r *manouche.Request, err error) (*manouche.Response, error) {
				seen = err
				if !tt.check(err) {
					return nil, nil
				}
				return manouche.NewResponse(503, []byte("caught: "+tt.kind), ""), nil
			}}
			rec := serve(t, conf, nil, "/", middleware.Hooks(catcher))
			if rec.Code != 503 || rec.Body.String() != "caught: "+tt.kind {
				t.Errorf("got %d %q; process_exception saw %v", rec.Code, rec.Body, seen)
			}
			if got, want := tr.String(), "catcher.template,catcher.exception,catcher.response"; got != want {
				t.Errorf("trace %s, want %s", got, want)
			}

			// No hook answers: a 500, logged with the template error.
			logs := &testkit.LogBuffer{}
			rec = serve(t, conf, logs, "/", middleware.Hooks(&hooks{name: "silent", tr: &testkit.Trace{}}))
			if rec.Code != 500 || !strings.Contains(rec.Body.String(), "Server Error (500)") {
				t.Errorf("without a catching hook: %d %q", rec.Code, rec.Body)
			}
			if !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("the 500 log does not name the error: %s", logs)
			}
		})
	}
}

// SEMANTICS 22: a template response that process_exception returns for a
// view's error goes through the template hooks and is rendered before the
// response hooks.
func TestTemplateResponseFromProcessException(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("oops.html", "{{.msg}} / {{.extra}}")}})
	errView := errors.New("view failed")
	conf, err := urls.New([]urls.Pattern{urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return nil, errView })})
	if err != nil {
		t.Fatal(err)
	}
	tr := &testkit.Trace{}
	var sawRendered bool
	h := &hooks{name: "h", tr: tr,
		exc: func(r *manouche.Request, err error) (*manouche.Response, error) {
			return e.Response(r, "oops.html", map[string]any{"msg": err.Error()}, templates.Status(500)), nil
		},
		tmpl: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			tr, _ := templates.Of(resp)
			tr.Context["extra"] = "from the template hook"
			return resp, nil
		},
		resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			_, err := resp.Content()
			sawRendered = err == nil
			return resp, nil
		},
	}
	rec := serve(t, conf, nil, "/", middleware.Hooks(h))
	if rec.Code != 500 || rec.Body.String() != "view failed / from the template hook" {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
	if got, want := tr.String(), "h.exception,h.template,h.response"; got != want || !sawRendered {
		t.Errorf("trace %s (process_response saw it rendered: %v), want %s", got, sawRendered, want)
	}
}
