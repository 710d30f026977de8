package sessiondb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/sessiondb"
	"github.com/manouche/manouche/urls"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var engines = []string{"sqlite", "memory", "postgres"}

func database(t *testing.T, engine string) db.Database {
	t.Helper()
	switch engine {
	case "sqlite":
		return db.Database{Engine: db.SQLite, DSN: filepath.Join(t.TempDir(), "app.db")}
	case "memory":
		name := strings.NewReplacer("/", "_", " ", "_", "#", "_", ",", "_").Replace(t.Name())
		return db.Database{Engine: db.SQLite, DSN: "file:" + name + "?mode=memory&cache=shared"}
	case "postgres":
		return db.Database{Engine: db.Postgres, DSN: pgtest.URL(t)}
	}
	t.Fatalf("unknown engine %q", engine)
	return db.Database{}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a migrated database with a store on it.
type env struct {
	m     *db.Manager
	store *sessiondb.Store
	clock *clock
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	m, err := db.NewManager(db.Databases{db.DefaultAlias: database(t, engine)}, db.WithQueryLog(true), db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	// Half a microsecond past the second: the stored times must compare
	// as times, fractions included.
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 500, time.FixedZone("CET", 3600))}
	if err := sessiondb.Migrate(context.Background(), m, db.DefaultAlias); err != nil {
		t.Fatal(err)
	}
	return &env{m: m, store: sessiondb.New(m, db.DefaultAlias, sessiondb.WithClock(c.Now)), clock: c}
}

// count returns the number of rows in the table.
func (e *env) count(t *testing.T) int {
	t.Helper()
	ctx, finish := e.m.Background(context.Background())
	defer finish()
	c, err := e.m.Conn(ctx, db.DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.GetContext(ctx, &n, "SELECT count(*) FROM "+sessiondb.Table); err != nil {
		t.Fatal(err)
	}
	return n
}

const keyA, keyB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestMigrate(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			// Idempotent: again, with the table holding data, which stays.
			if _, err := e.store.Save(context.Background(), keyA, map[string]any{"a": "1"}, time.Hour, true); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := sessiondb.Migrate(context.Background(), e.m, db.DefaultAlias); err != nil {
					t.Fatalf("Migrate again: %v", err)
				}
			}
			if n := e.count(t); n != 1 {
				t.Fatalf("%d rows after migrating again", n)
			}
			// A key longer than 40 characters does not fit (PostgreSQL
			// enforces varchar(40); the store refuses it before anyway).
			if _, err := e.store.Save(context.Background(), strings.Repeat("a", 41), map[string]any{}, time.Hour, true); err == nil {
				t.Fatal("a 41-character key was saved")
			}
			if err := sessiondb.Migrate(context.Background(), e.m, "replica"); !errors.Is(err, db.ErrNoAlias) {
				t.Fatalf("Migrate of an unknown alias: %v", err)
			}
		})
	}
}

