package templates_test

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

func TestURLFunc(t *testing.T) {
	conf := pollsConf(t)
	fsys := mapFS(
		"index.html", `<a href="{{url "index"}}">home</a>`,
		"detail.html", `<a href="{{url "polls:detail" .pk}}">{{url "polls:detail" .pk}}</a>`,
		"kwargs.html", `{{url "polls:tab" (kwargs "pk" 7 "tab" "votes")}}`,
		"map.html", `{{url "polls:tab" .kw}}`,
		"args.html", `{{url "polls:tab" 7 "results"}}`,
		"missing.html", "ok\n{{url \"polls:nope\"}}",
		"badargs.html", `{{url "polls:detail" "not-an-int"}}`,
		"oddkwargs.html", `{{url "polls:detail" (kwargs "pk")}}`,
		"badkey.html", `{{url "polls:detail" (kwargs 1 2)}}`,
	)
	data := map[string]any{"pk": 42, "kw": map[string]any{"pk": 8, "tab": "x"}}
	tests := []struct {
		name      string
		prefix    string // the request's mount prefix
		want      string
		wantErr   string
		noReverse bool // errors.As *urls.NoReverseMatch
	}{
		{name: "index.html", want: `<a href="/">home</a>`},
		{name: "index.html", prefix: "/app", want: `<a href="/app/">home</a>`},
		{name: "detail.html", want: `<a href="/polls/42/">/polls/42/</a>`},
		{name: "detail.html", prefix: "/mount/here", want: `<a href="/mount/here/polls/42/">/mount/here/polls/42/</a>`},
		{name: "kwargs.html", want: `/polls/7/votes/`},
		{name: "map.html", want: `/polls/8/x/`},
		{name: "args.html", want: `/polls/7/results/`},
		{name: "missing.html", wantErr: "missing.html:2", noReverse: true},
		{name: "badargs.html", wantErr: "Reverse for 'detail' with arguments '('not-an-int',)' not found", noReverse: true},
		{name: "oddkwargs.html", wantErr: "kwargs: an odd number of arguments"},
		{name: "badkey.html", wantErr: "key 0 is a int, not a string"},
	}
	e := engine(t, templates.Config{FS: []fs.FS{fsys}})
	for _, tt := range tests {
		t.Run(tt.name+tt.prefix, func(t *testing.T) {
			r := request(t, manouche.Settings{}, conf, tt.prefix, "/")
			got, err := renderFor(e, r, tt.name, data)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("render = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("render = %q, %v; want an error with %q", got, err, tt.wantErr)
			}
			var nr *urls.NoReverseMatch
			if got := errors.As(err, &nr); got != tt.noReverse {
				t.Errorf("errors.As(NoReverseMatch) = %v, want %v", got, tt.noReverse)
			}
		})
	}
}

// Without a request, url reverses with Config.URLConf, or fails.
func TestURLFuncWithoutRequest(t *testing.T) {
	fsys := mapFS("t.html", `{{url "polls:detail" 3}}`)
	e := engine(t, templates.Config{FS: []fs.FS{fsys}, URLConf: pollsConf(t)})
	if got, err := render(e, "t.html", nil); err != nil || got != "/polls/3/" {
		t.Errorf("with URLConf: render = %q, %v; want %q", got, err, "/polls/3/")
	}
	e = engine(t, templates.Config{FS: []fs.FS{fsys}})
	if _, err := render(e, "t.html", nil); err == nil || !strings.Contains(err.Error(), "no request to reverse with and no Config.URLConf") {
		t.Errorf("without URLConf: error = %v", err)
	}
	// A request whose URLconf is not a *urls.Conf cannot reverse.
	r := request(t, manouche.Settings{}, nil, "", "/")
	if _, err := renderFor(e, r, "t.html", nil); err == nil || !strings.Contains(err.Error(), "not *urls.Conf") {
		t.Errorf("foreign URLConf: error = %v", err)
	}
}

