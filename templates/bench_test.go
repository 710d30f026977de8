package templates_test

import (
	"bytes"
	"context"
	"html/template"
	"io/fs"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

const (
	benchBase = `<!doctype html>
<html><head><title>{{block "title" .}}Site{{end}}</title></head>
<body>
<header>{{block "header" .}}<h1>Polls</h1>{{end}}</header>
<main>{{block "content" .}}{{end}}</main>
<footer>{{block "footer" .}}(c) {{.year}}{{end}}</footer>
</body></html>`
	benchPage = `{{/* extends "base.html" */}}
{{define "title"}}{{.title}}{{end}}
{{define "content"}}<ul>
{{range .choices}}<li><a href="/polls/{{.ID}}/" title="{{.Text}}">{{.Text}}</a> {{.Votes}} votes</li>
{{end}}</ul>{{end}}`
)

type benchChoice struct {
	ID    int
	Text  string
	Votes int
}

func benchData() map[string]any {
	choices := make([]benchChoice, 10)
	for i := range choices {
		choices[i] = benchChoice{ID: i, Text: "Choice <" + string(rune('a'+i)) + "> & more", Votes: i * 7}
	}
	return map[string]any{"title": "What's new?", "year": 2025, "choices": choices}
}

// BenchmarkTemplateResponse renders the same page (a layout with four
// blocks, a child overriding two, a loop of ten escaped rows) by
// executing the html/template set directly into a new buffer, and as a
// template response: Engine.Response, the deferred response's Render (the
// engine's cache, the leased set, the buffer) and its Content; with no
// context processors, and with request, debug and static.
func BenchmarkTemplateResponse(b *testing.B) {
	data := benchData()
	b.Run("html/template", func(b *testing.B) {
		set := template.Must(template.New("base.html").Parse(benchBase))
		template.Must(set.New("page.html").Parse(benchPage))
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			if err := set.Execute(&buf, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name  string
		procs []templates.ContextProcessor
	}{
		{"TemplateResponse", nil},
		{"TemplateResponse+processors", []templates.ContextProcessor{templates.RequestProcessor, templates.DebugProcessor, templates.StaticProcessor}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := engine(b, templates.Config{FS: []fs.FS{mapFS("base.html", benchBase, "page.html", benchPage)}, ContextProcessors: bc.procs})
			r := request(b, manouche.Settings{StaticURL: "/static/"}, nil, "", "/polls/")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := e.Response(r, "page.html", data).Render(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := resp.Content(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