func TestStore(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background() // no scope: each call makes its own
			s := e.store
			steps := []struct {
				name string
				do   func() error
			}{
				{"load of a missing key", func() error {
					if _, ok, err := s.Load(ctx, keyA); ok || err != nil {
						return fmt.Errorf("ok=%v err=%v", ok, err)
					}
					return nil
				}},
				{"create", func() error {
					k, err := s.Save(ctx, keyA, map[string]any{"user": "ada", "n": 1, "list": []any{"x", true}}, time.Hour, true)
					if err != nil || k != keyA {
						return fmt.Errorf("%q, %v", k, err)
					}
					return nil
				}},
				{"load", func() error {
					data, ok, err := s.Load(ctx, keyA)
					if err != nil || !ok || data["user"] != "ada" || data["n"] != 1.0 || fmt.Sprint(data["list"]) != "[x true]" {
						return fmt.Errorf("%v, %v, %v", data, ok, err)
					}
					return nil
				}},
				{"create of a taken key never overwrites", func() error {
					_, err := s.Save(ctx, keyA, map[string]any{"user": "eve"}, time.Hour, true)
					if !errors.Is(err, middleware.ErrSessionKeyExists) {
						return fmt.Errorf("create over an existing key: %v", err)
					}
					data, _, _ := s.Load(ctx, keyA)
					if data["user"] != "ada" {
						return fmt.Errorf("overwritten: %v", data)
					}
					return nil
				}},
				{"update", func() error {
					if _, err := s.Save(ctx, keyA, map[string]any{"user": "grace"}, time.Hour, false); err != nil {
						return err
					}
					data, _, _ := s.Load(ctx, keyA)
					if data["user"] != "grace" || len(data) != 1 {
						return fmt.Errorf("after update: %v", data)
					}
					return nil
				}},
				{"update of a missing session is interrupted (400)", func() error {
					_, err := s.Save(ctx, keyB, map[string]any{"user": "x"}, time.Hour, false)
					if !errors.Is(err, middleware.ErrSessionInterrupted) || manouche.StatusFor(err) != 400 {
						return fmt.Errorf("%v (status %d)", err, manouche.StatusFor(err))
					}
					if _, ok, _ := s.Load(ctx, keyB); ok {
						return errors.New("the missing session was created")
					}
					return nil
				}},
				{"expiry", func() error {
					e.clock.Advance(time.Hour - time.Microsecond)
					if _, ok, err := s.Load(ctx, keyA); !ok || err != nil {
						return fmt.Errorf("a microsecond before expiry: %v %v", ok, err)
					}
					e.clock.Advance(time.Microsecond)
					if _, ok, err := s.Load(ctx, keyA); ok || err != nil {
						return fmt.Errorf("at expiry: %v %v", ok, err)
					}
					// Saving renews it.
					if _, err := s.Save(ctx, keyA, map[string]any{"user": "grace"}, time.Minute, false); err != nil {
						return err
					}
					if _, ok, _ := s.Load(ctx, keyA); !ok {
						return errors.New("not renewed")
					}
					return nil
				}},
				{"malformed keys never reach the database", func() error {
					for _, k := range []string{"", "short", "x' OR '1'='1", strings.Repeat("A", 32)} {
						if _, ok, err := s.Load(ctx, k); ok || err != nil {
							return fmt.Errorf("Load(%q): %v %v", k, ok, err)
						}
						if _, err := s.Save(ctx, k, nil, time.Hour, true); err == nil {
							return fmt.Errorf("Save(%q) succeeded", k)
						}
						if err := s.Delete(ctx, k); err != nil {
							return err
						}
					}
					return nil
				}},
				{"delete", func() error {
					if err := s.Delete(ctx, keyA); err != nil {
						return err
					}
					if err := s.Delete(ctx, keyA); err != nil {
						return fmt.Errorf("deleting again: %v", err)
					}
					if _, ok, _ := s.Load(ctx, keyA); ok {
						return errors.New("still there")
					}
					return nil
				}},
				{"corrupt data loads as an empty session", func() error {
					bctx, finish := e.m.Background(ctx)
					defer finish()
					c, err := e.m.Conn(bctx, db.DefaultAlias)
					if err != nil {
						return err
					}
					if _, err := c.ExecContext(bctx, "INSERT INTO "+sessiondb.Table+" VALUES ($1, $2, $3)", keyB, "not json", e.clock.Now().Add(time.Hour).UTC()); err != nil {
						return err
					}
					data, ok, err := s.Load(bctx, keyB)
					if !ok || err != nil || len(data) != 0 || data == nil {
						return fmt.Errorf("%v %v %v", data, ok, err)
					}
					return nil
				}},
			}
			for _, st := range steps {
				if err := st.do(); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
			}
		})
	}
}

