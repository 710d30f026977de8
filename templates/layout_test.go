package templates_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manouche/manouche/templates"
)

const baseHTML = `<title>{{block "title" .}}Site{{end}}</title>
<main>{{block "content" .}}no content{{end}}</main>
<footer>{{block "footer" .}}(c) {{.year}}{{end}}</footer>`

// A child overrides the blocks it defines; the base's defaults show for
// the others. Layouts extend layouts.
func TestLayouts(t *testing.T) {
	fsys := mapFS(
		"base.html", baseHTML,
		"page.html", `{{/* extends "base.html" */}}
{{define "title"}}Page {{.name}}{{end}}
{{define "content"}}<p>Hello, {{.name}}</p>{{end}}
ignored: what a child has outside its defines is not rendered`,
		"plain.html", `{{/* extends "base.html" */}}`,
		"section.html", `{{- /* extends "base.html" */ -}}
{{define "content"}}<section>{{block "section" .}}section default{{end}}</section>{{end}}
{{define "footer"}}section footer{{end}}`,
		"leaf.html", `{{/* extends "section.html" */}}{{define "section"}}leaf {{.name}}{{end}}{{define "title"}}Leaf{{end}}`,
		"emptied.html", `{{/* extends "base.html" */}}{{define "footer"}}{{""}}{{end}}`,
		"nolayout.html", `{{define "x"}}X{{end}}[{{template "x"}}]`,
		"indented.html", "\n  \t{{/* extends \"base.html\" */}}{{define \"title\"}}Indented{{end}}",
		"sub/child.html", `{{/* extends "base.html" */}}{{define "title"}}Sub{{end}}`,
	)
	tests := []struct {
		name, want string
	}{
		{"page.html", `<title>Page &lt;Tom&gt;</title><main><p>Hello, &lt;Tom&gt;</p></main><footer>(c) 2025</footer>`},
		{"plain.html", `<title>Site</title><main>no content</main><footer>(c) 2025</footer>`},
		{"section.html", `<title>Site</title><main><section>section default</section></main><footer>section footer</footer>`},
		{"leaf.html", `<title>Leaf</title><main><section>leaf &lt;Tom&gt;</section></main><footer>section footer</footer>`},
		{"emptied.html", `<title>Site</title><main>no content</main><footer></footer>`},
		{"nolayout.html", `[X]`},
		{"indented.html", `<title>Indented</title><main>no content</main><footer>(c) 2025</footer>`},
		{"sub/child.html", `<title>Sub</title><main>no content</main><footer>(c) 2025</footer>`},
		// The base itself still renders on its own.
		{"base.html", `<title>Site</title><main>no content</main><footer>(c) 2025</footer>`},
	}
	e := engine(t, templates.Config{FS: []fs.FS{fsys}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // parsed, then cached
				got, err := render(e, tt.name, map[string]any{"name": "<Tom>", "year": 2025})
				if err != nil || squash(got) != tt.want {
					t.Fatalf("render = %q, %v\nwant %q", squash(got), err, tt.want)
				}
			}
		})
	}
}

