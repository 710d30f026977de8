package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// atomicProbe is a middleware that records, in process_view and
// process_exception, whether the request's connection is inside an atomic
// block and which rows a witness connection sees.
type atomicProbe struct {
	m       *Manager
	witness *sql.DB
	mu      sync.Mutex
	events  []string
}

func (p *atomicProbe) add(format string, args ...any) {
	p.mu.Lock()
	p.events = append(p.events, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *atomicProbe) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.events
	p.events = nil
	return e
}

func (p *atomicProbe) inAtomic(r *manouche.Request) bool {
	c, err := p.m.Conn(r.Context(), DefaultAlias)
	return err == nil && c.InAtomicBlock()
}

func (p *atomicProbe) ProcessView(r *manouche.Request, _ manouche.View, _ []any, _ map[string]any) (*manouche.Response, error) {
	p.add("view atomic=%v", p.inAtomic(r))
	return nil, nil
}

func (p *atomicProbe) ProcessException(r *manouche.Request, _ error) (*manouche.Response, error) {
	p.add("exception atomic=%v rows=%v", p.inAtomic(r), witnessRows(p.witness))
	return nil, nil
}

// witnessRows returns the ids in t that another session sees.
func witnessRows(w *sql.DB) []int {
	rows, err := w.Query("SELECT id FROM t ORDER BY id")
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// SEMANTICS 83, 84, 86, 51 end to end: ATOMIC_REQUESTS over real HTTP on
// PostgreSQL, a second session as witness.
func TestAtomicRequests_83(t *testing.T) {
	d := database(t, "postgres")
	d.AtomicRequests = true
	d.ConnMaxAge = Forever
	m, err := NewManager(Databases{DefaultAlias: d, "other": database(t, "memory")}, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	w, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	probe := &atomicProbe{m: m, witness: w}

	insert := func(r *manouche.Request) error {
		c, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return err
		}
		id, _ := manouche.Kwarg[int](r, "id")
		_, err = c.ExecContext(r.Context(), "INSERT INTO t (id) VALUES ($1)", id)
		return err
	}
	inAtomic := func(r *manouche.Request) string {
		c, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(c.InAtomicBlock())
	}
	var hookSaw []int
	views := map[string]manouche.View{
		"ok": func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text(inAtomic(r)), insert(r)
		},
		"fail": func(r *manouche.Request) (*manouche.Response, error) {
			if err := insert(r); err != nil {
				return nil, err
			}
			return nil, errors.New("the view failed")
		},
		"panic": func(r *manouche.Request) (*manouche.Response, error) {
			if err := insert(r); err != nil {
				return nil, err
			}
			panic("the view panicked")
		},
		"swallow": func(r *manouche.Request) (*manouche.Response, error) {
			if err := insert(r); err != nil {
				return nil, err
			}
			c, _ := m.Conn(r.Context(), DefaultAlias)
			_, err := c.ExecContext(r.Context(), "INSERT INTO t (id) VALUES (1)") // duplicate
			return response.Text(fmt.Sprintf("swallowed %v", err != nil)), nil
		},
		"nonatomic": func(r *manouche.Request) (*manouche.Response, error) {
			if a := inAtomic(r); a != "false" {
				return nil, fmt.Errorf("in atomic: %s", a)
			}
			if err := insert(r); err != nil {
				return nil, err
			}
			return nil, errors.New("fails after an autocommitted insert")
		},
		"wrongalias": func(r *manouche.Request) (*manouche.Response, error) {
			return response.Text(inAtomic(r)), nil
		},
		"stream": func(r *manouche.Request) (*manouche.Response, error) {
			in := inAtomic(r)
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				c, err := m.Conn(ctx, DefaultAlias)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "view %s, stream %v", in, c.InAtomicBlock())
				return err
			}), nil
		},
		"hook": func(r *manouche.Request) (*manouche.Response, error) {
			if err := insert(r); err != nil {
				return nil, err
			}
			err := m.OnCommit(r.Context(), DefaultAlias, func(context.Context) error {
				hookSaw = witnessRows(w)
				return nil
			})
			return response.Text("hooked"), err
		},
		"durable": func(r *manouche.Request) (*manouche.Response, error) {
			err := m.Atomic(r.Context(), DefaultAlias, func(context.Context) error { return nil }, Durable())
			return response.Text("durable"), err
		},
	}
	var patterns []urls.Pattern
	for name, v := range views {
		var opts []urls.Option
		switch name {
		case "nonatomic":
			opts = append(opts, urls.Attr(NonAtomic()))
		case "wrongalias":
			opts = append(opts, urls.Attr(NonAtomic("other", "nowhere")))
		}
		patterns = append(patterns, urls.Path(name+"/<int:id>/", v, opts...))
	}
	conf, err := urls.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		URLConf:      conf,
		Settings:     manouche.Settings{AllowedHosts: []string{"*"}},
		Logger:       slog.New(slog.DiscardHandler),
		Middleware:   []middleware.Factory{middleware.Hooks(probe)},
		ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{m.MakeViewAtomic},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Install(h.Signals())()
	srv := httptest.NewServer(h)
	defer srv.Close()

	fetch := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, tc := range []struct {
		path   string
		status int
		body   string
		rows   []int    // what the witness sees as soon as the response arrives
		events []string // from the probe
	}{
		{"/ok/1/", 200, "true", []int{1}, []string{"view atomic=false"}},
		{"/fail/2/", 500, "", []int{1}, []string{"view atomic=false", "exception atomic=false rows=[1]"}},
		{"/panic/3/", 500, "", []int{1}, []string{"view atomic=false", "exception atomic=false rows=[1]"}},
		{"/swallow/4/", 200, "swallowed true", []int{1}, []string{"view atomic=false"}},
		{"/nonatomic/5/", 500, "", []int{1, 5}, []string{"view atomic=false", "exception atomic=false rows=[1 5]"}},
		{"/wrongalias/6/", 200, "true", []int{1, 5}, []string{"view atomic=false"}},
		{"/stream/7/", 200, "view true, stream false", []int{1, 5}, []string{"view atomic=false"}},
		{"/hook/8/", 200, "hooked", []int{1, 5, 8}, []string{"view atomic=false"}},
		{"/durable/9/", 500, "", []int{1, 5, 8}, []string{"view atomic=false", "exception atomic=false rows=[1 5 8]"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, body := fetch(tc.path)
			if status != tc.status || (tc.body != "" && body != tc.body) {
				t.Errorf("%d %q, want %d %q", status, body, tc.status, tc.body)
			}
			// The commit happened before the first byte was written.
			if rows := witnessRows(w); !slices.Equal(rows, tc.rows) {
				t.Errorf("the witness sees %v, want %v", rows, tc.rows)
			}
			settle(t, m)
			if ev := probe.take(); !slices.Equal(ev, tc.events) {
				t.Errorf("probe saw %q, want %q", ev, tc.events)
			}
		})
	}
	if !slices.Equal(hookSaw, []int{1, 5, 8}) {
		t.Errorf("the on-commit hook saw %v, want the committed row", hookSaw)
	}
	// Every request ended outside a transaction: the one connection was
	// kept throughout.
	if s := m.Stats(DefaultAlias); s.Opened != 1 || s.Closed != 0 || s.Kept != 1 {
		t.Errorf("Stats %+v: a request left its connection in a transaction", s)
	}
	var idleTx int
	if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'").Scan(&idleTx); err != nil || idleTx != 0 {
		t.Errorf("%d sessions idle in transaction (%v)", idleTx, err)
	}
}

