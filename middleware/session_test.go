package middleware_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/signing"
	"github.com/manouche/manouche/urls"
)

const sessTestSecret = "session-test-secret-key"

// sessClock is a settable clock.
type sessClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSessClock() *sessClock { return &sessClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *sessClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *sessClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sessMem is a server-side SessionStore in memory with Django's
// semantics (create never overwrites, update of a deleted session is
// interrupted), counting its calls.
type sessMem struct {
	mu   sync.Mutex
	rows map[string]sessMemRow
	now  func() time.Time

	loads, saves, deletes atomic.Int64
	// collide makes that many next creates find their key taken.
	collide atomic.Int64
	// failLoad makes Load fail.
	failLoad atomic.Bool
}

type sessMemRow struct {
	data   []byte
	expire time.Time
}

func newSessMem(now func() time.Time) *sessMem {
	return &sessMem{rows: map[string]sessMemRow{}, now: now}
}

func (m *sessMem) Load(ctx context.Context, key string) (map[string]any, bool, error) {
	m.loads.Add(1)
	if manouche.ScopeFrom(ctx) == nil {
		return nil, false, errors.New("sessMem: Load without the request's context")
	}
	if m.failLoad.Load() {
		return nil, false, errors.New("sessMem: the store is down")
	}
	m.mu.Lock()
	row, ok := m.rows[key]
	m.mu.Unlock()
	if !ok || !row.expire.After(m.now()) {
		return nil, false, nil
	}
	var data map[string]any
	if err := json.Unmarshal(row.data, &data); err != nil {
		return nil, false, err
	}
	return data, true, nil
}

func (m *sessMem) Save(ctx context.Context, key string, data map[string]any, age time.Duration, create bool) (string, error) {
	m.saves.Add(1)
	if !middleware.ValidSessionKey(key) {
		return "", fmt.Errorf("sessMem: Save with a malformed key %q", key)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, exists := m.rows[key]
	switch {
	case create && (exists || m.collide.Load() > 0):
		m.collide.Add(-1)
		return "", middleware.ErrSessionKeyExists
	case !create && !exists:
		return "", middleware.ErrSessionInterrupted
	}
	m.rows[key] = sessMemRow{data: b, expire: m.now().Add(age)}
	return key, nil
}

func (m *sessMem) Delete(ctx context.Context, key string) error {
	m.deletes.Add(1)
	m.mu.Lock()
	delete(m.rows, key)
	m.mu.Unlock()
	return nil
}

func (m *sessMem) ClearExpired(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, row := range m.rows {
		if !row.expire.After(m.now()) {
			delete(m.rows, k)
			n++
		}
	}
	return n, nil
}

func (m *sessMem) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.rows))
}

func (m *sessMem) calls() string {
	return fmt.Sprintf("loads=%d saves=%d deletes=%d", m.loads.Load(), m.saves.Load(), m.deletes.Load())
}

// sessStoreCase is one store under test: the in-memory server-side one or
// the signed-cookie one.
type sessStoreCase struct {
	name string
	// make returns the store and, for the server-side one, its *sessMem.
	make func(now func() time.Time) (middleware.SessionStore, *sessMem)
}

var sessStores = []sessStoreCase{
	{"server", func(now func() time.Time) (middleware.SessionStore, *sessMem) {
		m := newSessMem(now)
		return m, m
	}},
	{"cookie", func(now func() time.Time) (middleware.SessionStore, *sessMem) {
		return middleware.SignedCookiesWithClock(now), nil
	}},
}

// sessSite is a handler with the session middleware behind a real server.
type sessSite struct {
	t      testing.TB
	srv    *httptest.Server
	client *http.Client // with a cookie jar
	jar    *cookiejar.Jar
	logs   *testkit.LogBuffer
	// hook runs inside the "hook/" view, between a read and a write.
	hook func(r *manouche.Request)
}

// sessRenderer is a deferred response's renderer.
type sessRenderer string

func (s sessRenderer) Render(context.Context) ([]byte, error) { return []byte(s), nil }

func sessView(f func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error)) manouche.View {
	return func(r *manouche.Request) (*manouche.Response, error) {
		return f(r, middleware.SessionFrom(r))
	}
}