// Two pages extending one base do not see each other's blocks: each is
// parsed into its own set.
func TestLayoutsAreIndependent(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS(
		"base.html", `[{{block "b" .}}default{{end}}]`,
		"one.html", `{{/* extends "base.html" */}}{{define "b"}}one{{end}}`,
		"two.html", `{{/* extends "base.html" */}}{{define "b"}}two{{end}}`,
	)}})
	for _, c := range []struct{ name, want string }{{"one.html", "[one]"}, {"two.html", "[two]"}, {"base.html", "[default]"}, {"one.html", "[one]"}} {
		if got, err := render(e, c.name, nil); err != nil || got != c.want {
			t.Errorf("render(%s) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// A {{template "file"}} that the set does not define is loaded from the
// loaders (Django's include), also from a layout and recursively.
func TestIncludes(t *testing.T) {
	dir := writeDir(t, "partials/nav.html", `<nav>{{range .links}}<a>{{.}}</a>{{end}}{{template "partials/logo.html"}}</nav>`)
	fsys := mapFS(
		"partials/logo.html", `<img alt="logo">`,
		"base.html", `{{template "partials/nav.html" .}}{{block "content" .}}{{end}}`,
		"page.html", `{{/* extends "base.html" */}}{{define "content"}}{{if .more}}{{template "partials/more.html" .}}{{end}}{{end}}`,
		"partials/more.html", `<p>more {{.more}}</p>`,
	)
	e := engine(t, templates.Config{Dirs: []string{dir}, FS: []fs.FS{fsys}})
	got, err := render(e, "page.html", map[string]any{"links": []string{"a<", "b"}, "more": "&"})
	want := `<nav><a>a&lt;</a><a>b</a><img alt="logo"></nav><p>more &amp;</p>`
	if err != nil || got != want {
		t.Errorf("render = %q, %v\nwant %q", got, err, want)
	}
}

// Errors in the layout machinery name the file, and a missing layout or
// include lists every place searched.
func TestLayoutErrors(t *testing.T) {
	dir := writeDir(t,
		"syntax.html", "line 1\nline 2\n{{if}}\n",
		"nofunc.html", "ok\n{{nope .x}}",
		"child-of-broken.html", `{{/* extends "broken-base.html" */}}`,
		"broken-base.html", "\n\n\n{{end}}",
		"orphan.html", `{{/* extends "missing-base.html" */}}`,
		"cycle-a.html", `{{/* extends "cycle-b.html" */}}`,
		"cycle-b.html", `{{/* extends "cycle-a.html" */}}`,
		"self.html", `{{/* extends "self.html" */}}`,
		"late.html", "<p>\n{{/* extends \"base.html\" */}}",
		"twice.html", `{{/* extends "base.html" */}}{{/* extends "base.html" */}}`,
		"noname.html", `{{/* extends "" */}}`,
		"base.html", `{{block "b" .}}{{end}}`,
		"missing-include.html", `a{{template "gone.html"}}`,
		"layout-with-missing.html", "{{block \"b\" .}}{{end}}\n{{template \"gone.html\"}}",
		"uses-bad-layout.html", `{{/* extends "layout-with-missing.html" */}}`,
		"include-extends.html", `{{template "extending.html"}}`,
		"extending.html", `{{/* extends "base.html" */}}`,
		"include-redefines.html", `{{define "title"}}page{{end}}{{template "title"}}{{template "redefining.html"}}`,
		"redefining.html", `{{define "title"}}partial{{end}}`,
		"include-syntax.html", `{{template "syntax.html"}}`,
		"escape.html", "<p>\n{{if .x}}<a href=\"{{else}}<b>{{end}}",
	)
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name     string
		want     []string // all in the message
		notExist bool     // a *DoesNotExistError inside
	}{
		{"syntax.html", []string{p("syntax.html"), "syntax.html:3", "missing value for if"}, false},
		{"nofunc.html", []string{p("nofunc.html"), "nofunc.html:2", `function "nope" not defined`}, false},
		{"child-of-broken.html", []string{p("broken-base.html"), "broken-base.html:4", "unexpected {{end}}"}, false},
		{"orphan.html", []string{p("orphan.html") + ` extends "missing-base.html"`, p("missing-base.html") + " (Source does not exist)"}, true},
		{"cycle-a.html", []string{"extends cycle: cycle-a.html → cycle-b.html → cycle-a.html"}, false},
		{"self.html", []string{"extends cycle: self.html → self.html"}, false},
		{"late.html", []string{p("late.html") + ":2", "an extends directive must come first"}, false},
		{"twice.html", []string{p("twice.html") + ":1", "an extends directive must come first"}, false},
		{"noname.html", []string{p("noname.html"), "names no template"}, false},
		{"missing-include.html", []string{p("missing-include.html") + `: {{template "gone.html"}}`, p("gone.html") + " (Source does not exist)"}, true},
		{"uses-bad-layout.html", []string{p("layout-with-missing.html") + `: {{template "gone.html"}}`}, true},
		{"include-extends.html", []string{p("extending.html") + ` extends "base.html", but it is included`, p("include-extends.html")}, false},
		{"include-redefines.html", []string{p("redefining.html") + ` redefines "title", which ` + p("include-redefines.html") + " already defines"}, false},
		{"include-syntax.html", []string{p("syntax.html"), "syntax.html:3"}, false},
		{"escape.html", []string{p("escape.html"), "escape.html:2", "{{if}} branches end in different contexts"}, false},
	}
	e := engine(t, templates.Config{Dirs: []string{dir}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(e, tt.name, map[string]any{"x": 1})
			if err == nil {
				t.Fatalf("render = %q, nil; want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			var dne *templates.DoesNotExistError
			if got := errors.As(err, &dne); got != tt.notExist {
				t.Errorf("errors.As(DoesNotExistError) = %v, want %v", got, tt.notExist)
			}
			// A broken template is no missing one: a select-template list
			// does not skip it.
			_, err2 := renderNames(e, []string{tt.name, "base.html"})
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("with a fallback: error %v, want the same error", err2)
			}
		})
	}
}
