package handler_test

import (
	"net/http"
	"strconv"
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

func passLayer(next middleware.Handler) (middleware.Middleware, error) {
	return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) { return next(r), nil }), nil
}

func passHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
}

// BenchmarkHello measures a hello view through the whole handler with 0, 1
// and 8 pass-through middleware and with Django's default stack
// (middleware.Default: Security, signed-cookie Sessions, Common, CSRF,
// Messages, XFrameOptions), next to the same route on bare chi with as
// many pass-through net/http middleware, and, for "default", chi's
// nearest set: Recoverer (the onion's error conversion), RedirectSlashes
// (APPEND_SLASH) and SetHeader for the four headers Security and
// XFrameOptions add. RedirectSlashes redirects a path with a trailing
// slash (chi's convention is the opposite of APPEND_SLASH's), so chi
// serves and is asked for /hello. Same run, same discarding writer: what
// net/http's server allocates around a request is on neither side. Each
// side is checked to answer 200 "Hello, World!" before it is measured.
func BenchmarkHello(b *testing.B) {
	req, _ := http.NewRequest("GET", "http://example.com/hello/", nil)
	req.RequestURI = "/hello/"
	chiReq, _ := http.NewRequest("GET", "http://example.com/hello", nil)
	chiReq.RequestURI = "/hello"
	hello := func(*manouche.Request) (*manouche.Response, error) { return response.Text("Hello, World!"), nil }
	chiHello := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Hello, World!"))
	}
	for _, n := range []string{"0", "1", "8", "default"} {
		var mws []middleware.Factory
		var chiMws []func(http.Handler) http.Handler
		if n == "default" {
			mws = middleware.Default(nil)
			chiMws = []func(http.Handler) http.Handler{chimw.Recoverer, chimw.RedirectSlashes,
				chimw.SetHeader("X-Frame-Options", "DENY"),
				chimw.SetHeader("X-Content-Type-Options", "nosniff"),
				chimw.SetHeader("Referrer-Policy", "same-origin"),
				chimw.SetHeader("Cross-Origin-Opener-Policy", "same-origin")}
		} else {
			k, _ := strconv.Atoi(n)
			for range k {
				mws = append(mws, passLayer)
				chiMws = append(chiMws, passHTTP)
			}
		}
		b.Run("manouche/mw="+n, func(b *testing.B) {
			h := build(b, handler.Config{Middleware: mws, Settings: manouche.Settings{
				AllowedHosts: []string{"example.com"}, SecretKey: "bench",
			}}, urls.Path("hello/", hello))
			testkit.BenchServe(b, h, req, testkit.BodyIs("Hello, World!"))
		})
		b.Run("chi/mw="+n, func(b *testing.B) {
			mux := chi.NewRouter()
			mux.Use(chiMws...)
			mux.Get("/hello", chiHello)
			testkit.BenchServe(b, mux, chiReq, testkit.BodyIs("Hello, World!"))
		})
	}
}
