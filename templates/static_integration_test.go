package templates_test

import (
	"context"
	"io"
	"io/fs"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// The template function static resolves a name to the hashed name that
// CollectStatic wrote into the manifest, and the Static middleware serves
// that URL with immutable caching: collectstatic, templates and static
// files working together over a real server.
func TestStaticResolvesToHashedNames(t *testing.T) {
	settings := manouche.Settings{StaticURL: "/static/", StaticRoot: t.TempDir(), AllowedHosts: []string{"*"}}
	src := fstest.MapFS{"css/app.css": {Data: []byte("body { color: red; }")}}
	if _, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src}}); err != nil {
		t.Fatal(err)
	}
	storage, err := middleware.LoadStaticStorage(settings)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := templates.NewEngine(templates.Config{
		FS:     []fs.FS{fstest.MapFS{"page.html": {Data: []byte(`<link href="{{static "css/app.css"}}">`)}}},
		Static: storage.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	page := func(r *manouche.Request) (*manouche.Response, error) { return eng.Response(r, "page.html", nil), nil }
	conf, err := urls.New([]urls.Pattern{urls.Path("", page)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{URLConf: conf, Settings: settings,
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="(/static/css/app\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("page %q: no hashed static URL", body)
	}
	resp, err = srv.Client().Get(srv.URL + m[1])
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(css) != "body { color: red; }" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %d %q Cache-Control %q", m[1], resp.StatusCode, css, resp.Header.Get("Cache-Control"))
	}
}
