package templates_test

import (
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

func TestContextProcessors(t *testing.T) {
	fsys := mapFS(
		"req.html", `{{.request.Method}} {{.request.Path}}`,
		"debug.html", `[{{if .debug}}debug{{end}}]`,
		"static.html", `[{{.STATIC_URL}}]`,
		"keys.html", `{{range $k, $v := .}}{{$k}} {{end}}`,
		"wins.html", `{{.request}} {{.STATIC_URL}} {{.own}}`,
		"csrf.html", `<input name="csrfmiddlewaretoken" value="{{.csrf_token}}">`,
	)
	token := func(r *manouche.Request) string { return "tok<" + r.Path + ">" }
	all := []templates.ContextProcessor{templates.RequestProcessor, templates.DebugProcessor, templates.StaticProcessor, templates.CSRFProcessor(token)}
	tests := []struct {
		label    string
		procs    []templates.ContextProcessor
		settings manouche.Settings
		noReq    bool
		name     string
		data     map[string]any
		want     string
	}{
		{label: "request", procs: all, name: "req.html", want: "GET /a/b/"},
		{label: "debug on", procs: all, settings: manouche.Settings{Debug: true}, name: "debug.html", want: "[debug]"},
		{label: "debug off", procs: all, name: "debug.html", want: "[]"},
		{label: "static", procs: all, settings: manouche.Settings{StaticURL: "/static/"}, name: "static.html", want: "[/static/]"},
		{label: "csrf", procs: all, name: "csrf.html", want: `<input name="csrfmiddlewaretoken" value="tok&lt;/a/b/&gt;">`},
		{label: "csrf not configured", procs: []templates.ContextProcessor{templates.CSRFProcessor(nil)}, name: "keys.html", want: ""},
		{label: "debug off adds nothing", procs: []templates.ContextProcessor{templates.DebugProcessor}, name: "keys.html", want: ""},
		{label: "all keys", procs: all, settings: manouche.Settings{Debug: true}, name: "keys.html", data: map[string]any{"x": 1}, want: "STATIC_URL csrf_token debug request x "},
		{label: "the view's data wins", procs: all, settings: manouche.Settings{StaticURL: "/static/"}, name: "wins.html",
			data: map[string]any{"request": "mine", "STATIC_URL": "/mine/", "own": "own"}, want: "mine /mine/ own"},
		{label: "no processors", name: "keys.html", data: map[string]any{"x": 1}, want: "x "},
		{label: "no request, no processors", procs: all, noReq: true, name: "keys.html", data: map[string]any{"x": 1}, want: "x "},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			e := engine(t, templates.Config{FS: []fs.FS{fsys}, ContextProcessors: tt.procs})
			var r *manouche.Request
			if !tt.noReq {
				r = request(t, tt.settings, nil, "", "/a/b/")
			}
			got, err := renderFor(e, r, tt.name, tt.data)
			if err != nil || got != tt.want {
				t.Errorf("render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// The view's data map is not changed by the processors.
func TestProcessorsLeaveDataAlone(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("t.html", "{{.x}}")}, ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor}})
	data := map[string]any{"x": 1}
	if _, err := renderFor(e, request(t, manouche.Settings{}, nil, "", "/"), "t.html", data); err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 {
		t.Errorf("data = %v, want only x", data)
	}
}

// The CSRF token is asked for only when a template prints it, and once.
func TestCSRFTokenIsLazy(t *testing.T) {
	var calls atomic.Int32
	token := func(*manouche.Request) string { calls.Add(1); return "t" }
	e := engine(t, templates.Config{
		FS:                []fs.FS{mapFS("form.html", `{{.csrf_token}}|{{.csrf_token}}`, "plain.html", `no form`)},
		ContextProcessors: []templates.ContextProcessor{templates.CSRFProcessor(token)},
	})
	r := request(t, manouche.Settings{}, nil, "", "/")
	if got, err := renderFor(e, r, "plain.html", nil); err != nil || got != "no form" || calls.Load() != 0 {
		t.Errorf("plain: %q, %v, %d calls; want no call", got, err, calls.Load())
	}
	if got, err := renderFor(e, r, "form.html", nil); err != nil || got != "t|t" || calls.Load() != 1 {
		t.Errorf("form: %q, %v, %d calls; want one call", got, err, calls.Load())
	}
}

func TestProcessorError(t *testing.T) {
	errDB := errors.New("database is down")
	failing := func(*manouche.Request, map[string]any) error { return errDB }
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("t.html", "x")}, ContextProcessors: []templates.ContextProcessor{failing}})
	_, err := renderFor(e, request(t, manouche.Settings{}, nil, "", "/"), "t.html", nil)
	if !errors.Is(err, errDB) || !strings.Contains(err.Error(), "context processor github.com/manouche/manouche/templates_test.TestProcessorError") {
		t.Errorf("error = %v, want the processor's error, naming it", err)
	}
}
