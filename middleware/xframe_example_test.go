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

func ExampleXFrameOptions() {
	page := func(*manouche.Request) (*manouche.Response, error) { return response.HTML("<p>page</p>"), nil }
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", page),
		// A widget other sites may frame: Django's @xframe_options_exempt.
		urls.Path("widget/", page, urls.Attr(middleware.XFrameExempt())),
		// A view may set its own value: Django's @xframe_options_deny.
		urls.Path("private/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.HTML("<p>private</p>")
			resp.Header().Set("X-Frame-Options", "DENY")
			return resp, nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, XFrameOptions: "sameorigin"}, // X_FRAME_OPTIONS
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.XFrameOptions()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/", "/widget/", "/private/", "/missing/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d X-Frame-Options=%q\n", path, rec.Code, rec.Header().Get("X-Frame-Options"))
	}

	// Any value but DENY and SAMEORIGIN is refused when the handler is built.
	_, err = handler.New(handler.Config{
		Settings:   manouche.Settings{XFrameOptions: "ALLOW-FROM https://example.com"},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.XFrameOptions()},
	})
	fmt.Println(err != nil)
	// Output:
	// / 200 X-Frame-Options="SAMEORIGIN"
	// /widget/ 200 X-Frame-Options=""
	// /private/ 200 X-Frame-Options="DENY"
	// /missing/ 404 X-Frame-Options="SAMEORIGIN"
	// true
}