func TestClearExpired(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			for i, age := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour, -time.Second} {
				key := strings.Repeat(string(rune('a'+i)), 32)
				if _, err := e.store.Save(ctx, key, map[string]any{"i": i}, age, true); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(90 * time.Minute)
			n, err := e.store.ClearExpired(ctx)
			if err != nil || n != 3 {
				t.Fatalf("ClearExpired = %d, %v; want 3 (the minute, the hour and the already expired)", n, err)
			}
			if got := e.count(t); got != 1 {
				t.Fatalf("%d rows left", got)
			}
			// Through the middleware's function, from a background job.
			e.clock.Advance(time.Hour)
			if err := middleware.ClearExpiredSessions(ctx, e.store); err != nil {
				t.Fatal(err)
			}
			if got := e.count(t); got != 0 {
				t.Fatalf("%d rows left", got)
			}
			// Inside a scope of the caller's own, it uses that scope's
			// connection.
			bctx, finish := e.m.Background(ctx)
			if _, err := e.store.ClearExpired(bctx); err != nil {
				t.Fatal(err)
			}
			qs, err := e.m.Queries(bctx, db.DefaultAlias)
			if err != nil || len(qs) != 1 || !strings.HasPrefix(qs[0].SQL, "DELETE") {
				t.Fatalf("the caller's scope ran %v, %v", qs, err)
			}
			if err := finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// site is a handler with the session middleware on the database store
// behind a real server; every response carries the statements its request
// ran in X-Queries.
type site struct {
	t      *testing.T
	e      *env
	srv    *httptest.Server
	client *http.Client
	logs   *testkit.LogBuffer
	hook   func(r *manouche.Request)
}

func newSite(t *testing.T, engine string) *site {
	t.Helper()
	s := &site{t: t, e: newEnv(t, engine), logs: &testkit.LogBuffer{}}
	kw := func(r *manouche.Request, name string) string { v, _ := manouche.Kwarg[string](r, name); return v }
	views := []urls.Pattern{
		urls.Path("none/", func(r *manouche.Request) (*manouche.Response, error) { return response.Text("none"), nil }),
		urls.Path("get/<str:k>/", func(r *manouche.Request) (*manouche.Response, error) {
			v, ok, err := middleware.SessionFrom(r).String(kw(r, "k"))
			if !ok {
				v = "-"
			}
			return response.Text(v), err
		}),
		urls.Path("set/<str:k>/<str:v>/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text("ok"), middleware.SessionFrom(r).Set(kw(r, "k"), kw(r, "v"))
		}),
		urls.Path("fail/<str:k>/<str:v>/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.ServerError("boom"), middleware.SessionFrom(r).Set(kw(r, "k"), kw(r, "v"))
		}),
		urls.Path("stream/<str:k>/<str:v>/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) { yield([]byte("streamed")) }), middleware.SessionFrom(r).Set(kw(r, "k"), kw(r, "v"))
		}),
		urls.Path("cycle/", func(r *manouche.Request) (*manouche.Response, error) {
			sess := middleware.SessionFrom(r)
			return response.Text("ok"), sess.CycleKey()
		}),
		urls.Path("flush/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text("ok"), middleware.SessionFrom(r).Flush()
		}),
		urls.Path("expiry/<str:d>/", func(r *manouche.Request) (*manouche.Response, error) {
			d, err := time.ParseDuration(kw(r, "d"))
			if err != nil {
				return nil, err
			}
			middleware.SessionFrom(r).SetExpiry(d)
			return response.Text("ok"), nil
		}),
		urls.Path("hook/", func(r *manouche.Request) (*manouche.Response, error) {
			sess := middleware.SessionFrom(r)
			if _, _, err := sess.Get("x"); err != nil {
				return nil, err
			}
			if s.hook != nil {
				s.hook(r)
			}
			return response.Text("ok"), sess.Set("x", "hooked")
		}),
	}
	conf, err := urls.New(views)
	if err != nil {
		t.Fatal(err)
	}
	queries := func(next middleware.Handler) (middleware.Middleware, error) {
		return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
			resp := next(r)
			qs, err := s.e.m.Queries(r.Context(), db.DefaultAlias)
			if err != nil {
				return nil, err
			}
			var verbs []string
			for _, q := range qs {
				verb, _, _ := strings.Cut(q.SQL, " ")
				verbs = append(verbs, verb)
			}
			resp.Header().Set("X-Queries", strings.Join(verbs, ","))
			return resp, nil
		}), nil
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, Session: manouche.SessionSettings{CookieAge: time.Hour}},
		URLConf:    conf,
		Middleware: []middleware.Factory{queries, middleware.Sessions(s.e.store)},
		Logger:     s.logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.e.m.Install(h.Signals())
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	return s
}

type result struct {
	status           int
	body, queries    string
	cookie, setCooki string
}

func (s *site) get(path, cookie string) result {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	c := s.client
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, body: string(b), queries: resp.Header.Get("X-Queries"), setCooki: strings.Join(resp.Header.Values("Set-Cookie"), "\n")}
	for _, ck := range resp.Cookies() {
		if ck.Name == "sessionid" {
			r.cookie = ck.Value
		}
	}
	return r
}

func (s *site) want(r result, status int, body, queries string) {
	s.t.Helper()
	if r.status != status || r.body != body || r.queries != queries {
		s.t.Fatalf("got %d %q queries %q, want %d %q queries %q\nlogs: %s", r.status, r.body, r.queries, status, body, queries, s.logs.String())
	}
}