func (site *sessSite) views() []urls.Pattern {
	kw := func(r *manouche.Request, name string) string { v, _ := manouche.Kwarg[string](r, name); return v }
	set := func(s *middleware.Session, v string) error { return s.Set("kind", v) }
	return []urls.Pattern{
		urls.Path("none/", func(r *manouche.Request) (*manouche.Response, error) { return response.Text("none"), nil }),
		urls.Path("nil/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text(fmt.Sprint(middleware.SessionFrom(r) == nil)), nil
		}),
		urls.Path("key/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.Text(s.Key()), nil
		})),
		urls.Path("get/<str:k>/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			v, ok, err := s.String(kw(r, "k"))
			if err != nil {
				return nil, err
			}
			if !ok {
				v = "-"
			}
			return response.Text(v), nil
		})),
		urls.Path("set/<str:k>/<str:v>/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if err := s.Set(kw(r, "k"), kw(r, "v")); err != nil {
				return nil, err
			}
			return response.Text("ok"), nil
		})),
		urls.Path("del/<str:k>/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.Text("ok"), s.Delete(kw(r, "k"))
		})),
		urls.Path("keys/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			keys, err := s.Keys()
			return response.Text(strings.Join(keys, ",")), err
		})),
		urls.Path("clear/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.Text(fmt.Sprint(s.IsEmpty())), s.Clear()
		})),
		urls.Path("flush/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if err := s.Flush(); err != nil {
				return nil, err
			}
			return response.Text(fmt.Sprintf("%q %v", s.Key(), s.IsEmpty())), nil
		})),
		urls.Path("cycle/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if err := s.CycleKey(); err != nil {
				return nil, err
			}
			return response.Text(s.Key()), nil
		})),
		urls.Path("expiry/<str:d>/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			d, err := time.ParseDuration(kw(r, "d"))
			if err != nil {
				return nil, &manouche.BadRequest{Message: err.Error()}
			}
			s.SetExpiry(d)
			return response.Text(s.ExpiryAge().String()), nil
		})),
		urls.Path("json/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if err := s.Set("n", 42); err != nil {
				return nil, err
			}
			if err := s.Set("obj", struct{ A []int }{[]int{1}}); err != nil {
				return nil, err
			}
			errFunc := s.Set("f", func() {})
			n, _, _ := s.Get("n")
			obj, _, _ := s.Get("obj")
			return response.Text(fmt.Sprintf("%T %T %v", n, obj, errFunc != nil)), nil
		})),
		urls.Path("types/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			n, _, _ := s.Get("n")
			obj, _, _ := s.Get("obj")
			str, ok, err := s.String("n")
			return response.Text(fmt.Sprintf("%T %T %q %v %v", n, obj, str, ok, err)), nil
		})),
		urls.Path("stream/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) {
				_ = yield([]byte("a")) && yield([]byte("b"))
			}), set(s, "stream")
		})),
		urls.Path("file/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.File(r, bytes.NewReader([]byte("file body")), response.ContentType("text/plain")), set(s, "file")
		})),
		urls.Path("deferred/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return manouche.NewDeferredResponse(200, sessRenderer("rendered"), ""), set(s, "deferred")
		})),
		urls.Path("notmodified/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.NotModified(), set(s, "304")
		})),
		urls.Path("fail/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			return response.ServerError("boom"), set(s, "500")
		})),
		urls.Path("unavailable/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			resp := response.Text("later")
			resp.StatusCode = 503
			return resp, set(s, "503")
		})),
		urls.Path("error/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if err := set(s, "error"); err != nil {
				return nil, err
			}
			return nil, errors.New("the view failed")
		})),
		urls.Path("big/<str:n>/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			var n int
			fmt.Sscan(kw(r, "n"), &n)
			// Random bytes in base64: compression cannot hide the size.
			raw := make([]byte, n)
			rand.NewChaCha8([32]byte{1}).Read(raw)
			return response.Text("ok"), s.Set("big", base64.RawURLEncoding.EncodeToString(raw)[:n])
		})),
		urls.Path("hook/", sessView(func(r *manouche.Request, s *middleware.Session) (*manouche.Response, error) {
			if _, _, err := s.Get("kind"); err != nil {
				return nil, err
			}
			if site.hook != nil {
				site.hook(r)
			}
			return response.Text("ok"), set(s, "hooked")
		})),
	}
}

// newSessSite builds the handler: outer layers, then Sessions(store),
// then inner layers.
func newSessSite(t testing.TB, store middleware.SessionStore, settings manouche.Settings, outer, inner []middleware.Factory) *sessSite {
	t.Helper()
	site := &sessSite{t: t, logs: &testkit.LogBuffer{}}
	conf, err := urls.New(site.views())
	if err != nil {
		t.Fatal(err)
	}
	if settings.AllowedHosts == nil {
		settings.AllowedHosts = []string{"*"}
	}
	if settings.SecretKey == "" {
		settings.SecretKey = sessTestSecret
	}
	mw := append(append(slices.Clone(outer), middleware.Sessions(store)), inner...)
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Middleware: mw, Logger: site.logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	site.srv = httptest.NewServer(h)
	t.Cleanup(site.srv.Close)
	site.jar, _ = cookiejar.New(nil)
	site.client = &http.Client{Jar: site.jar, Timeout: 10 * time.Second}
	return site
}

// sessResult is one response, its body read.
type sessResult struct {
	status int
	body   string
	header http.Header
	resp   *http.Response
}

