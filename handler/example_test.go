package handler_test

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

// poweredBy is a hook-style middleware: its ProcessResponse runs on every
// response on the way out, error pages included.
type poweredBy struct{}

func (poweredBy) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	resp.SetHeader("X-Powered-By", "manouche")
	return resp, nil
}

// Build a handler from a URLconf and a middleware list, then serve requests
// with it. The handler is a plain http.Handler.
func ExampleNew() {
	greet := func(r *manouche.Request) (*manouche.Response, error) {
		name, _ := manouche.Kwarg[string](r, "name")
		self, err := urls.Reverse(r, "greet", urls.Args(name))
		if err != nil {
			return nil, err
		}
		return response.Text("Hello, " + name + "! (" + self + ")"), nil
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Include("hello/", []urls.Pattern{
			urls.Path("<str:name>/", greet, urls.Name("greet")),
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"example.com"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Hooks(poweredBy{})},
		Logger:     slog.New(slog.DiscardHandler), // "Not Found: /nope/" would go here
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, target := range []string{"http://example.com/hello/world/", "http://example.com/nope/", "http://evil.com/hello/world/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(rec.Code, rec.Header().Get("X-Powered-By"), rec.Body.Len() > 0)
		if rec.Code == 200 {
			fmt.Println(rec.Body.String())
		}
	}
	// Output:
	// 200 manouche true
	// Hello, world! (/hello/world/)
	// 404 manouche true
	// 400  true
}