func TestThroughHandler(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, engine)
			// A new session: one INSERT, no SELECT (there is no key to load).
			r := s.get("/set/user/ada/", "")
			s.want(r, 200, "ok", "INSERT")
			if !middleware.ValidSessionKey(r.cookie) || len(r.cookie) != 32 {
				t.Fatalf("cookie %q", r.cookie)
			}
			key := r.cookie
			s.client.Jar.SetCookies(mustURL(s.srv.URL), []*http.Cookie{{Name: "sessionid", Value: key}})
			// Untouched: no query at all, no connection.
			s.want(s.get("/none/", ""), 200, "none", "")
			// Read only: one SELECT, nothing saved.
			r = s.get("/get/user/", "")
			s.want(r, 200, "ada", "SELECT")
			if r.setCooki != "" {
				t.Fatalf("a read set %q", r.setCooki)
			}
			// Changed: SELECT then UPDATE, the same key.
			r = s.get("/set/lang/fr/", "")
			s.want(r, 200, "ok", "SELECT,UPDATE")
			if r.cookie != key {
				t.Fatalf("the key changed on update: %q", r.cookie)
			}
			// A 500 saves nothing.
			s.want(s.get("/fail/lang/de/", ""), 500, "boom", "SELECT")
			s.want(s.get("/get/lang/", ""), 200, "fr", "SELECT")
			// A streaming response is saved, and gets its cookie.
			r = s.get("/stream/lang/it/", "")
			s.want(r, 200, "streamed", "SELECT,UPDATE")
			if r.cookie != key {
				t.Fatalf("no cookie on the streaming response: %q", r.setCooki)
			}
			s.want(s.get("/get/lang/", ""), 200, "it", "SELECT")

			// Login: CycleKey. The old key loads nothing any more.
			r = s.get("/cycle/", "")
			s.want(r, 200, "ok", "SELECT,DELETE,INSERT")
			if r.cookie == "" || r.cookie == key {
				t.Fatalf("CycleKey: cookie %q, was %q", r.cookie, key)
			}
			newKey := r.cookie
			s.client.Jar.SetCookies(mustURL(s.srv.URL), []*http.Cookie{{Name: "sessionid", Value: newKey}})
			s.want(s.get("/get/user/", ""), 200, "ada", "SELECT")
			r = s.get("/get/user/", "sessionid="+key)
			s.want(r, 200, "-", "SELECT")
			if !strings.Contains(r.setCooki, "Max-Age=0") {
				t.Fatalf("the old key's cookie is not deleted: %q", r.setCooki)
			}
			// A malformed cookie: no query.
			s.want(s.get("/get/user/", "sessionid=x'%20OR%201=1"), 200, "-", "")

			// Expiry, by the store's clock.
			s.e.clock.Advance(59 * time.Minute)
			s.want(s.get("/get/user/", ""), 200, "ada", "SELECT")
			s.e.clock.Advance(2 * time.Minute)
			s.want(s.get("/get/user/", ""), 200, "-", "SELECT")
			if err := middleware.ClearExpiredSessions(context.Background(), s.e.store); err != nil {
				t.Fatal(err)
			}
			if n := s.e.count(t); n != 0 {
				t.Fatalf("%d rows after clearing", n)
			}

			// A custom expiry.
			r = s.get("/set/user/grace/", "")
			s.want(r, 200, "ok", "INSERT")
			s.client.Jar.SetCookies(mustURL(s.srv.URL), []*http.Cookie{{Name: "sessionid", Value: r.cookie}})
			s.want(s.get("/expiry/10s/", ""), 200, "ok", "SELECT,UPDATE")
			s.e.clock.Advance(9 * time.Second)
			s.want(s.get("/get/user/", ""), 200, "grace", "SELECT")
			s.e.clock.Advance(2 * time.Second)
			s.want(s.get("/get/user/", ""), 200, "-", "SELECT")

			// Logout: Flush deletes the row and the cookie.
			r = s.get("/set/user/linus/", "")
			s.client.Jar.SetCookies(mustURL(s.srv.URL), []*http.Cookie{{Name: "sessionid", Value: r.cookie}})
			r = s.get("/flush/", "")
			s.want(r, 200, "ok", "DELETE")
			if !strings.Contains(r.setCooki, "Max-Age=0") {
				t.Fatalf("Flush did not delete the cookie: %q", r.setCooki)
			}
			if n := s.e.count(t); n != 1 { // the expired grace session, not yet cleared
				t.Fatalf("%d rows after Flush", n)
			}
		})
	}
}

func TestInterruptedThroughHandler(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, engine)
			r := s.get("/set/x/1/", "")
			key := r.cookie
			// A concurrent logout, on its own connection.
			s.hook = func(*manouche.Request) {
				if err := s.e.store.Delete(context.Background(), key); err != nil {
					t.Error(err)
				}
			}
			r = s.get("/hook/", "sessionid="+key)
			s.want(r, 400, r.body, "SELECT,UPDATE")
			if !strings.Contains(s.logs.String(), "The request's session was deleted before the request completed.") {
				t.Fatalf("logs: %s", s.logs.String())
			}
			if n := s.e.count(t); n != 0 {
				t.Fatalf("the deleted session was written back (%d rows)", n)
			}
		})
	}
}

func TestConcurrentSessions(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, engine)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					jar, _ := cookiejar.New(nil)
					c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
					for j := range 5 {
						v := fmt.Sprintf("%d-%d", i, j)
						for _, p := range []string{"/set/v/" + v + "/", "/get/v/"} {
							resp, err := c.Get(s.srv.URL + p)
							if err != nil {
								errs <- err
								return
							}
							b, _ := io.ReadAll(resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 || (p == "/get/v/" && string(b) != v) {
								errs <- fmt.Errorf("%s: %d %q, want %q", p, resp.StatusCode, b, v)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := s.e.count(t); n != 8 {
				t.Errorf("%d sessions, want 8", n)
			}
		})
	}
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}