// cookie returns the Set-Cookie of name, or nil.
func (r *sessResult) cookie(name string) *http.Cookie {
	for _, c := range r.resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r *sessResult) setCookieLine(name string) string {
	for _, line := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

// do sends a request through the client with the jar.
func (site *sessSite) do(method, path string) *sessResult {
	site.t.Helper()
	req, err := http.NewRequest(method, site.srv.URL+path, nil)
	if err != nil {
		site.t.Fatal(err)
	}
	return site.send(site.client, req)
}

func (site *sessSite) get(path string) *sessResult {
	site.t.Helper()
	return site.do("GET", path)
}

// getWithCookie sends a request with exactly the given Cookie header,
// without the jar.
func (site *sessSite) getWithCookie(path, cookie string) *sessResult {
	site.t.Helper()
	req, err := http.NewRequest("GET", site.srv.URL+path, nil)
	if err != nil {
		site.t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	return site.send(&http.Client{Timeout: 10 * time.Second}, req)
}

func (site *sessSite) send(c *http.Client, req *http.Request) *sessResult {
	site.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		site.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		site.t.Fatal(err)
	}
	return &sessResult{status: resp.StatusCode, body: string(b), header: resp.Header, resp: resp}
}

// jarCookie returns the session cookie the jar holds, or "".
func (site *sessSite) jarCookie() string {
	u, _ := url.Parse(site.srv.URL)
	for _, c := range site.jar.Cookies(u) {
		if c.Name == "sessionid" {
			return c.Value
		}
	}
	return ""
}

func (site *sessSite) want(res *sessResult, status int, body string) {
	site.t.Helper()
	if res.status != status || (body != "*" && res.body != body) {
		site.t.Fatalf("got %d %q, want %d %q\nlogs: %s", res.status, res.body, status, body, site.logs.String())
	}
}

func TestSessionSetThenGet(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)

			res := site.get("/set/color/blue/")
			site.want(res, 200, "ok")
			c := res.cookie("sessionid")
			if c == nil {
				t.Fatalf("no session cookie: %v", res.header)
			}
			line := res.setCookieLine("sessionid")
			for _, attr := range []string{"Path=/", "Max-Age=1209600", "HttpOnly", "SameSite=Lax", "Expires="} {
				if !strings.Contains(line, attr) {
					t.Errorf("Set-Cookie %q lacks %s", line, attr)
				}
			}
			if strings.Contains(line, "Secure") || strings.Contains(line, "Domain") {
				t.Errorf("Set-Cookie %q has Secure or Domain without the settings", line)
			}
			if got := res.header.Values("Vary"); !slices.Equal(got, []string{"Cookie"}) {
				t.Errorf("Vary = %q, want Cookie", got)
			}
			if mem != nil {
				if !middleware.ValidSessionKey(c.Value) || len(c.Value) != 32 {
					t.Errorf("session key %q is not 32 chars of [a-z0-9]", c.Value)
				}
				if got := mem.keys(); !slices.Equal(got, []string{c.Value}) {
					t.Errorf("stored keys %q, want the cookie's", got)
				}
				if got := mem.calls(); got != "loads=0 saves=1 deletes=0" {
					t.Errorf("a new session: %s (no load for a session without a key)", got)
				}
			}

			site.want(site.get("/get/color/"), 200, "blue")
			site.want(site.get("/set/size/xl/"), 200, "ok")
			site.want(site.get("/keys/"), 200, "color,size")
		})
	}
}

func TestSessionUntouchedCostsNothing(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			site.want(site.get("/set/a/1/"), 200, "ok")
			if mem != nil {
				mem.loads.Store(0)
				mem.saves.Store(0)
			}
			for _, path := range []string{"/none/", "/key/"} {
				res := site.get(path)
				site.want(res, 200, "*")
				if v := res.header.Values("Vary"); len(v) != 0 {
					t.Errorf("%s: Vary %q on a request that did not use the session", path, v)
				}
				if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("%s: Set-Cookie %q on a request that did not use the session", path, sc)
				}
			}
			if mem != nil {
				if got := mem.calls(); got != "loads=0 saves=0 deletes=0" {
					t.Errorf("requests that never read the session called the store: %s", got)
				}
			}
			// Reading only: loaded, not saved, Vary: Cookie, no cookie.
			res := site.get("/get/a/")
			site.want(res, 200, "1")
			if v := res.header.Values("Vary"); !slices.Equal(v, []string{"Cookie"}) {
				t.Errorf("Vary = %q after a read, want Cookie", v)
			}
			if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("Set-Cookie %q after a read only", sc)
			}
			if mem != nil {
				if got := mem.calls(); got != "loads=1 saves=0 deletes=0" {
					t.Errorf("a read: %s, want one load and no save", got)
				}
			}
		})
	}
}

func TestSessionFlush(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{Session: manouche.SessionSettings{CookieDomain: "127.0.0.1", CookiePath: "/"}}, nil, nil)
			site.want(site.get("/set/user/ada/"), 200, "ok")
			if site.jarCookie() == "" {
				t.Fatal("no session cookie in the jar")
			}
			res := site.get("/flush/")
			site.want(res, 200, `"" true`)
			line := res.setCookieLine("sessionid")
			for _, attr := range []string{"sessionid=;", "Max-Age=0", "Path=/", "Domain=127.0.0.1", "SameSite=Lax", "Expires=Thu, 01 Jan 1970"} {
				if !strings.Contains(line, attr) {
					t.Errorf("deleting Set-Cookie %q lacks %s", line, attr)
				}
			}
			if v := res.header.Values("Vary"); !slices.Equal(v, []string{"Cookie"}) {
				t.Errorf("Vary = %q, want Cookie", v)
			}
			if site.jarCookie() != "" {
				t.Fatalf("the jar still holds the session cookie %q", site.jarCookie())
			}
			if mem != nil && len(mem.keys()) != 0 {
				t.Fatalf("the stored session survived Flush: %q", mem.keys())
			}
			site.want(site.get("/get/user/"), 200, "-")

			// Flush, then set: a new session under a new key.
			site.want(site.get("/set/user/ada/"), 200, "ok")
			old := site.jarCookie()
			site.want(site.get("/flush/"), 200, `"" true`)
			site.want(site.get("/set/user/grace/"), 200, "ok")
			if k := site.jarCookie(); k == "" || k == old {
				t.Fatalf("after flush and set: key %q (old %q)", k, old)
			}
			site.want(site.get("/get/user/"), 200, "grace")

			// Flush without a cookie: no Set-Cookie at all.
			res = site.getWithCookie("/flush/", "")
			if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("flush without a session cookie sent %q", sc)
			}
		})
	}
}

