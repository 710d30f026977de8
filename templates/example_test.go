package templates_test

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// A page that extends a layout, rendered by a view as a template
// response, with the url and static functions and the request context
// processor; and the 404.html error page.
func Example() {
	// In an application this is an embed.FS (//go:embed templates).
	site := fstest.MapFS{
		"base.html": {Data: []byte(`<title>{{block "title" .}}My site{{end}}</title>
<link rel="stylesheet" href="{{static "site.css"}}">
{{block "content" .}}{{end}}`)},
		"polls/detail.html": {Data: []byte(`{{/* extends "base.html" */}}
{{define "title"}}Poll {{.pk}}{{end}}
{{define "content"}}<a href="{{url "polls:detail" .pk}}">{{.question}}</a> ({{.request.Method}}){{end}}`)},
		"404.html": {Data: []byte(`No page at {{.request_path}}`)},
	}
	e, err := templates.NewEngine(templates.Config{
		FS:                []fs.FS{site},
		StaticURL:         "/static/",
		ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	detail := func(r *manouche.Request) (*manouche.Response, error) {
		pk, _ := manouche.Kwarg[int](r, "pk")
		return e.Response(r, "polls/detail.html", map[string]any{"pk": pk, "question": "Tabs <or> spaces?"}), nil
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Include("polls/", []urls.Pattern{
			urls.Path("<int:pk>/", detail, urls.Name("detail")),
		}, urls.AppName("polls"), urls.Namespace("polls")),
	}, e.ErrorHandlers()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: manouche.Settings{AllowedHosts: []string{"example.com"}},
		URLConf:  conf,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, target := range []string{"http://example.com/polls/7/", "http://example.com/nope/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(rec.Code)
		fmt.Println(rec.Body.String())
	}

	// Without a request: render_to_string.
	if err := e.Render(os.Stdout, nil, "missing.html", nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 200
	// <title>Poll 7</title>
	// <link rel="stylesheet" href="/static/site.css">
	// <a href="/polls/7/">Tabs &lt;or&gt; spaces?</a> (GET)
	// 404
	// No page at /nope/
	// templates: TemplateDoesNotExist: "missing.html"; searched: FS[0] (fstest.MapFS): missing.html (Source does not exist)
}
