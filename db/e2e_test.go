package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// serve runs a real handler, with m installed, over HTTP: /pid/ answers
// the request's pg_backend_pid, /nodb/ touches no database, /begin/ leaves
// a raw BEGIN open.
func serve(t *testing.T, m *Manager) *httptest.Server {
	t.Helper()
	pid := func(r *manouche.Request) (*manouche.Response, error) {
		c, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return nil, err
		}
		var a, b int
		if err := c.GetContext(r.Context(), &a, "SELECT pg_backend_pid()"); err != nil {
			return nil, err
		}
		c2, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return nil, err
		}
		if err := c2.GetContext(r.Context(), &b, "SELECT pg_backend_pid()"); err != nil {
			return nil, err
		}
		if a != b {
			return nil, fmt.Errorf("two backends in one request: %d, %d", a, b)
		}
		return response.Text(fmt.Sprint(a)), nil
	}
	begin := func(r *manouche.Request) (*manouche.Response, error) {
		c, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(r.Context(), "BEGIN"); err != nil {
			return nil, err
		}
		return response.Text("begun"), nil
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("pid/", pid),
		urls.Path("begin/", begin),
		urls.Path("nodb/", func(*manouche.Request) (*manouche.Response, error) { return response.Text("ok"), nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{AllowedHosts: []string{"*"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	uninstall := m.Install(h.Signals())
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); uninstall() })
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}

// settle waits until no connection is in use: request_finished runs after
// the response is written, so the client may see it first.
func settle(t *testing.T, m *Manager) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := m.Stats(DefaultAlias)
		if s.InUse == 0 || time.Now().After(deadline) {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SEMANTICS 74, 78, 87 end to end: real HTTP requests through a handler,
// PostgreSQL's pg_stat_activity as witness.
func TestEndToEnd_74_78_87(t *testing.T) {
	for _, tc := range []struct {
		name     string
		age      time.Duration
		samePID  bool
		sessions int // after the requests
	}{
		{"conn_max_age=0", 0, false, 0},
		{"conn_max_age=none", Forever, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := database(t, "postgres")
			d.ConnMaxAge = tc.age
			log := &logBuf{}
			m, err := NewManager(Databases{DefaultAlias: d}, WithLogger(slog.New(slog.NewTextHandler(log, nil))))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			srv := serve(t, m)
			w, err := sql.Open("postgres", d.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.SetMaxOpenConns(1)

			get(t, srv, "/nodb/")
			if s := settle(t, m); s != (Stats{}) {
				t.Errorf("a DB-less request: Stats %+v", s)
			}
			if n := sessions(t, w); n != 0 {
				t.Errorf("a DB-less request: %d sessions", n)
			}
			p1 := get(t, srv, "/pid/")
			settle(t, m)
			p2 := get(t, srv, "/pid/")
			settle(t, m)
			if (p1 == p2) != tc.samePID {
				t.Errorf("backends %s, %s: same = %v, want %v", p1, p2, p1 == p2, tc.samePID)
			}
			if n := waitSessions(t, w, tc.sessions); n != tc.sessions {
				t.Errorf("%d sessions after the requests, want %d", n, tc.sessions)
			}
			get(t, srv, "/begin/")
			s := settle(t, m)
			if s.Kept != 0 || s.InUse != 0 {
				t.Errorf("after a raw BEGIN: %+v", s)
			}
			if !strings.Contains(log.String(), "inside a transaction") {
				t.Errorf("no warning: %s", log.String())
			}
			// The server ends a closed session's backend asynchronously:
			// wait, with a bound, for it to go.
			var idleTx int
			for i := 0; i < 500; i++ {
				if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'").Scan(&idleTx); err != nil {
					t.Fatal(err)
				}
				if idleTx == 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if idleTx != 0 {
				t.Errorf("%d sessions idle in transaction", idleTx)
			}
		})
	}
}

// The transaction status is read from lib/pq without a round trip; this
// fails if a lib/pq upgrade renames the field (the probe fallback then
// takes over, at the cost of a query per connection and request).
func TestPQTxnStatusField(t *testing.T) {
	d := database(t, "postgres")
	m, err := NewManager(Databases{DefaultAlias: d})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, done := m.Background(context.Background())
	defer done()
	c, err := m.Conn(ctx, DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	err = c.pc.conn.Raw(func(dc any) error {
		f := reflect.ValueOf(dc).Elem().FieldByName("txnStatus")
		if !f.IsValid() || f.Kind() != reflect.Uint8 || byte(f.Uint()) != 'I' {
			t.Errorf("lib/pq %T has no usable txnStatus field", dc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The Manager's own reading, twice: the second through the field it
	// found the first time.
	for i := 0; i < 2; i++ {
		if st, known := m.pqStatus(c.pc); !known || st != 'I' {
			t.Fatalf("read %d: pqStatus = %q, %v; want 'I', true", i+1, st, known)
		}
	}
	if f := m.txnField.Load(); f == nil || f.index < 0 {
		t.Fatalf("txnField = %+v, want the index of txnStatus", f)
	}
}

// waitSessions waits (boundedly) for the session count to reach want: a
// backend leaves pg_stat_activity a moment after its client closes.
func waitSessions(t *testing.T, w *sql.DB, want int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := sessions(t, w)
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SEMANTICS 88 end to end: with the query log on, each request over HTTP
// sees only its own queries, on a connection kept across requests, and
// the log is readable from the request.
func TestQueryLogEndToEnd_88(t *testing.T) {
	d := database(t, "postgres")
	d.ConnMaxAge = Forever
	m, err := NewManager(Databases{DefaultAlias: d}, WithQueryLog(true), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	view := func(r *manouche.Request) (*manouche.Response, error) {
		c, err := m.Conn(r.Context(), DefaultAlias)
		if err != nil {
			return nil, err
		}
		var pid int
		if err := c.GetContext(r.Context(), &pid, "SELECT pg_backend_pid()"); err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(r.Context(), "SELECT $1::int", pid); err != nil {
			return nil, err
		}
		qs, err := m.Queries(r.Context(), DefaultAlias)
		if err != nil {
			return nil, err
		}
		var sqls []string
		for _, q := range qs {
			sqls = append(sqls, q.SQL)
		}
		return response.Text(fmt.Sprintf("%d %s", pid, strings.Join(sqls, "; "))), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("q/", view)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{AllowedHosts: []string{"*"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Install(h.Signals())()
	srv := httptest.NewServer(h)
	defer srv.Close()

	var pids []string
	for i := 0; i < 3; i++ {
		pid, log, _ := strings.Cut(get(t, srv, "/q/"), " ")
		if want := "SELECT pg_backend_pid(); SELECT $1::int"; log != want {
			t.Errorf("request %d logged %q, want %q", i, log, want)
		}
		pids = append(pids, pid)
		settle(t, m)
	}
	if pids[0] != pids[1] || pids[1] != pids[2] {
		t.Errorf("backends %v: the connection should be kept", pids)
	}
}

// A streaming response keeps its request's connection usable until the
// last chunk is written, and only then is the request finished; a stream
// that fails half way, or whose client hangs up, still finishes once and
// gives the connection back.
func TestStreamHoldsConnection(t *testing.T) {
	d := database(t, "postgres")
	d.ConnMaxAge = Forever
	m, err := NewManager(Databases{DefaultAlias: d}, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	release := make(chan struct{}, 1)
	produced := make(chan string, 16)
	stream := func(failAt int) manouche.View {
		return func(r *manouche.Request) (*manouche.Response, error) {
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				for i := 0; i < 5; i++ {
					if i == failAt {
						return fmt.Errorf("failed at chunk %d", i)
					}
					c, err := m.Conn(ctx, DefaultAlias)
					if err != nil {
						produced <- err.Error()
						return err
					}
					var pid int
					if err := c.GetContext(ctx, &pid, "SELECT pg_backend_pid()"); err != nil {
						produced <- err.Error()
						return err
					}
					if _, err := fmt.Fprintf(w, "%d\n", pid); err != nil {
						produced <- "client gone"
						return err
					}
					produced <- "chunk"
					if i == 0 {
						<-release // hold the stream open after the first chunk
					}
				}
				return nil
			}), nil
		}
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("ok/", stream(-1)), urls.Path("fail/", stream(2))})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{AllowedHosts: []string{"*"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sig := &testkit.Counters{}
	sig.Connect(h.Signals())
	defer m.Install(h.Signals())()
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, tc := range []struct {
		path     string
		hangUp   bool
		complete bool
	}{
		{"/ok/", false, true},
		{"/fail/", false, false},
		{"/ok/", true, false},
	} {
		t.Run(tc.path+fmt.Sprint(tc.hangUp), func(t *testing.T) {
			before := sig.Finished.Load()
			resp, err := srv.Client().Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := <-produced; got != "chunk" {
				t.Fatalf("first chunk: %s", got)
			}
			// Mid-stream: the request is not finished, its connection in use.
			if s := m.Stats(DefaultAlias); s.InUse != 1 || sig.Finished.Load() != before {
				t.Errorf("mid-stream: %+v, finished %d → %d", s, before, sig.Finished.Load())
			}
			if tc.hangUp {
				resp.Body.Close()
			}
			release <- struct{}{}
			if !tc.hangUp {
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lines := strings.Count(string(body), "\n")
				if tc.complete && (err != nil || lines != 5) {
					t.Errorf("complete stream: %d lines, %v", lines, err)
				}
				if !tc.complete && (err == nil || lines != 2) {
					t.Errorf("failed stream: %d lines, error %v: want a truncated body", lines, err)
				}
				pids := strings.Fields(string(body))
				for _, p := range pids {
					if p != pids[0] {
						t.Errorf("pids %v: the stream changed connections", pids)
					}
				}
			}
			testkit.WaitFor(t, "the request finished", func() bool { return sig.Finished.Load() == before+1 })
			if s := settle(t, m); s.InUse != 0 {
				t.Errorf("after the stream: %+v", s)
			}
			// Drain what the producer reported.
			for len(produced) > 0 {
				<-produced
			}
		})
	}
	if s, f := sig.Started.Load(), sig.Finished.Load(); s != 3 || f != 3 {
		t.Errorf("started %d, finished %d, want 3 and 3", s, f)
	}
}