func TestSessionCycleKey(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			site.want(site.get("/set/cart/3/"), 200, "ok")
			old := site.jarCookie()
			// The signed cookie's "key" is the data and the time, to the
			// second: a second later it changes.
			clock.Advance(time.Second)
			res := site.get("/cycle/")
			site.want(res, 200, "*")
			c := res.cookie("sessionid")
			if c == nil || c.Value == old {
				t.Fatalf("CycleKey: cookie %v, old %q", c, old)
			}
			if mem != nil {
				if res.body != c.Value {
					t.Errorf("Key() after CycleKey = %q, the cookie says %q", res.body, c.Value)
				}
				if got := mem.keys(); !slices.Equal(got, []string{c.Value}) {
					t.Errorf("stored keys %q, want only the new one", got)
				}
				// The old key loads nothing any more: a fresh session.
				res := site.getWithCookie("/get/cart/", "sessionid="+old)
				site.want(res, 200, "-")
				if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=0") {
					t.Errorf("the dead key's cookie is not deleted: %q", line)
				}
			}
			site.want(site.get("/get/cart/"), 200, "3")

			// CycleKey on a session that has no key yet: it gets one.
			res = site.getWithCookie("/cycle/", "")
			if c := res.cookie("sessionid"); c == nil || c.Value == "" {
				t.Fatalf("CycleKey of a new session set no cookie: %v", res.header)
			}
		})
	}
}

func TestSessionCreateRetriesTakenKeys(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	site := newSessSite(t, mem, manouche.Settings{}, nil, nil)
	mem.collide.Store(3)
	site.want(site.get("/set/a/1/"), 200, "ok")
	if got := mem.saves.Load(); got != 4 {
		t.Fatalf("%d saves, want 3 refused creates and one that worked", got)
	}
	site.want(site.get("/get/a/"), 200, "1")

	// A store that always finds the key taken: an error, not a loop.
	mem.collide.Store(1 << 30)
	res := site.getWithCookie("/set/a/1/", "")
	site.want(res, 500, "*")
	if !strings.Contains(site.logs.String(), "new random keys taken in a row") {
		t.Errorf("the log does not explain the failure: %s", site.logs.String())
	}
}

func TestSessionExpiry(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, _ := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{Session: manouche.SessionSettings{CookieAge: time.Hour}}, nil, nil)

			// The settings' age.
			res := site.get("/set/a/1/")
			if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=3600") {
				t.Fatalf("Set-Cookie %q, want Max-Age=3600", line)
			}
			cookie := "sessionid=" + site.jarCookie()
			clock.Advance(59 * time.Minute)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "1")
			clock.Advance(2 * time.Minute)
			res = site.getWithCookie("/get/a/", cookie)
			site.want(res, 200, "-")
			if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=0") {
				t.Errorf("an expired session's cookie is not deleted: %q", line)
			}

			// A custom expiry, shorter than the settings'.
			site.jar, _ = cookiejar.New(nil)
			site.client.Jar = site.jar
			site.want(site.get("/set/a/2/"), 200, "ok")
			res = site.get("/expiry/90s/")
			site.want(res, 200, "1m30s")
			if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=90") {
				t.Fatalf("Set-Cookie %q, want Max-Age=90", line)
			}
			cookie = "sessionid=" + site.jarCookie()
			site.want(site.getWithCookie("/get/_session_expiry/", cookie), 200, "-") // a number, not a string
			clock.Advance(80 * time.Second)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "2")
			clock.Advance(20 * time.Second)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "-")

			// A custom expiry longer than the settings' (Django's
			// signed cookies ignore it, ticket #19201; here it holds).
			site.jar, _ = cookiejar.New(nil)
			site.client.Jar = site.jar
			site.want(site.get("/set/a/3/"), 200, "ok")
			site.want(site.get("/expiry/3h/"), 200, "3h0m0s")
			cookie = "sessionid=" + site.jarCookie()
			clock.Advance(2 * time.Hour)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "3")

			// SetExpiry(0): a browser-session cookie; the store keeps it
			// for the settings' age.
			res = site.get("/expiry/0s/")
			site.want(res, 200, "1h0m0s")
			if line := res.setCookieLine("sessionid"); line == "" || strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires") {
				t.Fatalf("Set-Cookie %q, want a browser-session cookie", line)
			}
			cookie = "sessionid=" + site.jarCookie()
			clock.Advance(30 * time.Minute)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "3")
			clock.Advance(31 * time.Minute)
			site.want(site.getWithCookie("/get/a/", cookie), 200, "-")

			// A negative expiry: expired at once, the cookie deleted.
			site.want(site.get("/set/a/4/"), 200, "ok")
			res = site.get("/expiry/-1s/")
			if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=0") {
				t.Fatalf("Set-Cookie %q, want an expired cookie", line)
			}

			// Sub-second expiries round up to a whole second, never to 0.
			site.jar, _ = cookiejar.New(nil)
			site.client.Jar = site.jar
			site.want(site.get("/set/a/5/"), 200, "ok")
			res = site.get("/expiry/10ms/")
			site.want(res, 200, "1s")
			if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=1") {
				t.Fatalf("Set-Cookie %q, want Max-Age=1", line)
			}
		})
	}
}

