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

func ExampleSecurity() {
	settings := manouche.Settings{
		AllowedHosts: []string{"example.com"},
		Secure: manouche.SecureSettings{
			SSLRedirect:           true,                  // SECURE_SSL_REDIRECT
			RedirectExempt:        []string{"^healthz$"}, // SECURE_REDIRECT_EXEMPT
			HSTSSeconds:           31536000,              // SECURE_HSTS_SECONDS
			HSTSIncludeSubdomains: true,                  // SECURE_HSTS_INCLUDE_SUBDOMAINS
			// Behind a proxy that terminates TLS (SECURE_PROXY_SSL_HEADER).
			ProxySSLHeader: [2]string{"X-Forwarded-Proto", "https"},
		},
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return response.Text("home"), nil }),
		urls.Path("healthz", func(*manouche.Request) (*manouche.Response, error) { return response.Text("ok"), nil }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: settings,
		URLConf:  conf,
		// Django's order: Security first, then Common, XFrameOptions last.
		Middleware: []middleware.Factory{middleware.Security(), middleware.Common(), middleware.XFrameOptions()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var last *httptest.ResponseRecorder
	for _, c := range []struct{ path, proto string }{
		{"/?page=2", "http"}, // plain HTTP: redirected
		{"/healthz", "http"}, // exempt
		{"/", "https"},       // secure: served, with HSTS
	} {
		req := httptest.NewRequest("GET", "http://example.com"+c.path, nil)
		req.Header.Set("X-Forwarded-Proto", c.proto)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		last = rec
		fmt.Printf("%s %s: %d Location=%q Strict-Transport-Security=%q\n",
			c.proto, c.path, rec.Code, rec.Header().Get("Location"), rec.Header().Get("Strict-Transport-Security"))
	}
	for _, name := range []string{"X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "X-Frame-Options"} {
		fmt.Printf("%s: %s\n", name, last.Header().Get(name))
	}
	// Output:
	// http /?page=2: 301 Location="https://example.com/?page=2" Strict-Transport-Security=""
	// http /healthz: 200 Location="" Strict-Transport-Security=""
	// https /: 200 Location="" Strict-Transport-Security="max-age=31536000; includeSubDomains"
	// X-Content-Type-Options: nosniff
	// Referrer-Policy: same-origin
	// Cross-Origin-Opener-Policy: same-origin
	// X-Frame-Options: DENY
}
