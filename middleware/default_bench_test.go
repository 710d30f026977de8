package middleware_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// BenchmarkDefaultStack serves a hello view through Django's default
// stack (Default, signed-cookie sessions) and through bare chi with the
// nearest chi middleware: Recoverer (the onion's error conversion),
// RedirectSlashes (APPEND_SLASH) and SetHeader for the four headers
// Security and XFrameOptions add. chi has no sessions, CSRF or messages:
// what those cost on a request that does not use them is the difference.
// "cookies" sends a CSRF cookie and an analytics one, as a returning
// anonymous visitor's browser does; the view still uses neither.
// RedirectSlashes redirects a path with a trailing slash (chi's convention
// is the opposite of APPEND_SLASH's), so chi serves and is asked for
// /hello. Every case is checked to answer 200 "Hello, World!" before it
// is measured.
func BenchmarkDefaultStack(b *testing.B) {
	hello := func(*manouche.Request) (*manouche.Response, error) { return response.Text("Hello, World!"), nil }
	plain, _ := http.NewRequest("GET", "http://example.com/hello/", nil)
	cookies, _ := http.NewRequest("GET", "http://example.com/hello/", nil)
	cookies.Header.Set("Cookie", "csrftoken=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345; _ga=GA1.1.1234567890.1234567890")
	for _, req := range []*http.Request{plain, cookies} {
		req.RequestURI = "/hello/"
	}
	chiReq, _ := http.NewRequest("GET", "http://example.com/hello", nil)
	chiReq.RequestURI = "/hello"
	conf, err := urls.New([]urls.Pattern{urls.Path("hello/", hello)})
	if err != nil {
		b.Fatal(err)
	}
	build := func(b *testing.B, mw []middleware.Factory) http.Handler {
		h, err := handler.New(handler.Config{
			Settings:   manouche.Settings{AllowedHosts: []string{"example.com"}, SecretKey: "bench"},
			URLConf:    conf,
			Middleware: mw,
		})
		if err != nil {
			b.Fatal(err)
		}
		return h
	}
	mux := chi.NewRouter()
	mux.Use(chimw.Recoverer, chimw.RedirectSlashes,
		chimw.SetHeader("X-Frame-Options", "DENY"),
		chimw.SetHeader("X-Content-Type-Options", "nosniff"),
		chimw.SetHeader("Referrer-Policy", "same-origin"),
		chimw.SetHeader("Cross-Origin-Opener-Policy", "same-origin"))
	mux.Get("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Hello, World!"))
	})
	bare := chi.NewRouter()
	bare.Get("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Hello, World!"))
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
		req  *http.Request
	}{
		{"manouche/default", build(b, middleware.Default(nil)), plain},
		{"manouche/default/cookies", build(b, middleware.Default(nil)), cookies},
		{"manouche/none", build(b, nil), plain},
		{"chi/nearest", mux, chiReq},
		{"chi/none", bare, chiReq},
	} {
		b.Run(tc.name, func(b *testing.B) {
			testkit.BenchServe(b, tc.h, tc.req, testkit.BodyIs("Hello, World!"))
		})
	}
}
