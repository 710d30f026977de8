package templates_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

// With Debug, a template is read again when one of its files changed:
// another size, another modification time, deleted, or shadowed by a file
// in an earlier loader. Without Debug it is read once.
func TestDebugReread(t *testing.T) {
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	type step struct {
		do   func(t *testing.T, dir1, dir2 string)
		want string // "" means an error containing wantErr
		err  string
	}
	touch := func(dir, name, text string, mod time.Time) func(*testing.T, string, string) {
		return func(t *testing.T, dir1, dir2 string) {
			d := map[string]string{"1": dir1, "2": dir2}[dir]
			writeFile(t, d, name, text)
			if err := os.Chtimes(filepath.Join(d, name), mod, mod); err != nil {
				t.Fatal(err)
			}
		}
	}
	remove := func(dir, name string) func(*testing.T, string, string) {
		return func(t *testing.T, dir1, dir2 string) {
			d := map[string]string{"1": dir1, "2": dir2}[dir]
			if err := os.Remove(filepath.Join(d, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name  string
		debug bool
		steps []step
	}{
		{"size changes", true, []step{
			{touch("2", "page.html", `{{/* extends "base.html" */}}{{define "b"}}v1{{end}}`, past), "[v1]", ""},
			{touch("2", "page.html", `{{/* extends "base.html" */}}{{define "b"}}v22{{end}}`, past), "[v22]", ""},
		}},
		{"same size, new mtime", true, []step{
			{touch("2", "page.html", `{{/* extends "base.html" */}}{{define "b"}}v1{{end}}`, past), "[v1]", ""},
			{touch("2", "page.html", `{{/* extends "base.html" */}}{{define "b"}}v2{{end}}`, past.Add(time.Second)), "[v2]", ""},
		}},
		{"the layout changes", true, []step{
			{touch("2", "page.html", `{{/* extends "base.html" */}}{{define "b"}}v1{{end}}`, past), "[v1]", ""},
			{touch("2", "base.html", `({{block "b" .}}{{end}})`, past), "(v1)", ""},
		}},
		{"an include changes", true, []step{
			{touch("2", "page.html", `{{template "inc.html"}}`, past), "inc", ""},
			{touch("2", "inc.html", `inc two`, past), "inc two", ""},
		}},
		{"shadowed by an earlier loader", true, []step{
			{touch("2", "page.html", `in dir2`, past), "in dir2", ""},
			{touch("1", "page.html", `in dir1`, past), "in dir1", ""},
			{remove("1", "page.html"), "in dir2", ""},
		}},
		{"deleted", true, []step{
			{touch("2", "page.html", `here`, past), "here", ""},
			{remove("2", "page.html"), "", "TemplateDoesNotExist"},
			{touch("2", "page.html", `back`, past), "back", ""},
		}},
		{"broken, then fixed", true, []step{
			{touch("2", "page.html", `ok`, past), "ok", ""},
			{touch("2", "page.html", "ok\n{{if}}", past), "", "page.html:2"},
			{touch("2", "page.html", `fixed`, past), "fixed", ""},
		}},
		{"without Debug, read once", false, []step{
			{touch("2", "page.html", `v1`, past), "v1", ""},
			{touch("2", "page.html", `v22`, past.Add(time.Second)), "v1", ""},
			{remove("2", "page.html"), "v1", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir1 := t.TempDir()
			dir2 := writeDir(t, "base.html", `[{{block "b" .}}{{end}}]`, "inc.html", "inc")
			e := engine(t, templates.Config{Dirs: []string{dir1, dir2}, Debug: tt.debug})
			for i, s := range tt.steps {
				s.do(t, dir1, dir2)
				got, err := render(e, "page.html", nil)
				if s.want != "" && (err != nil || got != s.want) {
					t.Fatalf("step %d: render = %q, %v; want %q", i, got, err, s.want)
				}
				if s.want == "" && (err == nil || !strings.Contains(err.Error(), s.err)) {
					t.Fatalf("step %d: render = %q, %v; want an error with %q", i, got, err, s.err)
				}
			}
		})
	}
}

// The Debug check works for file systems that report modification times,
// such as fstest.MapFS (embed.FS reports none: its files never change).
func TestDebugRereadFS(t *testing.T) {
	m := fstest.MapFS{"t.html": {Data: []byte("one"), ModTime: time.Unix(1, 0)}}
	e := engine(t, templates.Config{FS: []fs.FS{m}, Debug: true})
	if got, _ := render(e, "t.html", nil); got != "one" {
		t.Fatalf("render = %q", got)
	}
	m["t.html"] = &fstest.MapFile{Data: []byte("two"), ModTime: time.Unix(2, 0)}
	if got, _ := render(e, "t.html", nil); got != "two" {
		t.Errorf("after the change: render = %q, want %q", got, "two")
	}
}

// Many goroutines render the same templates at once, each for its own
// request: url and static see their own request, never another's
// (run with -race).
func TestConcurrentRenders(t *testing.T) {
	conf := pollsConf(t)
	e := engine(t, templates.Config{
		FS: []fs.FS{mapFS(
			"base.html", `{{block "b" .}}{{end}}`,
			"page.html", `{{/* extends "base.html" */}}{{define "b"}}{{.request.Path}} {{url "polls:detail" .pk}} {{static "x.css"}}{{end}}`,
		)},
		ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor},
	})
	const workers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prefix := fmt.Sprintf("/m%d", w)
			s := manouche.Settings{StaticURL: fmt.Sprintf("/s%d/", w)}
			for i := range each {
				r := request(t, s, conf, prefix, fmt.Sprintf("/p%d", i))
				want := fmt.Sprintf("%s/p%d %s/polls/%d/ /s%d/x.css", prefix, i, prefix, i, w)
				got, err := renderFor(e, r, "page.html", map[string]any{"pk": i})
				if err != nil || got != want {
					errs <- fmt.Errorf("worker %d: render = %q, %v; want %q", w, got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
