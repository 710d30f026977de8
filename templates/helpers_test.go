package templates_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// mapFS builds an in-memory file system from name, text pairs.
func mapFS(pairs ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = &fstest.MapFile{Data: []byte(pairs[i+1])}
	}
	return m
}

// writeDir makes a temporary directory holding the name, text pairs.
func writeDir(t testing.TB, pairs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(pairs); i += 2 {
		writeFile(t, dir, pairs[i], pairs[i+1])
	}
	return dir
}

func writeFile(t testing.TB, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// engine builds an engine or fails the test.
func engine(t testing.TB, cfg templates.Config) *templates.Engine {
	t.Helper()
	e, err := templates.NewEngine(cfg)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

// render renders name without a request.
func render(e *templates.Engine, name string, data map[string]any) (string, error) {
	return renderFor(e, nil, name, data)
}

// renderFor renders name for r.
func renderFor(e *templates.Engine, r *manouche.Request, name string, data map[string]any) (string, error) {
	var b bytes.Buffer
	err := e.Render(&b, r, name, data)
	return b.String(), err
}

// request builds a request for target outside any handler, resolving
// nothing; conf may be nil.
func request(t testing.TB, s manouche.Settings, conf *urls.Conf, scriptName, target string) *manouche.Request {
	t.Helper()
	hr := httptest.NewRequest("GET", target, nil)
	var c manouche.URLConf
	if conf != nil {
		c = conf
	}
	return manouche.NewRequest(httptest.NewRecorder(), hr, &s, c, scriptName, hr.URL.Path)
}

func noView(*manouche.Request) (*manouche.Response, error) { return nil, nil }

// pollsConf is a URLconf with named routes to reverse, one of them in a
// namespaced include.
func pollsConf(t testing.TB, opts ...urls.ConfOption) *urls.Conf {
	t.Helper()
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", noView, urls.Name("index")),
		urls.Include("polls/", []urls.Pattern{
			urls.Path("<int:pk>/", noView, urls.Name("detail")),
			urls.Path("<int:pk>/<slug:tab>/", noView, urls.Name("tab")),
		}, urls.AppName("polls"), urls.Namespace("polls")),
	}, opts...)
	if err != nil {
		t.Fatalf("urls.New: %v", err)
	}
	return conf
}

// squash removes the line breaks and indentation of rendered HTML.
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "")
}

func mustGetwd(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// renderNames renders the first of names that exists, without a request,
// through a TemplateResponse.
func renderNames(e *templates.Engine, names []string) ([]byte, error) {
	resp := e.Response(nil, names[0], nil, templates.Fallbacks(names[1:]...))
	tr, ok := templates.Of(resp)
	if !ok {
		return nil, errors.New("Of: not a template response")
	}
	return tr.Render(context.Background())
}
