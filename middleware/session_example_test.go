package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// Sessions with the signed-cookie store: log in (a new key, then the
// user in the session), read it back on a later request, log out.
func ExampleSessions() {
	login := func(r *manouche.Request) (*manouche.Response, error) {
		s := middleware.SessionFrom(r)
		if err := s.CycleKey(); err != nil { // a key known before login is worthless after it
			return nil, err
		}
		return response.Text("logged in"), s.Set("user", "ada")
	}
	whoami := func(r *manouche.Request) (*manouche.Response, error) {
		user, ok, err := middleware.SessionFrom(r).String("user")
		if err != nil {
			return nil, err
		}
		if !ok {
			user = "anonymous"
		}
		return response.Text(user), nil
	}
	logout := func(r *manouche.Request) (*manouche.Response, error) {
		return response.Text("logged out"), middleware.SessionFrom(r).Flush()
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("login/", login), urls.Path("whoami/", whoami), urls.Path("logout/", logout),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "a long random secret"},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Sessions(middleware.SignedCookies())},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	cookie := ""
	for _, path := range []string{"/whoami/", "/login/", "/whoami/", "/logout/", "/whoami/"} {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		set := "-"
		for _, c := range rec.Result().Cookies() {
			cookie, set = c.Name+"="+c.Value, "set"
			if c.MaxAge < 0 {
				cookie, set = "", "deleted"
			}
		}
		fmt.Printf("%-9s %-10s cookie %-7s Vary: %s\n", path, rec.Body.String(), set, strings.Join(rec.Header().Values("Vary"), ","))
	}
	// Output:
	// /whoami/  anonymous  cookie -       Vary: Cookie
	// /login/   logged in  cookie set     Vary: Cookie
	// /whoami/  ada        cookie -       Vary: Cookie
	// /logout/  logged out cookie deleted Vary: Cookie
	// /whoami/  anonymous  cookie -       Vary: Cookie
}
