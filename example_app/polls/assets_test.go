package polls_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/templates"
)

// Every template parses, layouts and all, with the engine the site uses.
func TestTemplatesCheck(t *testing.T) {
	if err := engine(t).Check(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"base.html", "polls/index.html", "polls/detail.html", "polls/results.html", "404.html", "500.html"} {
		if _, err := fs.Stat(polls.Templates(), name); err != nil {
			t.Error(err)
		}
	}
}

// The 500 page depends on nothing that may be broken: it renders without
// a request, context processors, a STATIC_URL or a URLconf.
func TestServerErrorPageStandalone(t *testing.T) {
	eng, err := templates.NewEngine(templates.Config{FS: []fs.FS{polls.Templates()}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := eng.ErrorView(500)(nil, errors.New("the database is down"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := resp.Content()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 || !strings.Contains(string(body), "<h1>Server Error (500)</h1>") || strings.Contains(string(body), "database") {
		t.Fatalf("500 page: %d\n%s", resp.StatusCode, body)
	}
}

// A view whose query fails answers with the application's 500 page, and
// the error is logged.
func TestServerError(t *testing.T) {
	s := newSite(t, backends[0])
	s.inScope(func(ctx context.Context, c *db.Conn) error {
		_, err := c.ExecContext(ctx, "DROP TABLE polls_choice")
		return err
	})
	resp, page := s.client(true, nil).get("/polls/1/")
	if resp.StatusCode != 500 || !strings.Contains(page, "<h1>Server Error (500)</h1>") {
		t.Fatalf("%d:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(s.logs.String(), "polls_choice") {
		t.Fatalf("the error is not logged:\n%s", s.logs)
	}
}

// CollectStatic takes the static files, and rewrites the style sheet's
// url() to the background's hashed name.
func TestCollectStatic(t *testing.T) {
	root := t.TempDir()
	res, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{
		Settings: manouche.Settings{StaticRoot: root, StaticURL: "/static/"},
		Sources:  []fs.FS{polls.Static()},
	})
	if err != nil {
		t.Fatal(err)
	}
	paths := res.Manifest.Paths
	css, svg := paths["polls/style.css"], paths["polls/images/background.svg"]
	if css == "" || css == "polls/style.css" || svg == "" || svg == "polls/images/background.svg" || paths["polls/app.js"] == "" {
		t.Fatalf("manifest: %v", paths)
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(css)))
	if err != nil {
		t.Fatal(err)
	}
	if want := `url("images/` + path.Base(svg) + `")`; !strings.Contains(string(b), want) {
		t.Fatalf("the hashed style sheet does not use %s:\n%s", want, b)
	}
}
