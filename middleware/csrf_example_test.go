package middleware_test

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// A form page gets the token from the templates' context; the form posts
// it back with the cookie the page set. A forged token, or none, is a 403;
// a route marked CSRFExempt (a webhook) is not checked.
func ExampleCSRF() {
	// The CSRF layer logs its refusals on slog.Default.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))

	eng, err := templates.NewEngine(templates.Config{
		FS: []fs.FS{fstest.MapFS{
			"comment.html": {Data: []byte(`<form method="post">{{csrf_input}}<textarea name="text"></textarea></form>`)},
		}},
		RequestFuncs: map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
	})
	if err != nil {
		panic(err)
	}
	comment := func(r *manouche.Request) (*manouche.Response, error) {
		if r.Method == http.MethodPost {
			return response.Text("thanks"), nil
		}
		return eng.Response(r, "comment.html", nil), nil
	}
	webhook := func(r *manouche.Request) (*manouche.Response, error) { return response.Text("hooked"), nil }
	conf, err := urls.New([]urls.Pattern{
		urls.Path("comment/", comment),
		urls.Path("hook/", webhook, urls.Attr(middleware.CSRFExempt())),
	})
	if err != nil {
		panic(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"example.com"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.CSRF()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/comment/", nil))
	cookie := rec.Result().Cookies()[0]
	token := regexp.MustCompile(`name="csrfmiddlewaretoken" value="(\w{64})"`).FindStringSubmatch(rec.Body.String())[1]
	fmt.Println("GET:", rec.Code, cookie.Name, "Vary:", rec.Header().Get("Vary"))

	post := func(path, token string) int {
		body := url.Values{"text": {"hello"}}
		if token != "" {
			body.Set("csrfmiddlewaretoken", token)
		}
		req := httptest.NewRequest("POST", "http://example.com"+path, strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	fmt.Println("the page's token:", post("/comment/", token))
	fmt.Println("a forged token:", post("/comment/", strings.Repeat("x", 64)))
	fmt.Println("no token:", post("/comment/", ""))
	fmt.Println("an exempt route:", post("/hook/", ""))
	// Output:
	// GET: 200 csrftoken Vary: Cookie
	// the page's token: 200
	// a forged token: 403
	// no token: 403
	// an exempt route: 200
}

// A script reads the token from a page and sends it in the X-CSRFToken
// header; CSRFToken gives views the token, and the failure view gets the
// reason.
func ExampleCSRFToken() {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))

	token := func(r *manouche.Request) (*manouche.Response, error) {
		tok, err := middleware.CSRFToken(r)
		if err != nil {
			return nil, err
		}
		return response.Text(tok), nil
	}
	api := func(r *manouche.Request) (*manouche.Response, error) { return response.Text("deleted"), nil }
	conf, err := urls.New([]urls.Pattern{urls.Path("token/", token), urls.Path("api/item/", api)})
	if err != nil {
		panic(err)
	}
	settings := manouche.Settings{AllowedHosts: []string{"example.com"}}
	settings.CSRF.FailureView = func(r *manouche.Request, err error) (*manouche.Response, error) {
		return manouche.NewResponse(http.StatusForbidden, []byte(err.Error()), "text/plain; charset=utf-8"), nil
	}
	h, err := handler.New(handler.Config{
		Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.CSRF()},
	})
	if err != nil {
		panic(err)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/token/", nil))
	cookie, tok := rec.Result().Cookies()[0], rec.Body.String()

	del := func(header string) string {
		req := httptest.NewRequest("DELETE", "http://example.com/api/item/", nil)
		req.AddCookie(cookie)
		if header != "" {
			req.Header.Set("X-CSRFToken", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return fmt.Sprint(rec.Code, " ", rec.Body.String())
	}
	fmt.Println(del(tok))
	fmt.Println(del(""))
	fmt.Println(del("not-a-token"))
	// Output:
	// 200 deleted
	// 403 CSRF verification failed: CSRF token missing.
	// 403 CSRF verification failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.
}
