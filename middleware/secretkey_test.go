package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// settingsHandler serves "set/" (stores a value in the session and a
// message) and "get/" (prints both) with sessions and messages in signed
// cookies, signed with s's keys.
func settingsHandler(t *testing.T, s manouche.Settings) *handler.Handler {
	t.Helper()
	set := func(r *manouche.Request) (*manouche.Response, error) {
		if err := middleware.SessionFrom(r).Set("k", "v"); err != nil {
			return nil, err
		}
		if err := middleware.MessagesFrom(r).Debug("debug note"); err != nil {
			return nil, err
		}
		if err := middleware.MessagesFrom(r).Info("info note"); err != nil {
			return nil, err
		}
		return response.Text("set"), nil
	}
	get := func(r *manouche.Request) (*manouche.Response, error) {
		v, _, err := middleware.SessionFrom(r).String("k")
		if err != nil {
			return nil, err
		}
		msgs, err := middleware.MessagesFrom(r).All()
		if err != nil {
			return nil, err
		}
		return response.Text(fmt.Sprintf("session %q, messages %v", v, msgs)), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("set/", set), urls.Path("get/", get)})
	if err != nil {
		t.Fatal(err)
	}
	s.AllowedHosts = []string{"*"}
	s.Messages.Storage = "cookie"
	h, err := handler.New(handler.Config{
		Settings: s, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Sessions(middleware.SignedCookies()), middleware.Messages()},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// SECRET_KEY_FALLBACKS: cookies signed with a former key still read after
// the key changed, and only while that key is listed; MESSAGE_LEVEL sets
// the minimum level kept.
func TestSecretKeyFallbacksAndMessageLevel(t *testing.T) {
	old := settingsHandler(t, manouche.Settings{SecretKey: "old key", Messages: manouche.MessageSettings{Level: middleware.LevelDebug}})
	rec := httptest.NewRecorder()
	old.ServeHTTP(rec, httptest.NewRequest("GET", "/set/", nil))
	var cookie string
	for _, c := range rec.Result().Cookies() {
		cookie += c.Name + "=" + c.Value + "; "
	}
	tests := []struct {
		name     string
		settings manouche.Settings
		want     string
	}{
		{"same key", manouche.Settings{SecretKey: "old key"}, `session "v", messages [debug note info note]`},
		{"rotated, old key a fallback", manouche.Settings{SecretKey: "new key", SecretKeyFallbacks: []string{"older", "old key"}}, `session "v", messages [debug note info note]`},
		{"rotated, fallback dropped", manouche.Settings{SecretKey: "new key"}, `session "", messages []`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/get/", nil)
			req.Header.Set("Cookie", cookie)
			rec := httptest.NewRecorder()
			settingsHandler(t, tt.settings).ServeHTTP(rec, req)
			if got := rec.Body.String(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	// Without MESSAGE_LEVEL the debug message is not kept.
	rec = httptest.NewRecorder()
	settingsHandler(t, manouche.Settings{SecretKey: "k"}).ServeHTTP(rec, httptest.NewRequest("GET", "/set/", nil))
	req := httptest.NewRequest("GET", "/get/", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	settingsHandler(t, manouche.Settings{SecretKey: "k"}).ServeHTTP(rec, req)
	if got, want := rec.Body.String(), `session "v", messages [info note]`; got != want {
		t.Fatalf("default level: got %s, want %s", got, want)
	}
	conf, _ := urls.New(nil)
	if _, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{Messages: manouche.MessageSettings{Level: -1}},
		Middleware: []middleware.Factory{middleware.Messages()}}); err == nil {
		t.Fatal("a negative MESSAGE_LEVEL was accepted")
	}
}
