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

// Django's default MIDDLEWARE in one line; sessions in signed cookies,
// which need SECRET_KEY.
func ExampleDefault() {
	view := func(r *manouche.Request) (*manouche.Response, error) {
		if err := middleware.SessionFrom(r).Set("seen", true); err != nil {
			return nil, err
		}
		return response.Text("hello"), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("hello/", view)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"example.com"}, SecretKey: "change me"},
		URLConf:    conf,
		Middleware: middleware.Default(nil),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/hello/", "/hello"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com"+path, nil))
		res := rec.Result()
		fmt.Println(path, res.StatusCode, "Location:", res.Header.Get("Location") != "")
		fmt.Printf("  X-Frame-Options: %q\n", res.Header.Get("X-Frame-Options"))
		fmt.Printf("  X-Content-Type-Options: %q\n", res.Header.Get("X-Content-Type-Options"))
		fmt.Printf("  Vary: %q\n", res.Header.Get("Vary"))
		fmt.Println("  session cookie:", len(res.Cookies()) == 1 && res.Cookies()[0].Name == "sessionid")
	}
	// The APPEND_SLASH redirect has no X-Frame-Options, as in Django:
	// Common, listed before XFrameOptions, makes it after XFrameOptions
	// has seen the 404 it replaces.

	// Output:
	// /hello/ 200 Location: false
	//   X-Frame-Options: "DENY"
	//   X-Content-Type-Options: "nosniff"
	//   Vary: "Cookie"
	//   session cookie: true
	// /hello 301 Location: true
	//   X-Frame-Options: ""
	//   X-Content-Type-Options: "nosniff"
	//   Vary: ""
	//   session cookie: false
}
