package proof

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/pgtest"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// countingFile is an *os.File whose Close is counted.
type countingFile struct {
	*os.File
	closes *atomic.Int64
}

func (f countingFile) Close() error { f.closes.Add(1); return f.File.Close() }

// site is the application under test.
type site struct {
	m            *db.Manager
	srv          *httptest.Server
	sig          *testkit.Counters
	opens        atomic.Int64
	closes       atomic.Int64
	dbErrors     atomic.Int64
	sizes        map[string]int64
	staticPrefix string
}

func newSite(t *testing.T, age time.Duration, dir string, extra []middleware.Factory) *site {
	t.Helper()
	d := db.Database{Engine: db.Postgres, DSN: pgtest.URL(t), ConnMaxAge: age, MaxOpenConns: 8}
	m, err := db.NewManager(db.Databases{db.DefaultAlias: d}, db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	s := &site{m: m, sig: &testkit.Counters{}, sizes: map[string]int64{}}
	setup, finish := m.Background(context.Background())
	if err := m.Atomic(setup, db.DefaultAlias, func(ctx context.Context) error {
		c, _ := m.Conn(ctx, db.DefaultAlias)
		_, err := c.ExecContext(ctx, "CREATE TABLE hit (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		s.sizes[e.Name()] = fi.Size()
	}

	file := func(r *manouche.Request) (*manouche.Response, error) {
		name, _ := manouche.Kwarg[string](r, "name")
		f, err := os.Open(filepath.Join(dir, filepath.Base(name)))
		if err != nil {
			return nil, &manouche.Http404{Message: err.Error()}
		}
		s.opens.Add(1)
		fi, _ := f.Stat()
		return response.File(r, countingFile{File: f, closes: &s.closes},
			response.Size(fi.Size()), response.LastModified(fi.ModTime()), response.ETag(fmt.Sprintf(`"%x"`, fi.ModTime().UnixNano()))), nil
	}
	query := func(ctx context.Context) (int, error) {
		var n int
		err := m.Atomic(ctx, db.DefaultAlias, func(ctx context.Context) error {
			c, err := m.Conn(ctx, db.DefaultAlias)
			if err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, "INSERT INTO hit DEFAULT VALUES"); err != nil {
				return err
			}
			return c.GetContext(ctx, &n, "SELECT count(*) FROM hit")
		})
		if err != nil && ctx.Err() == nil {
			s.dbErrors.Add(1)
		}
		return n, err
	}
	dbView := func(r *manouche.Request) (*manouche.Response, error) {
		n, err := query(r.Context())
		if err != nil {
			return nil, err
		}
		return response.Text(fmt.Sprint(n)), nil
	}
	dbStream := func(r *manouche.Request) (*manouche.Response, error) {
		return response.Stream(func(ctx context.Context, w io.Writer) error {
			for i := 0; i < 3; i++ {
				n, err := query(ctx)
				if err != nil {
					return err
				}
				if _, err := fmt.Fprintln(w, n); err != nil {
					return err
				}
			}
			return nil
		}), nil
	}
	conf, err := urls.New([]urls.Pattern{
		urls.Path("file/<str:name>", file),
		urls.Path("db/", dbView),
		urls.Path("db-stream/", dbStream),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		URLConf:    conf,
		Middleware: extra,
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.sig.Connect(h.Signals())
	uninstall := m.Install(h.Signals())
	s.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		s.srv.Close()
		uninstall()
		m.Close()
	})
	return s
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// request is one client action; it reports a failure as an error.
type request func(s *site, client *http.Client) error

func get(path string, hdr map[string]string, method string, want ...int) request {
	return func(s *site, client *http.Client) error {
		req, _ := http.NewRequest(method, s.srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("%s %s %v: reading: %w", method, path, hdr, err)
		}
		for _, w := range want {
			if resp.StatusCode == w {
				if cl := resp.Header.Get("Content-Length"); cl != "" && method != "HEAD" && cl != fmt.Sprint(len(body)) {
					return fmt.Errorf("%s %s %v: Content-Length %s, body %d", method, path, hdr, cl, len(body))
				}
				return nil
			}
		}
		return fmt.Errorf("%s %s %v: status %d, want %v: %s", method, path, hdr, resp.StatusCode, want, body)
	}
}

// hangUp sends a raw request and closes the connection after reading a
// little of the answer.
func hangUp(path, rng string) request {
	return func(s *site, _ *http.Client) error {
		conn, err := net.Dial("tcp", s.srv.Listener.Addr().String())
		if err != nil {
			return err
		}
		defer conn.Close()
		req := "GET " + path + " HTTP/1.1\r\nHost: proof\r\n"
		if rng != "" {
			req += "Range: " + rng + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
			return err
		}
		buf := make([]byte, 2048)
		_, err = io.ReadAtLeast(conn, buf, 1)
		return err
	}
}

// mix is the traffic of the seeds' bug: ranged and whole file requests,
// HEAD, atomic database views and streams, and clients that hang up.
func mix(big string) []request {
	file := "/file/" + big
	return []request{
		get(file, map[string]string{"Range": "bytes=0-"}, "GET", 206),
		get(file, map[string]string{"Range": "bytes=-1000"}, "GET", 206),
		get(file, map[string]string{"Range": "bytes=99999999-"}, "GET", 416),
		get(file, map[string]string{"Range": "bytes=0-10,20-30"}, "GET", 206),
		get(file, nil, "GET", 200),
		get(file, nil, "HEAD", 200),
		get(file, map[string]string{"Range": "bytes=0-"}, "HEAD", 206),
		get("/file/small.txt", nil, "GET", 200),
		get("/db/", nil, "GET", 200),
		get("/db/", nil, "GET", 200),
		get("/db-stream/", nil, "GET", 200),
		get("/static/app.css", map[string]string{"Range": "bytes=0-"}, "GET", 206),
		get("/static/app.css", map[string]string{"Range": "bytes=-100"}, "GET", 206),
		get("/static/app.css", map[string]string{"Range": "bytes=99999999-"}, "GET", 416),
		get("/static/app.css", map[string]string{"Accept-Encoding": "gzip"}, "GET", 200),
		get("/static/app.css", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-"}, "GET", 206),
		get("/static/app.css", nil, "HEAD", 200),
		get("/static/tiny.txt", nil, "GET", 200),
		get("/static/missing.css", nil, "GET", 404),
		hangUp("/static/app.css", "bytes=0-"),
		hangUp(file, "bytes=0-"),
		hangUp(file, ""),
		hangUp("/db-stream/", ""),
	}
}

// staticStack writes a static root (a big file with a gzip sibling, a
// small one) and returns the Static middleware serving it under /static/.
func staticStack(t *testing.T) []middleware.Factory {
	t.Helper()
	root := t.TempDir()
	big := strings.Repeat("body { color: #123456; }\n", 1<<14)
	files := map[string]string{"app.css": big, "tiny.txt": "tiny"}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(big))
	_ = zw.Close()
	files["app.css.gz"] = gz.String()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: manouche.Settings{StaticURL: "/static/", StaticRoot: root}})}
}

func writeFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("small"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), []byte(strings.Repeat("0123456789abcdef", 1<<16)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run sends workers × each requests from the mix, with the garbage
// collector forced in a loop beside them, and returns how many were sent.
func run(t *testing.T, s *site, reqs []request, workers, each int) int64 {
	t.Helper()
	stop := make(chan struct{})
	var gcs sync.WaitGroup
	gcs.Add(1)
	go func() {
		defer gcs.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var sent atomic.Int64
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, 7))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			defer client.CloseIdleConnections()
			for i := 0; i < each; i++ {
				sent.Add(1)
				if err := reqs[rnd.IntN(len(reqs))](s, client); err != nil {
					errs <- err
				}
			}
		}(uint64(w))
	}
	wg.Wait()
	close(stop)
	gcs.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return sent.Load()
}

// check waits for every request to finish and checks the promises.
func check(t *testing.T, s *site, sent int64, fdsBefore int) {
	t.Helper()
	testkit.WaitFor(t, "request_finished for every request", func() bool {
		return s.sig.Finished.Load() >= sent && s.sig.Started.Load() == s.sig.Finished.Load()
	})
	if st, fi := s.sig.Started.Load(), s.sig.Finished.Load(); st != sent || fi != sent {
		t.Errorf("%d requests sent, request_started %d, request_finished %d", sent, st, fi)
	}
	if n := s.sig.Exceptions.Load(); n != 0 {
		t.Errorf("%d got_request_exception", n)
	}
	if n := s.dbErrors.Load(); n != 0 {
		t.Errorf("%d database errors", n)
	}
	if o, c := s.opens.Load(), s.closes.Load(); o != c {
		t.Errorf("%d files opened, %d closed", o, c)
	}
	if st := s.m.Stats(db.DefaultAlias); st.InUse != 0 {
		t.Errorf("connections still in use: %+v", st)
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
	if err := s.m.Close(); err != nil {
		t.Error(err)
	}
	testkit.WaitFor(t, "every descriptor closed", func() bool { return openFDs(t) <= fdsBefore })
}

// SEMANTICS section I: the WhiteNoise double-close bug cannot happen here.
func TestSeedsRangeBug(t *testing.T) {
	workers, each := 16, 40
	if testing.Short() {
		workers, each = 4, 10
	}
	for _, tc := range []struct {
		name string
		age  time.Duration
	}{{"conn_max_age=0", 0}, {"conn_max_age=forever", db.Forever}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t)
			s := newSite(t, tc.age, dir, staticStack(t))
			// Warm up (the network poller, the first connection), then
			// take the descriptor count the run must come back to.
			if err := get("/db/", nil, "GET", 200)(s, s.srv.Client()); err != nil {
				t.Fatal(err)
			}
			s.srv.Client().CloseIdleConnections()
			fds := openFDs(t)
			sent := run(t, s, mix("big.bin"), workers, each) + 1
			check(t, s, sent, fds)
		})
	}
}