func TestSessionExpireAtBrowserClose(t *testing.T) {
	clock := newSessClock()
	site := newSessSite(t, newSessMem(clock.Now), manouche.Settings{Session: manouche.SessionSettings{ExpireAtBrowserClose: true}}, nil, nil)
	res := site.get("/set/a/1/")
	if line := res.setCookieLine("sessionid"); line == "" || strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires") {
		t.Fatalf("Set-Cookie %q, want a browser-session cookie", line)
	}
	// A custom expiry wins over the setting.
	res = site.get("/expiry/1m/")
	if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=60") {
		t.Fatalf("Set-Cookie %q, want Max-Age=60", line)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name     string
		settings manouche.SessionSettings
		want     []string
		notWant  []string
	}{
		{"defaults", manouche.SessionSettings{}, []string{"sessionid=", "Path=/", "HttpOnly", "SameSite=Lax"}, []string{"Secure", "Domain"}},
		{"all set", manouche.SessionSettings{CookieName: "sid", CookiePath: "/app", CookieDomain: "example.com", CookieSecure: true, CookieSameSite: http.SameSiteStrictMode},
			[]string{"sid=", "Path=/app", "Domain=example.com", "Secure", "HttpOnly", "SameSite=Strict"}, nil},
		{"scripts may read it", manouche.SessionSettings{DisableCookieHTTPOnly: true}, []string{"sessionid="}, []string{"HttpOnly"}},
		{"no SameSite", manouche.SessionSettings{CookieSameSite: http.SameSiteDefaultMode}, []string{"sessionid="}, []string{"SameSite"}},
		{"SameSite=None", manouche.SessionSettings{CookieSameSite: http.SameSiteNoneMode, CookieSecure: true}, []string{"SameSite=None", "Secure"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newSessClock()
			site := newSessSite(t, newSessMem(clock.Now), manouche.Settings{Session: tc.settings}, nil, nil)
			res := site.get("/set/a/1/")
			site.want(res, 200, "ok")
			lines := res.header.Values("Set-Cookie")
			if len(lines) != 1 {
				t.Fatalf("Set-Cookie %q", lines)
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("Set-Cookie %q lacks %s", lines[0], w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(lines[0], w) {
					t.Errorf("Set-Cookie %q has %s", lines[0], w)
				}
			}
		})
	}
}

func TestSessionEveryResponseKind(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, _ := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			tests := []struct {
				method, path string
				status       int
				body, kind   string
			}{
				{"GET", "/stream/", 200, "ab", "stream"},
				{"GET", "/file/", 200, "file body", "file"},
				{"GET", "/deferred/", 200, "rendered", "deferred"},
				{"HEAD", "/stream/", 200, "", "stream"},
				{"GET", "/notmodified/", 304, "", "304"},
			}
			for _, tc := range tests {
				res := site.do(tc.method, tc.path)
				site.want(res, tc.status, tc.body)
				if res.cookie("sessionid") == nil {
					t.Errorf("%s %s: no session cookie: %v", tc.method, tc.path, res.header)
				}
				if v := res.header.Values("Vary"); !slices.Equal(v, []string{"Cookie"}) {
					t.Errorf("%s %s: Vary = %q", tc.method, tc.path, v)
				}
				site.want(site.get("/get/kind/"), 200, tc.kind)
			}
		})
	}
}

func TestSessionNotSavedOnServerErrors(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			site.want(site.get("/set/kind/before/"), 200, "ok")
			if mem != nil {
				mem.saves.Store(0)
			}
			for _, tc := range []struct {
				path   string
				status int
			}{{"/fail/", 500}, {"/error/", 500}, {"/unavailable/", 503}} {
				res := site.get(tc.path)
				site.want(res, tc.status, "*")
				if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("%s: Set-Cookie %q on a %d", tc.path, sc, tc.status)
				}
				site.want(site.get("/get/kind/"), 200, "before")
			}
			if mem != nil && mem.saves.Load() != 0 {
				t.Errorf("%d saves on 5xx responses", mem.saves.Load())
			}
		})
	}
}

func TestSessionMalformedAndForgedCookies(t *testing.T) {
	forger := signing.TimestampSigner{Key: "not-the-secret", Salt: "manouche.middleware.session"}
	forged, err := forger.Dumps(map[string]any{"user": "admin"}, true)
	if err != nil {
		t.Fatal(err)
	}
	realSigner := signing.TimestampSigner{Key: sessTestSecret, Salt: "manouche.middleware.session", Now: newSessClock().Now}
	otherSalt, _ := signing.TimestampSigner{Key: sessTestSecret, Salt: "other"}.Dumps(map[string]any{"user": "admin"}, false)
	notObject, _ := realSigner.Dumps([]any{"user", "admin"}, false)
	cookies := []struct {
		name, value string
		malformed   bool // fails the key check: never reaches a server-side store
	}{
		{"empty", "", true},
		{"short", "abc", true},
		{"upper case", strings.Repeat("A", 32), true},
		{"too long", strings.Repeat("a", 41), true},
		{"path", "../../etc/passwd", true},
		{"sql", "x'%20OR%20'1'='1", true},
		{"quoted (unquoted as Django does)", `"aaaaaaaaaaaaaaaaaaaaaaaaaa"`, false},
		{"quoted, malformed inside", `"aaa"`, true},
		{"huge", strings.Repeat("a", 5000), true},
		{"well formed, unknown", strings.Repeat("a", 32), false},
		{"forged signature", forged, false},
		{"another salt", otherSalt, false},
		{"not an object", notObject, false},
	}
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			for _, c := range cookies {
				t.Run(c.name, func(t *testing.T) {
					if mem != nil {
						mem.loads.Store(0)
					}
					res := site.getWithCookie("/get/user/", "sessionid="+c.value)
					site.want(res, 200, "-")
					if mem != nil && c.malformed && mem.loads.Load() != 0 {
						t.Errorf("a malformed key reached the store")
					}
					if c.value != "" && !strings.Contains(res.setCookieLine("sessionid"), "Max-Age=0") {
						t.Errorf("the bad cookie is not deleted: %q", res.header.Values("Set-Cookie"))
					}
					// Setting something gives a new, valid session.
					res = site.getWithCookie("/set/user/guest/", "sessionid="+c.value)
					site.want(res, 200, "ok")
					nc := res.cookie("sessionid")
					if nc == nil || nc.Value == c.value || nc.Value == "" {
						t.Fatalf("no new session: %v", res.header.Values("Set-Cookie"))
					}
					site.want(site.getWithCookie("/get/user/", "sessionid="+nc.Value), 200, "guest")
				})
			}
			// An untouched request with a malformed cookie deletes it, as
			// Django does; a well-formed one is left alone.
			res := site.getWithCookie("/none/", "sessionid=bad")
			if !strings.Contains(res.setCookieLine("sessionid"), "Max-Age=0") {
				t.Errorf("an untouched malformed cookie is not deleted: %q", res.header.Values("Set-Cookie"))
			}
			res = site.getWithCookie("/none/", "sessionid="+strings.Repeat("b", 32))
			if sc := res.header.Values("Set-Cookie"); sc != nil {
				t.Errorf("an untouched well-formed cookie got %q", sc)
			}
		})
	}
}