func TestStaticFunc(t *testing.T) {
	fsys := mapFS(
		"css.html", `<link href="{{static "css/site.css"}}">`,
		"odd.html", `{{static "/img/a b+é?.png"}}`,
		"text.html", `{{static "js/app.js"}}`,
	)
	manifest := func(name string) (string, error) {
		if name == "css/site.css" {
			return "/static/css/site.3f2a.css", nil
		}
		return "", fmt.Errorf("%q is not in the manifest", name)
	}
	tests := []struct {
		label    string
		cfg      templates.Config
		settings manouche.Settings
		noReq    bool
		name     string
		want     string
		wantErr  string
	}{
		{label: "StaticURL", cfg: templates.Config{StaticURL: "/static/"}, name: "css.html", want: `<link href="/static/css/site.css">`},
		{label: "CDN", cfg: templates.Config{StaticURL: "https://cdn.example.com/s/"}, name: "css.html", want: `<link href="https://cdn.example.com/s/css/site.css">`},
		{label: "quoted like filepath_to_uri", cfg: templates.Config{StaticURL: "/static/"}, name: "odd.html", want: `/static/img/a%20b%2B%C3%A9%3F.png`},
		{label: "the request's STATIC_URL", settings: manouche.Settings{StaticURL: "/assets/"}, name: "text.html", want: `/assets/js/app.js`},
		{label: "Config wins over settings", cfg: templates.Config{StaticURL: "/static/"}, settings: manouche.Settings{StaticURL: "/assets/"}, name: "text.html", want: `/static/js/app.js`},
		{label: "resolver", cfg: templates.Config{StaticURL: "/static/", Static: manifest}, name: "css.html", want: `<link href="/static/css/site.3f2a.css">`},
		{label: "resolver error", cfg: templates.Config{Static: manifest}, name: "text.html", wantErr: `static "js/app.js": "js/app.js" is not in the manifest`},
		{label: "no STATIC_URL", name: "text.html", wantErr: "no STATIC_URL"},
		{label: "no request, no STATIC_URL", noReq: true, settings: manouche.Settings{StaticURL: "/assets/"}, name: "text.html", wantErr: "no STATIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			tt.cfg.FS = []fs.FS{fsys}
			e := engine(t, tt.cfg)
			var r *manouche.Request
			if !tt.noReq {
				r = request(t, tt.settings, nil, "", "/")
			}
			got, err := renderFor(e, r, tt.name, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("render = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// Request functions answer for the request being rendered, only when the
// template prints them; template.HTML is printed as it is, anything else
// escaped; without a request the call is an error.
func TestRequestFuncs(t *testing.T) {
	calls := 0
	e := engine(t, templates.Config{
		FS: []fs.FS{mapFS(
			"form.html", `<form>{{csrf_input}}{{path}}</form>`,
			"plain.html", `no form`,
		)},
		RequestFuncs: map[string]func(*manouche.Request) (any, error){
			"csrf_input": func(r *manouche.Request) (any, error) {
				calls++
				return template.HTML(`<input type="hidden" name="t" value="` + r.Path + `">`), nil
			},
			"path": func(r *manouche.Request) (any, error) { return "<" + r.Path + ">", nil },
		},
	})
	r := request(t, manouche.Settings{}, nil, "", "/a/")
	got, err := renderFor(e, r, "form.html", nil)
	if want := `<form><input type="hidden" name="t" value="/a/">&lt;/a/&gt;</form>`; err != nil || got != want {
		t.Fatalf("render = %q, %v; want %q", got, err, want)
	}
	if _, err := renderFor(e, r, "plain.html", nil); err != nil || calls != 1 {
		t.Fatalf("a page that does not print it: err %v, calls %d (want 1)", err, calls)
	}
	if _, err := render(e, "form.html", nil); err == nil || !strings.Contains(err.Error(), "csrf_input needs a request") {
		t.Fatalf("render without a request: %v", err)
	}

	bad := []struct {
		funcs   template.FuncMap
		reqs    map[string]func(*manouche.Request) (any, error)
		wantErr string
	}{
		{nil, map[string]func(*manouche.Request) (any, error){"url": func(*manouche.Request) (any, error) { return nil, nil }}, `"url" is a built-in`},
		{template.FuncMap{"x": strings.ToUpper}, map[string]func(*manouche.Request) (any, error){"x": func(*manouche.Request) (any, error) { return nil, nil }}, `"x" is also in Config.Funcs`},
		{nil, map[string]func(*manouche.Request) (any, error){"y": nil}, `"y" is nil`},
		{nil, map[string]func(*manouche.Request) (any, error){"a-b": func(*manouche.Request) (any, error) { return nil, nil }}, `"a-b" is not a valid function name`},
	}
	for _, b := range bad {
		_, err := templates.NewEngine(templates.Config{FS: []fs.FS{mapFS("x", "x")}, Funcs: b.funcs, RequestFuncs: b.reqs})
		if err == nil || !strings.Contains(err.Error(), b.wantErr) {
			t.Errorf("NewEngine: %v, want %q", err, b.wantErr)
		}
	}
}
