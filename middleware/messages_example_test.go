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

// Messages: a form view adds a message and redirects; the page it
// redirects to shows it, once. Here the messages wait in a signed cookie
// ("cookie" storage); the default keeps them in the session.
func ExampleMessages() {
	save := func(r *manouche.Request) (*manouche.Response, error) {
		if err := middleware.MessagesFrom(r).Success("Profile saved."); err != nil {
			return nil, err
		}
		return response.Redirect("/profile/")
	}
	profile := func(r *manouche.Request) (*manouche.Response, error) {
		msgs, err := middleware.MessagesFrom(r).All() // in a template: {{range .messages.All}}
		if err != nil {
			return nil, err
		}
		page := "profile"
		for _, m := range msgs {
			page += fmt.Sprintf(" [%s] %s", m.Tags(), m.Text)
		}
		return response.Text(page), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("save/", save), urls.Path("profile/", profile)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: manouche.Settings{
			AllowedHosts: []string{"*"},
			SecretKey:    "a long random secret",
			Messages:     manouche.MessageSettings{Storage: "cookie"},
		},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Messages()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	cookie := ""
	for _, path := range []string{"/save/", "/profile/", "/profile/"} {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			cookie = c.Name + "=" + c.Value
		}
		out := rec.Body.String()
		if loc := rec.Header().Get("Location"); loc != "" {
			out = "redirect to " + loc
		}
		fmt.Println(rec.Code, out)
	}
	// Output:
	// 302 redirect to /profile/
	// 200 profile [success] Profile saved.
	// 200 profile
}
