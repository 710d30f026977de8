package templates_test

import (
	"errors"
	"html/template"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

func TestNewEngineConfigErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(writeDir(t, "f.html", "x"), "f.html")
	fsys := mapFS("a.html", "a")
	tests := []struct {
		name     string
		cfg      templates.Config
		want     string
		improper bool // a *manouche.ImproperlyConfigured
		notExist bool // wraps fs.ErrNotExist
	}{
		{name: "no loader", cfg: templates.Config{}, want: "no Dirs and no FS", improper: true},
		{name: "empty dir", cfg: templates.Config{Dirs: []string{""}}, want: "Config.Dirs[0] is empty", improper: true},
		{name: "missing dir", cfg: templates.Config{Dirs: []string{dir, filepath.Join(dir, "nope")}}, want: "Config.Dirs[1]", notExist: true},
		{name: "dir is a file", cfg: templates.Config{Dirs: []string{file}}, want: "is not a directory", improper: true},
		{name: "nil FS", cfg: templates.Config{FS: []fs.FS{fsys, nil}}, want: "Config.FS[1] is nil", improper: true},
		{name: "static url without slash", cfg: templates.Config{FS: []fs.FS{fsys}, StaticURL: "/static"}, want: `"/static" must end in a slash`, improper: true},
		{name: "nil processor", cfg: templates.Config{FS: []fs.FS{fsys}, ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor, nil}}, want: "ContextProcessors[1] is nil", improper: true},
		{name: "builtin func", cfg: templates.Config{FS: []fs.FS{fsys}, Funcs: template.FuncMap{"url": strings.ToUpper}}, want: `"url" is a built-in function`, improper: true},
		{name: "not a func", cfg: templates.Config{FS: []fs.FS{fsys}, Funcs: template.FuncMap{"upper": 42}}, want: "Config.Funcs", improper: true},
		{name: "func with bad results", cfg: templates.Config{FS: []fs.FS{fsys}, Funcs: template.FuncMap{"two": func() (int, int) { return 1, 2 }}}, want: "Config.Funcs", improper: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := templates.NewEngine(tt.cfg)
			if err == nil {
				t.Fatalf("NewEngine = %v, nil; want an error with %q", e, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var ic *manouche.ImproperlyConfigured
			if got := errors.As(err, &ic); got != tt.improper {
				t.Errorf("errors.As(ImproperlyConfigured) = %v, want %v (%v)", got, tt.improper, err)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(fs.ErrNotExist) = %v, want %v", got, tt.notExist)
			}
		})
	}
}

func TestNewEngineAccepts(t *testing.T) {
	dir := writeDir(t, "a.html", "from dir")
	rel, err := filepath.Rel(mustGetwd(t), dir)
	if err != nil {
		t.Skipf("no relative path to %s: %v", dir, err)
	}
	e := engine(t, templates.Config{
		Dirs:      []string{rel},
		StaticURL: "/static/",
		Funcs:     template.FuncMap{"upper": strings.ToUpper},
	})
	got, err := render(e, "a.html", nil)
	if err != nil || got != "from dir" {
		t.Errorf("render = %q, %v; want %q", got, err, "from dir")
	}
}

func TestCustomFuncs(t *testing.T) {
	e := engine(t, templates.Config{
		FS:    []fs.FS{mapFS("f.html", `{{upper .name}} {{.name | shout}}`)},
		Funcs: template.FuncMap{"upper": strings.ToUpper, "shout": func(s string) string { return s + "!" }},
	})
	got, err := render(e, "f.html", map[string]any{"name": "<tom>"})
	if want := "&lt;TOM&gt; &lt;tom&gt;!"; got != want || err != nil {
		t.Errorf("render = %q, %v; want %q", got, err, want)
	}
}

// SEMANTICS: html/template's contextual auto-escaping applies to every
// template, whatever the context of the value.
func TestAutoEscaping(t *testing.T) {
	const v = `<script>alert("x")</script>&'`
	tests := []struct {
		name, tmpl, want string
	}{
		{"text", `<p>{{.v}}</p>`, `<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;</p>`},
		{"attribute", `<a title="{{.v}}">`, `<a title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;">`},
		{"url", `<a href="/search?q={{.v}}">`, `<a href="/search?q=%3cscript%3ealert%28%22x%22%29%3c%2fscript%3e%26%27">`},
		{"unsafe scheme", `<a href="{{.u}}">`, `<a href="#ZgotmplZ">`},
		{"script", `<script>var v = {{.v}};</script>`, `<script>var v = "\u003cscript\u003ealert(\"x\")\u003c/script\u003e\u0026'";</script>`},
		{"trusted HTML", `{{.safe}}`, `<b>bold</b>`},
		{"in a layout block", `{{/* extends "base.html" */}}{{define "body"}}{{.v}}{{end}}`, `[&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine(t, templates.Config{FS: []fs.FS{mapFS("t.html", tt.tmpl, "base.html", `[{{block "body" .}}{{end}}]`)}})
			got, err := render(e, "t.html", map[string]any{"v": v, "u": "javascript:alert(1)", "safe": template.HTML("<b>bold</b>")})
			if err != nil || got != tt.want {
				t.Errorf("render = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

func TestMissingKeyIsEmpty(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("t.html", `[{{.nope}}]{{if .nope}}yes{{else}}no{{end}}`)}})
	for _, data := range []map[string]any{nil, {}, {"other": 1}} {
		got, err := render(e, "t.html", data)
		if err != nil || got != "[]no" {
			t.Errorf("render(%v) = %q, %v; want %q", data, got, err, "[]no")
		}
	}
}

func TestFSStringerNamesLoader(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{namedFS{mapFS(), "polls templates"}}})
	_, err := render(e, "x.html", nil)
	if want := "polls templates: x.html (Source does not exist)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v does not contain %q", err, want)
	}
}

type namedFS struct {
	fstest.MapFS
	name string
}

func (n namedFS) String() string { return n.name }

// Check parses every template of every loader and reports each broken
// one, with its file and line; a sound set passes.
func TestCheck(t *testing.T) {
	good := mapFS(
		"base.html", `<title>{{block "title" .}}{{end}}</title>{{block "content" .}}{{end}}`,
		"page.html", "{{/* extends \"base.html\" */}}{{define \"content\"}}hi{{end}}",
		"notes.txt", "{{ not a template",
	)
	if err := engine(t, templates.Config{FS: []fs.FS{good}}).Check(); err != nil {
		t.Fatalf("a sound set: %v", err)
	}
	bad := mapFS(
		"ok.html", "fine",
		"syntax.html", "line one\n{{if}}",
		"orphan.html", "{{/* extends \"missing.html\" */}}x",
		"func.html", "{{nosuchfunc}}",
	)
	err := engine(t, templates.Config{FS: []fs.FS{bad}}).Check()
	if err == nil {
		t.Fatal("broken templates passed")
	}
	for _, want := range []string{"syntax.html:2", "missing.html", "nosuchfunc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
	if err := engine(t, templates.Config{FS: []fs.FS{bad}}).Check(".txt"); err != nil {
		t.Errorf("no .txt templates: %v", err)
	}
}
