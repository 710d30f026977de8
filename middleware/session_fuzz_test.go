package middleware_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/signing"
	"github.com/manouche/manouche/urls"
)

// sessKeyGuard is a server-side store that records any call with a key
// that ValidSessionKey refuses.
type sessKeyGuard struct {
	*sessMem
	bad atomic.Value // string
}

func (g *sessKeyGuard) Load(ctx context.Context, key string) (map[string]any, bool, error) {
	if !middleware.ValidSessionKey(key) {
		g.bad.Store(key)
	}
	return g.sessMem.Load(ctx, key)
}

// FuzzSessionCookie: whatever the session cookie holds, the signed-cookie
// store's decoder and the key check never panic, a bad cookie is an empty
// session (never an error), a malformed key never reaches a server-side
// store, and signed data round-trips.
func FuzzSessionCookie(f *testing.F) {
	s := manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "fuzz-secret"}
	cookieStore := middleware.SignedCookies()
	guard := &sessKeyGuard{sessMem: newSessMem(time.Now)}
	conf, err := urls.New([]urls.Pattern{urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
		v, ok, err := middleware.SessionFrom(r).String("user")
		if err != nil {
			return nil, err
		}
		if !ok {
			v = "-"
		}
		return manouche.NewResponse(200, []byte(v), "text/plain"), nil
	})})
	if err != nil {
		f.Fatal(err)
	}
	var handlers []*handler.Handler
	for _, store := range []middleware.SessionStore{cookieStore, guard} {
		h, err := handler.New(handler.Config{Settings: s, URLConf: conf, Middleware: []middleware.Factory{middleware.Sessions(store)}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			f.Fatal(err)
		}
		handlers = append(handlers, h)
	}
	good, err := cookieStore.Save(context.Background(), "", map[string]any{"user": "ada"}, time.Hour, true)
	if err != nil {
		f.Fatal(err)
	}
	forged, _ := signing.TimestampSigner{Key: "other", Salt: "manouche.middleware.session"}.Dumps(map[string]any{"user": "eve"}, true)
	for _, seed := range []string{"", good, forged, good[:len(good)-1], strings.Repeat("a", 32), "a:b:c", ".eJw:1:2", "\"quoted\"", "x;y=z", strings.Repeat("Z", 5000)} {
		f.Add(seed)
	}
	v := middleware.SignedCookies().(middleware.SessionKeyValidator)
	f.Fuzz(func(t *testing.T, cookie string) {
		ctx, _ := manouche.NewScope(context.Background())
		data, ok, err := cookieStore.Load(ctx, cookie)
		if err != nil {
			t.Fatalf("Load(%q): %v", cookie, err)
		}
		if ok && (cookie != good || data["user"] != "ada") {
			t.Fatalf("Load accepted %q: %v", cookie, data)
		}
		if ok && !v.ValidSessionKey(cookie) {
			t.Fatalf("Load accepted %q, which the key check refuses", cookie)
		}
		if middleware.ValidSessionKey(cookie) && (len(cookie) < 8 || len(cookie) > 40 || strings.Trim(cookie, "abcdefghijklmnopqrstuvwxyz0123456789") != "") {
			t.Fatalf("ValidSessionKey(%q) is true", cookie)
		}
		// Through the handler, as the Cookie header: an empty session.
		for i, h := range handlers {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Cookie", "sessionid="+cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || (rec.Body.String() != "-" && !(i == 0 && cookie == good)) {
				t.Fatalf("store %d, cookie %q: %d %q", i, cookie, rec.Code, rec.Body.String())
			}
		}
		if bad := guard.bad.Load(); bad != nil {
			t.Fatalf("the server-side store was asked for the malformed key %q", bad)
		}
		// Anything stored comes back.
		signed, err := cookieStore.Save(ctx, "", map[string]any{"v": cookie}, time.Hour, true)
		if err != nil {
			if strings.Contains(err.Error(), "over the 4096 bytes") {
				return
			}
			t.Fatal(err)
		}
		back, ok, err := cookieStore.Load(ctx, signed)
		if err != nil || !ok || (utf8.ValidString(cookie) && back["v"] != cookie) {
			t.Fatalf("round trip of %q: %v %v %v", cookie, back, ok, err)
		}
	})
}