func TestSessionTamperedCookie(t *testing.T) {
	clock := newSessClock()
	site := newSessSite(t, middleware.SignedCookiesWithClock(clock.Now), manouche.Settings{}, nil, nil)
	site.want(site.get("/set/role/user/"), 200, "ok")
	v := site.jarCookie()
	// The data is readable (signed, not encrypted) but not changeable.
	var data map[string]any
	if _, err := (signing.TimestampSigner{Key: "any", Salt: "x"}).LoadsTimestamp(v, &data); !errors.Is(err, signing.ErrBadSignature) {
		t.Fatalf("another key accepted the cookie: %v", err)
	}
	tampered := strings.Replace(v, v[:4], "eyJy", 1)
	if tampered == v {
		tampered = "x" + v[1:]
	}
	site.want(site.getWithCookie("/get/role/", "sessionid="+tampered), 200, "-")
	site.want(site.getWithCookie("/get/role/", "sessionid="+v), 200, "user")
}

func TestSessionJSONValues(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, _ := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			// In the request that set them, values are already as JSON
			// decodes them; a func is refused.
			site.want(site.get("/json/"), 200, "float64 map[string]interface {} true")
			site.want(site.get("/types/"), 200, `float64 map[string]interface {} "" false <nil>`)
		})
	}
}

func TestSessionDeleteClearKeys(t *testing.T) {
	for _, sc := range sessStores {
		t.Run(sc.name, func(t *testing.T) {
			clock := newSessClock()
			store, mem := sc.make(clock.Now)
			site := newSessSite(t, store, manouche.Settings{}, nil, nil)
			site.want(site.get("/set/a/1/"), 200, "ok")
			site.want(site.get("/set/b/2/"), 200, "ok")
			key := site.jarCookie()
			site.want(site.get("/del/a/"), 200, "ok")
			site.want(site.get("/keys/"), 200, "b")
			// Deleting what is not there changes nothing: no save.
			res := site.get("/del/zzz/")
			if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("deleting a missing key saved: %q", sc)
			}
			// Clear keeps the key, empties the data; the session is then
			// not empty (it has a key), so it is saved, empty.
			res = site.get("/clear/")
			site.want(res, 200, "false")
			if c := res.cookie("sessionid"); mem != nil && (c == nil || c.Value != key) {
				t.Errorf("Clear changed the key: %v, was %q", c, key)
			}
			site.want(site.get("/keys/"), 200, "")
		})
	}
}

func TestSessionSaveEveryRequest(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	site := newSessSite(t, mem, manouche.Settings{Session: manouche.SessionSettings{SaveEveryRequest: true, CookieAge: time.Hour}}, nil, nil)
	// No session cookie: nothing to save.
	res := site.get("/none/")
	if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("an empty session was saved: %q", sc)
	}
	site.want(site.get("/set/a/1/"), 200, "ok")
	key := site.jarCookie()
	clock.Advance(50 * time.Minute)
	// An untouched request renews the session and its cookie, without
	// varying on Cookie (the view did not read it).
	res = site.get("/none/")
	if c := res.cookie("sessionid"); c == nil || c.Value != key || c.MaxAge != 3600 {
		t.Fatalf("the session was not renewed: %v", res.header.Values("Set-Cookie"))
	}
	if v := res.header.Values("Vary"); len(v) != 0 {
		t.Errorf("Vary %q without a read by the view", v)
	}
	clock.Advance(50 * time.Minute)
	site.want(site.get("/get/a/"), 200, "1")
	// A cookie whose session is gone: deleted, not saved again.
	mem.mu.Lock()
	clear(mem.rows)
	mem.mu.Unlock()
	res = site.get("/none/")
	if line := res.setCookieLine("sessionid"); !strings.Contains(line, "Max-Age=0") {
		t.Fatalf("the dead session's cookie was not deleted: %q", line)
	}
	if len(mem.keys()) != 0 {
		t.Fatalf("an empty session was stored: %q", mem.keys())
	}
}