// Without AtomicRequests, or on an opted-out route, MakeViewAtomic hands
// the view back untouched and opens no connection.
func TestMakeViewAtomicNoop(t *testing.T) {
	view := func(*manouche.Request) (*manouche.Response, error) { return response.Text("x"), nil }
	same := func(a, b manouche.View) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }

	m, err := NewManager(Databases{DefaultAlias: database(t, "sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := &manouche.Request{}
	if !same(m.MakeViewAtomic(r, view), view) {
		t.Error("no AtomicRequests: the view was wrapped")
	}

	d := database(t, "sqlite")
	d.AtomicRequests = true
	m2, err := NewManager(Databases{DefaultAlias: d})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	key, value := NonAtomic()
	r.ResolverMatch = &manouche.ResolverMatch{Attrs: map[any]any{key: value}}
	if !same(m2.MakeViewAtomic(r, view), view) {
		t.Error("NonAtomic(): the view was wrapped")
	}
	r.ResolverMatch = &manouche.ResolverMatch{}
	if same(m2.MakeViewAtomic(r, view), view) {
		t.Error("AtomicRequests: the view was not wrapped")
	}
	if s := m2.Stats(DefaultAlias); s != (Stats{}) {
		t.Errorf("wrapping connected: %+v", s)
	}
	if _, v := NonAtomic("a", "b"); !strings.Contains(fmt.Sprint(v), "a b") {
		t.Errorf("NonAtomic(a, b) = %v", v)
	}
}
