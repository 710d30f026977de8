package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"

	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// maintenance is a hook-style middleware (Django's MiddlewareMixin):
// ProcessRequest answers early while the site is down for maintenance,
// ProcessResponse stamps every response on the way out — the early one
// too.
type maintenance struct{ down bool }

func (m *maintenance) ProcessRequest(r *manouche.Request) (*manouche.Response, error) {
	if m.down {
		resp := response.Text("back soon")
		resp.StatusCode = 503
		return resp, nil
	}
	return nil, nil // go on to the next layer and the view
}

func (m *maintenance) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	resp.SetHeader("X-Maintenance", fmt.Sprint(m.down))
	return resp, nil
}

func ExampleHooks() {
	m := &maintenance{}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return response.Text("welcome"), nil }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Hooks(m)},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, down := range []bool{false, true} {
		m.down = down
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		fmt.Println(rec.Code, rec.Header().Get("X-Maintenance"), rec.Body.String())
	}
	// Output:
	// 200 false welcome
	// 503 true back soon
}

func ExampleFromHTTP() {
	// chi's RequestID and SetHeader run inside the onion: the view reads
	// the request id from its context, and the header reaches the client.
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text("request " + chimw.GetReqID(r.Context())), nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:  conf,
		Middleware: []middleware.Factory{
			middleware.FromHTTP(chimw.RequestID),
			middleware.FromHTTP(chimw.SetHeader("Cache-Control", "no-store")),
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(chimw.RequestIDHeader, "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Body.String())
	// Output:
	// 200 no-store request req-42
}
