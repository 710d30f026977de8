package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

func ExampleCommon() {
	ok := func(*manouche.Request) (*manouche.Response, error) { return response.Text("ok"), nil }
	conf, err := urls.New([]urls.Pattern{
		urls.Path("articles/", ok),
		// An API whose slashless URLs stay 404s: Django's @no_append_slash.
		urls.Path("api/items/", ok, urls.Attr(middleware.NoAppendSlash())),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: manouche.Settings{
			AllowedHosts:         []string{"example.com", "www.example.com"},
			PrependWWW:           true,                  // PREPEND_WWW
			DisallowedUserAgents: []string{`^BadBot\b`}, // DISALLOWED_USER_AGENTS
			// APPEND_SLASH is on unless DisableAppendSlash.
		},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Common()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct{ host, path, agent string }{
		{"www.example.com", "/articles?page=2", ""}, // APPEND_SLASH
		{"www.example.com", "/api/items", ""},       // NoAppendSlash
		{"example.com", "/articles", ""},            // PREPEND_WWW, with the slash in the same redirect
		{"www.example.com", "/articles/", "BadBot/2.0"},
		{"www.example.com", "/articles/", ""},
	} {
		req := httptest.NewRequest("GET", "http://"+c.host+c.path, nil)
		req.Header.Set("User-Agent", c.agent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%s%s: %d Location=%q\n", c.host, c.path, rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// www.example.com/articles?page=2: 301 Location="/articles/?page=2"
	// www.example.com/api/items: 404 Location=""
	// example.com/articles: 301 Location="http://www.example.com/articles/"
	// www.example.com/articles/: 403 Location=""
	// www.example.com/articles/: 200 Location=""
}