func TestSessionInterrupted(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	site := newSessSite(t, mem, manouche.Settings{}, nil, nil)
	site.want(site.get("/set/kind/x/"), 200, "ok")
	key := site.jarCookie()
	// A concurrent logout deletes the session while this request runs.
	site.hook = func(r *manouche.Request) {
		if err := mem.Delete(r.Context(), key); err != nil {
			t.Error(err)
		}
	}
	res := site.get("/hook/")
	site.want(res, 400, "*")
	if !strings.Contains(site.logs.String(), "The request's session was deleted before the request completed.") {
		t.Errorf("the log lacks Django's message: %s", site.logs.String())
	}
	if len(mem.keys()) != 0 {
		t.Errorf("the deleted session was written back: %q", mem.keys())
	}
}

func TestSessionStoreErrors(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	site := newSessSite(t, mem, manouche.Settings{}, nil, nil)
	site.want(site.get("/set/a/1/"), 200, "ok")
	mem.failLoad.Store(true)
	site.want(site.get("/get/a/"), 500, "*")
	if !strings.Contains(site.logs.String(), "session: loading: sessMem: the store is down") {
		t.Errorf("the log does not name the store error: %s", site.logs.String())
	}
	// A request that never reads the session is unaffected.
	site.want(site.get("/none/"), 200, "none")
	mem.failLoad.Store(false)
	site.want(site.get("/get/a/"), 200, "1")
}

func TestSessionCookieTooBig(t *testing.T) {
	clock := newSessClock()
	site := newSessSite(t, middleware.SignedCookiesWithClock(clock.Now), manouche.Settings{}, nil, nil)
	site.want(site.get("/big/2000/"), 200, "ok")
	if n := len(site.jarCookie()); n < 1800 || n > 4096 {
		t.Fatalf("cookie of %d bytes", n)
	}
	res := site.get("/big/4100/")
	site.want(res, 500, "*")
	if sc := res.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("Set-Cookie on the failed save: %q", sc)
	}
	if !strings.Contains(site.logs.String(), "over the 4096 bytes browsers keep") {
		t.Errorf("the log does not explain: %s", site.logs.String())
	}
	// The session as it was is intact.
	site.want(site.get("/get/kind/"), 200, "-")
	if n := len(site.jarCookie()); n < 1800 {
		t.Errorf("the good cookie was lost")
	}
}

func TestSessionConfigure(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return response.Text("x"), nil })})
	if err != nil {
		t.Fatal(err)
	}
	build := func(s manouche.Settings, mw ...middleware.Factory) error {
		_, err := handler.New(handler.Config{Settings: s, URLConf: conf, Middleware: mw, Logger: slog.New(slog.DiscardHandler)})
		return err
	}
	tests := []struct {
		name     string
		settings manouche.Settings
		store    middleware.SessionStore
		want     string
	}{
		{"signed cookies without a secret key", manouche.Settings{}, middleware.SignedCookies(), "The SECRET_KEY setting must not be empty"},
		{"nil store", manouche.Settings{}, nil, "the session store is nil"},
		{"negative age", manouche.Settings{SecretKey: "k", Session: manouche.SessionSettings{CookieAge: -time.Second}}, middleware.SignedCookies(), "CookieAge is negative"},
		{"server store without a secret key", manouche.Settings{}, newSessMem(time.Now), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := build(tc.settings, middleware.Sessions(tc.store))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("handler.New: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	// One signed-cookie store for two handlers with different keys.
	shared := middleware.SignedCookies()
	if err := build(manouche.Settings{SecretKey: "one"}, middleware.Sessions(shared)); err != nil {
		t.Fatal(err)
	}
	if err := build(manouche.Settings{SecretKey: "one"}, middleware.Sessions(shared)); err != nil {
		t.Fatalf("the same settings again: %v", err)
	}
	if err := build(manouche.Settings{SecretKey: "two"}, middleware.Sessions(shared)); err == nil || !strings.Contains(err.Error(), "once per handler") {
		t.Fatalf("a second handler's key: %v", err)
	}
}

func TestSessionFromWithoutMiddleware(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
		s := middleware.SessionFrom(r)
		_, _, err := s.Get("a")
		return response.Text(fmt.Sprintf("%v %v %v %q", s == nil, err != nil, s.IsEmpty(), s.Key())), nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: manouche.Settings{AllowedHosts: []string{"*"}}, URLConf: conf, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Body.String(); got != `true true true ""` {
		t.Fatalf("without the middleware: %s", got)
	}
	if middleware.SessionFrom(nil) != nil {
		t.Fatal("SessionFrom(nil) is not nil")
	}
}

// sessOuter is a layer listed before Sessions: its response phase runs
// after the session's.
func sessOuter(f func(r *manouche.Request, resp *manouche.Response) error) middleware.Factory {
	return func(next middleware.Handler) (middleware.Middleware, error) {
		return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
			resp := next(r)
			if err := f(r, resp); err != nil {
				return nil, err
			}
			return resp, nil
		}), nil
	}
}

func TestSessionChangedAfterResponsePhase(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	var got []string
	var mu sync.Mutex
	outer := sessOuter(func(r *manouche.Request, resp *manouche.Response) error {
		s := middleware.SessionFrom(r)
		var err error
		if s != nil {
			err = s.Set("late", "x")
		}
		mu.Lock()
		got = append(got, fmt.Sprintf("%s nil=%v err=%v", r.Path, s == nil, err))
		mu.Unlock()
		return nil
	})
	site := newSessSite(t, mem, manouche.Settings{}, []middleware.Factory{outer}, nil)
	site.want(site.get("/none/"), 200, "none")
	site.want(site.get("/set/a/1/"), 200, "ok")
	site.want(site.get("/get/late/"), 200, "-")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0] != "/none/ nil=true err=<nil>" ||
		!strings.Contains(got[1], "/set/a/1/ nil=false err=session: the session was changed after the session middleware's response phase") {
		t.Fatalf("late changes: %q", got)
	}
}

