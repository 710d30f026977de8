package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

func ExampleStatic() {
	// StaticRoot as CollectStatic leaves it: here one file, written by hand.
	root, err := os.MkdirTemp("", "static")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	if err := os.MkdirAll(filepath.Join(root, "css"), 0o755); err != nil {
		fmt.Println(err)
		return
	}
	if err := os.WriteFile(filepath.Join(root, "css", "site.css"), []byte("body { margin: 0 }"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/", StaticRoot: root}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return response.Text("home"), nil }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: settings,
		URLConf:  conf,
		// First, so that a static file costs no other middleware.
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct{ method, path, rng string }{
		{"GET", "/static/css/site.css", ""},
		{"GET", "/static/css/site.css", "bytes=0-3"},
		{"POST", "/static/css/site.css", ""},
		{"GET", "/static/css/missing.css", ""}, // not indexed: the application answers
		{"GET", "/", ""},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 206:
			fmt.Printf("%s %s → %d %s | %s | %s | %q\n", c.method, c.path, rec.Code, rec.Header().Get("Content-Type"),
				rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Range"), rec.Body.String())
		case 405:
			fmt.Printf("%s %s → %d Allow: %s\n", c.method, c.path, rec.Code, rec.Header().Get("Allow"))
		default:
			fmt.Printf("%s %s → %d\n", c.method, c.path, rec.Code)
		}
	}
	// Output:
	// GET /static/css/site.css → 200 text/css; charset=utf-8 | max-age=60, public |  | "body { margin: 0 }"
	// GET /static/css/site.css → 206 text/css; charset=utf-8 | max-age=60, public | bytes 0-3/18 | "body"
	// POST /static/css/site.css → 405 Allow: GET, HEAD
	// GET /static/css/missing.css → 404
	// GET / → 200 text/plain; charset=utf-8 |  |  | "home"
}