func TestClearExpiredSessions(t *testing.T) {
	clock := newSessClock()
	mem := newSessMem(clock.Now)
	site := newSessSite(t, mem, manouche.Settings{Session: manouche.SessionSettings{CookieAge: time.Hour}}, nil, nil)
	site.want(site.get("/set/a/1/"), 200, "ok")
	clock.Advance(30 * time.Minute)
	site.want(site.getWithCookie("/set/a/2/", ""), 200, "ok")
	clock.Advance(31 * time.Minute)
	if err := middleware.ClearExpiredSessions(context.Background(), mem); err != nil {
		t.Fatal(err)
	}
	if n := len(mem.keys()); n != 1 {
		t.Fatalf("%d sessions left, want the one not expired", n)
	}
	if err := middleware.ClearExpiredSessions(context.Background(), middleware.SignedCookies()); err != nil {
		t.Fatalf("signed cookies: %v", err)
	}
	type plainStore struct{ middleware.SessionStore }
	err := middleware.ClearExpiredSessions(context.Background(), plainStore{mem})
	if err == nil || !strings.Contains(err.Error(), "doesn't support clearing expired sessions") {
		t.Fatalf("a store that cannot clear: %v", err)
	}
}

func TestSessionKeys(t *testing.T) {
	seen := map[string]bool{}
	var counts [256]int
	for range 2000 {
		k, err := middleware.NewSessionKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 32 || !middleware.ValidSessionKey(k) {
			t.Fatalf("key %q", k)
		}
		if seen[k] {
			t.Fatalf("key %q twice", k)
		}
		seen[k] = true
		for i := 0; i < len(k); i++ {
			counts[k[i]]++
		}
	}
	// 64000 characters over 36: about 1778 each; a biased draw (modulo
	// 256) would give some a quarter more.
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789" {
		if n := counts[c]; n < 1500 || n > 2060 {
			t.Errorf("%q drawn %d times of 64000", c, n)
		}
	}
	tests := []struct {
		key  string
		want bool
	}{
		{"abcdefgh", true},
		{strings.Repeat("z9", 20), true},
		{"abcdefg", false},
		{strings.Repeat("a", 41), false},
		{"abcdefgH", false},
		{"abcdefg-", false},
		{"abcdefg\x00", false},
		{"ábcdefgh", false},
	}
	for _, tc := range tests {
		if got := middleware.ValidSessionKey(tc.key); got != tc.want {
			t.Errorf("ValidSessionKey(%q) = %v", tc.key, got)
		}
	}
}

// TestSessionNoAllocations: a request that never uses its session costs
// the session layer no store call and next to no allocation.
func TestSessionNoAllocations(t *testing.T) {
	conf, err := urls.New([]urls.Pattern{urls.Path("p/", func(*manouche.Request) (*manouche.Response, error) {
		return manouche.NewResponse(200, nil, "text/plain"), nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	mem := newSessMem(time.Now)
	allocs := func(mw []middleware.Factory, cookie string) float64 {
		h, err := handler.New(handler.Config{Settings: manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "k"}, URLConf: conf, Middleware: mw, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/p/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			w.Body.Reset()
			h.ServeHTTP(w, req)
		})
	}
	for _, tc := range []struct {
		name   string
		store  middleware.SessionStore
		cookie string
		extra  float64
	}{
		{"server, no cookie", mem, "", 0},
		{"server, cookie", mem, "sessionid=" + strings.Repeat("a", 32), 3}, // Request.Cookies: the map and its entry
		{"signed cookie, cookie", middleware.SignedCookies(), "sessionid=" + strings.Repeat("a", 100), 3},
	} {
		without := allocs(nil, tc.cookie)
		with := allocs([]middleware.Factory{middleware.Sessions(tc.store)}, tc.cookie)
		t.Logf("%s: %v allocations with Sessions, %v without", tc.name, with, without)
		if with > without+tc.extra {
			t.Errorf("%s: %v allocations with Sessions, %v without", tc.name, with, without)
		}
	}
	if got := mem.calls(); got != "loads=0 saves=0 deletes=0" {
		t.Errorf("untouched sessions called the store: %s", got)
	}
}

// TestSessionCustomExpiryFromData: an app may write "_session_expiry"
// itself; numbers are seconds, anything else (or out of range) is the
// settings' age.
func TestSessionCustomExpiryFromData(t *testing.T) {
	for _, tc := range []struct {
		value, maxAge string
	}{
		{"30", "Max-Age=30"},
		{"1e300", "Max-Age=3600"},
		{"soon", "Max-Age=3600"},
	} {
		clock := newSessClock()
		site := newSessSite(t, newSessMem(clock.Now), manouche.Settings{Session: manouche.SessionSettings{CookieAge: time.Hour}}, nil, nil)
		var res *sessResult
		if n, err := strconv.ParseFloat(tc.value, 64); err == nil {
			site.hook = func(r *manouche.Request) {
				if err := middleware.SessionFrom(r).Set("_session_expiry", n); err != nil {
					t.Error(err)
				}
			}
			res = site.get("/hook/")
		} else {
			res = site.get("/set/_session_expiry/" + tc.value + "/")
		}
		if line := res.setCookieLine("sessionid"); !strings.Contains(line, tc.maxAge) {
			t.Errorf("_session_expiry %s: Set-Cookie %q, want %s", tc.value, line, tc.maxAge)
		}
	}
}
