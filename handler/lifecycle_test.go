package handler_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/signals"
	"github.com/manouche/manouche/urls"
)

// checkGoroutines fails the test if goroutines started during it are still
// running once the test's servers are closed (a leak check, polled until
// they settle, with a bound).
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		for i := 0; i < 200; i++ {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
	})
}

func TestRequestStartedBeforeMiddleware(t *testing.T) {
	// SEMANTICS 1: request_started fires before the request is built and
	// before any middleware.
	tr := &trace{}
	sig := signals.NewLifecycle(nil)
	sig.RequestStarted.Connect(func(ctx context.Context, sender any, ev signals.RequestStarted) error {
		tr.Add("started " + ev.Request.URL.Path)
		return nil
	})
	sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error {
		tr.Add("finished")
		return nil
	})
	h := build(t, handler.Config{Signals: sig, Middleware: []middleware.Factory{layer("A", tr)}}, urls.Path("x/", text("ok")))
	do(h, "GET", "/x/")
	if got, want := tr.String(), "started /x/,A>,<A,finished"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
}

func TestFinishedOncePerRequest(t *testing.T) {
	// SEMANTICS 48 (deviation): Close is idempotent, so however often the
	// response is closed, and by whom, request_finished fires once per
	// request and each closer runs once.
	var c counters
	closer := &countCloser{}
	doubleCloser := &mixin{name: "D", tr: &trace{}, resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
		_ = resp.Close()
		_ = resp.Close()
		return resp, nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(doubleCloser)}},
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("ok")
			resp.AddCloser(closer)
			return resp, nil
		}))
	c.Connect(h.Signals())
	const n = 50
	for i := 0; i < n; i++ {
		if rec := do(h, "GET", "/"); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if c.Started.Load() != n || c.Finished.Load() != n || closer.N.Load() != n {
		t.Fatalf("started %d finished %d closed %d, want %d each", c.Started.Load(), c.Finished.Load(), closer.N.Load(), n)
	}
}

func TestReplacedResponseClosedWithoutFinish(t *testing.T) {
	// SEMANTICS 57: a response replaced by middleware has its closers run;
	// only the final response sends request_finished.
	var c counters
	first, second := &countCloser{}, &countCloser{}
	replacer := &mixin{name: "R", tr: &trace{}, resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
		nm := response.NotModified()
		nm.AddCloser(second)
		return nm, nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(replacer)}},
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("ok")
			resp.AddCloser(first)
			return resp, nil
		}))
	c.Connect(h.Signals())
	if rec := do(h, "GET", "/"); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
	if first.N.Load() != 1 || second.N.Load() != 1 || c.Finished.Load() != 1 {
		t.Fatalf("replaced closed %d, final closed %d, finished %d; want 1, 1, 1", first.N.Load(), second.N.Load(), c.Finished.Load())
	}
}

func TestCloseOrder(t *testing.T) {
	// The final response's closers run, then its after-close hooks, then
	// request_finished, once — also when a layer closed the response
	// before the handler does.
	for _, early := range []bool{false, true} {
		t.Run(fmt.Sprintf("early=%v", early), func(t *testing.T) {
			tr := &trace{}
			sig := signals.NewLifecycle(nil)
			sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error {
				tr.Add("finished")
				return nil
			})
			closing := &mixin{name: "C", tr: &trace{}, resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
				if early {
					_ = resp.Close()
				}
				return resp, nil
			}}
			h := build(t, handler.Config{Signals: sig, Middleware: []middleware.Factory{middleware.Hooks(closing)}},
				urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
					r.AddCloser(manouche.CloserFunc(func() error { tr.Add("request closer"); return nil }))
					resp := response.Text("ok")
					resp.AddCloser(manouche.CloserFunc(func() error { tr.Add("closer"); return nil }))
					resp.AfterClose(func() { tr.Add("hook") })
					return resp, nil
				}))
			do(h, "GET", "/")
			want := "closer,hook,request closer,finished"
			if !early {
				// The handler adds the request as the response's last
				// closer, after the view's.
				want = "closer,request closer,hook,finished"
			}
			if got := tr.String(); got != want {
				t.Fatalf("trace %s, want %s", got, want)
			}
		})
	}
}

func TestRequestClosedWithResponse(t *testing.T) {
	// SEMANTICS 10: what the request holds is closed with the final response.
	closer := &countCloser{}
	h := build(t, handler.Config{}, urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
		r.AddCloser(closer)
		return response.Text("ok"), nil
	}))
	do(h, "GET", "/")
	if closer.N.Load() != 1 {
		t.Fatalf("request closer ran %d times, want 1", closer.N.Load())
	}
}

func TestPanicsBecome500AndFinish(t *testing.T) {
	// A view or middleware panic is a 500, and the request still finishes
	// once.
	var c counters
	panicky := &mixin{name: "P", tr: &trace{}, req: func(r *manouche.Request) (*manouche.Response, error) {
		if r.PathInfo == "/mw/" {
			panic("middleware panic")
		}
		return nil, nil
	}}
	logs := &logBuffer{}
	h := build(t, handler.Config{Logger: logs.Logger(), Middleware: []middleware.Factory{middleware.Hooks(panicky)}},
		urls.Path("view/", func(*manouche.Request) (*manouche.Response, error) { panic("view panic") }),
		urls.Path("mw/", text("unreached")))
	c.Connect(h.Signals())
	for _, p := range []string{"/view/", "/mw/"} {
		if rec := do(h, "GET", p); rec.Code != 500 {
			t.Fatalf("%s: status %d", p, rec.Code)
		}
	}
	if c.Finished.Load() != 2 || c.Exceptions.Load() != 2 {
		t.Fatalf("finished %d, exceptions %d; want 2, 2", c.Finished.Load(), c.Exceptions.Load())
	}
	if !strings.Contains(logs.String(), "view panic") || !strings.Contains(logs.String(), "middleware panic") {
		t.Fatalf("panics not logged:\n%s", logs)
	}
}

func TestStartedReceiverFailure(t *testing.T) {
	// SEMANTICS 70: a failing request_started receiver aborts the request
	// with a 500 before it is built; it is still finished once.
	var c counters
	sig := signals.NewLifecycle(nil)
	c.Connect(sig)
	sig.RequestStarted.Connect(func(context.Context, any, signals.RequestStarted) error { return errors.New("db down") })
	viewRan := false
	h := build(t, handler.Config{Signals: sig, Logger: (&logBuffer{}).Logger()}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
		viewRan = true
		return response.Text("ok"), nil
	}))
	if rec := do(h, "GET", "/"); rec.Code != 500 || viewRan {
		t.Fatalf("status %d, view ran %v", rec.Code, viewRan)
	}
	if c.Finished.Load() != 1 {
		t.Fatalf("finished %d, want 1", c.Finished.Load())
	}
}

func TestFinishedReceiverFailureDoesNotStopOthers(t *testing.T) {
	// SEMANTICS 70 (deviation): every request_finished receiver runs, even
	// after one fails, so cleanup is never skipped.
	sig := signals.NewLifecycle((&logBuffer{}).Logger())
	sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error { return errors.New("first fails") })
	var cleaned atomic.Bool
	sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error {
		cleaned.Store(true)
		return nil
	})
	h := build(t, handler.Config{Signals: sig}, urls.Path("", text("ok")))
	if rec := do(h, "GET", "/"); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if !cleaned.Load() {
		t.Fatal("the second request_finished receiver did not run")
	}
}

func TestGotRequestExceptionOnlyFor500(t *testing.T) {
	// SEMANTICS 71: got_request_exception for the 500 only.
	var c counters
	h := build(t, handler.Config{Logger: (&logBuffer{}).Logger()},
		urls.Path("404/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.Http404{} }),
		urls.Path("403/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.PermissionDenied{} }),
		urls.Path("400/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.BadRequest{} }),
		urls.Path("500/", func(*manouche.Request) (*manouche.Response, error) { return nil, errors.New("x") }),
	)
	c.Connect(h.Signals())
	for _, s := range []string{"404", "403", "400", "500"} {
		if rec := do(h, "GET", "/"+s+"/"); rec.Code != map[string]int{"404": 404, "403": 403, "400": 400, "500": 500}[s] {
			t.Fatalf("/%s/: status %d", s, rec.Code)
		}
	}
	if c.Exceptions.Load() != 1 {
		t.Fatalf("got_request_exception %d, want 1", c.Exceptions.Load())
	}
}

func TestStreamFinishesAfterLastChunk(t *testing.T) {
	// SEMANTICS 49 and 51: the producer runs after the onion; the request is
	// finished only after the last chunk, over a real server.
	checkGoroutines(t)
	var c counters
	tr := &trace{}
	release := make(chan struct{})
	h := build(t, handler.Config{Middleware: []middleware.Factory{layer("A", tr)}},
		urls.Path("stream/", func(*manouche.Request) (*manouche.Response, error) {
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				tr.Add("producer")
				if _, err := io.WriteString(w, "first\n"); err != nil {
					return err
				}
				<-release
				_, err := io.WriteString(w, "last\n")
				return err
			}), nil
		}))
	c.Connect(h.Signals())
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/stream/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk %q, %v", line, err)
	}
	if c.Finished.Load() != 0 {
		t.Fatal("request_finished before the stream ended")
	}
	if got := tr.String(); got != "A>,<A,producer" {
		t.Fatalf("trace %s: the producer must run after the onion", got)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "last\n" {
		t.Fatalf("rest %q", rest)
	}
	waitFor(t, func() bool { return c.Finished.Load() == 1 })
}

// waitFor waits, with a bound, for what a server goroutine does after the
// client has read everything.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, "condition", cond)
}

func TestStreamErrorTruncates(t *testing.T) {
	// SEMANTICS 52: an error half way truncates the body (the connection is
	// cut), is logged, is no 500 page and no got_request_exception; the
	// request finishes once.
	checkGoroutines(t)
	var c counters
	logs := &logBuffer{}
	h := build(t, handler.Config{Logger: logs.Logger()}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
		return response.Stream(func(ctx context.Context, w io.Writer) error {
			io.WriteString(w, "chunk1")
			return errors.New("database went away")
		}), nil
	}))
	c.Connect(h.Signals())
	srv := httptest.NewServer(h)
	srv.Config.ErrorLog = nil
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("body read completely (%q): the truncation must be visible", body)
	}
	if string(body) != "chunk1" {
		t.Fatalf("body %q", body)
	}
	waitFor(t, func() bool { return c.Finished.Load() == 1 })
	if c.Exceptions.Load() != 0 || !strings.Contains(logs.String(), "database went away") {
		t.Fatalf("exceptions %d, log:\n%s", c.Exceptions.Load(), logs)
	}
}

func TestClientDisconnectStopsProducer(t *testing.T) {
	// SEMANTICS 53: a client that goes away mid-stream stops the producer
	// (its cleanup runs) and the request finishes once.
	checkGoroutines(t)
	var c counters
	cleaned := make(chan struct{})
	h := build(t, handler.Config{}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
		return response.Stream(func(ctx context.Context, w io.Writer) error {
			defer close(cleaned)
			for {
				if _, err := io.WriteString(w, "tick\n"); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
			}
		}), nil
	}))
	c.Connect(h.Signals())
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "tick\n" {
		t.Fatalf("first chunk %q, %v", line, err)
	}
	resp.Body.Close() // hang up
	select {
	case <-cleaned:
	case <-time.After(10 * time.Second):
		t.Fatal("the producer did not stop after the client went away")
	}
	waitFor(t, func() bool { return c.Finished.Load() == 1 })
}

func TestHeadKeepsGetHeaders(t *testing.T) {
	// SEMANTICS 60: HEAD runs the GET view; same status and headers,
	// Content-Length included, no body.
	h := build(t, handler.Config{}, urls.Path("", text("hello world")))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, get.Body)
	get.Body.Close()
	head, err := http.Head(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(head.Body)
	head.Body.Close()
	if head.StatusCode != get.StatusCode || len(body) != 0 {
		t.Fatalf("HEAD %d with %d body bytes", head.StatusCode, len(body))
	}
	for _, k := range []string{"Content-Type", "Content-Length"} {
		if head.Header.Get(k) != get.Header.Get(k) || get.Header.Get(k) == "" {
			t.Fatalf("%s: HEAD %q, GET %q", k, head.Header.Get(k), get.Header.Get(k))
		}
	}
}

// Content-Length on the wire, through a real server: a response that has
// one (CommonMiddleware's, or a view's, even a wrong one) is sent with its
// body's true length, whatever its size; a response without one is left
// to net/http as any Go handler's (it counts a small body, sends a large
// one chunked); a HEAD always carries the length, its body never reaching
// net/http.
func TestContentLengthOnTheWire(t *testing.T) {
	big := strings.Repeat("x", 5000) // past net/http's 2 KB of buffering
	withLength := func(body, cl string) manouche.View {
		return func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text(body)
			resp.SetHeader("Content-Length", cl)
			return resp, nil
		}
	}
	bare := build(t, handler.Config{},
		urls.Path("small/", text("hello")), urls.Path("big/", text(big)),
		urls.Path("wrong/", withLength("hello", "999")), urls.Path("big-cl/", withLength(big, "1")))
	common := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Common()}},
		urls.Path("big/", text(big)))
	for _, tc := range []struct {
		name    string
		h       http.Handler
		method  string
		path    string
		length  int64 // http.Response.ContentLength: -1 for chunked
		chunked bool
		body    int
	}{
		{"small, no Content-Length", bare, "GET", "/small/", 5, false, 5},
		{"large, no Content-Length", bare, "GET", "/big/", -1, true, 5000},
		{"large HEAD, no Content-Length", bare, "HEAD", "/big/", 5000, false, 0},
		{"small HEAD", bare, "HEAD", "/small/", 5, false, 0},
		{"a wrong one", bare, "GET", "/wrong/", 5, false, 5},
		{"a wrong one, large", bare, "GET", "/big-cl/", 5000, false, 5000},
		{"CommonMiddleware, large", common, "GET", "/big/", 5000, false, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
			if resp.StatusCode != 200 || resp.ContentLength != tc.length || chunked != tc.chunked || len(b) != tc.body {
				t.Errorf("%s %s: %d, Content-Length %d, chunked %v, %d body bytes; want Content-Length %d, chunked %v, %d bytes",
					tc.method, tc.path, resp.StatusCode, resp.ContentLength, chunked, len(b), tc.length, tc.chunked, tc.body)
			}
		})
	}
}

func TestLoggedOncePerErrorResponse(t *testing.T) {
	// SEMANTICS 11: each final 4xx/5xx response is logged once.
	logs := &logBuffer{}
	h := build(t, handler.Config{Logger: logs.Logger()},
		urls.Path("gone/", func(*manouche.Request) (*manouche.Response, error) { return response.Gone(""), nil }),
		urls.Path("raise/", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.Http404{} }))
	do(h, "GET", "/x")
	do(h, "GET", "/gone/")
	do(h, "GET", "/raise/")
	out := logs.String()
	for _, line := range []string{`"Not Found: /x"`, `"Gone: /gone/"`, `"Not Found: /raise/"`} {
		if n := strings.Count(out, line); n != 1 {
			t.Fatalf("%s logged %d times:\n%s", line, n, out)
		}
	}
	if !strings.Contains(out, "level=WARN") {
		t.Fatalf("4xx must log at WARN:\n%s", out)
	}
}

func TestClientGoneDuringSlowView(t *testing.T) {
	// SEMANTICS 14: a client that disconnects during a slow view cancels
	// the request's context; a view that gives up with the context's error
	// is not a server error (no got_request_exception, no 500 log), and the
	// request still finishes once.
	checkGoroutines(t)
	var c counters
	logs := &logBuffer{}
	entered := make(chan struct{})
	h := build(t, handler.Config{Logger: logs.Logger()}, urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
		close(entered)
		<-r.Context().Done()
		return nil, r.Context().Err()
	}))
	c.Connect(h.Signals())
	// request_finished receivers clean up with a context that is never
	// cancelled, though the client's request was, and that still carries
	// the request's scope.
	finishCtx := make(chan error, 1)
	h.Signals().RequestFinished.Connect(func(ctx context.Context, _ any, _ signals.RequestFinished) error {
		switch {
		case ctx.Err() != nil || ctx.Done() != nil:
			finishCtx <- fmt.Errorf("request_finished got a cancellable context (err %v)", ctx.Err())
		case manouche.ScopeFrom(ctx) == nil:
			finishCtx <- errors.New("request_finished's context lacks the request's scope")
		default:
			finishCtx <- nil
		}
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the request succeeded although the client cancelled it")
	}
	waitFor(t, func() bool { return c.Finished.Load() == 1 })
	if err := <-finishCtx; err != nil {
		t.Fatal(err)
	}
	if c.Exceptions.Load() != 0 || strings.Contains(logs.String(), "Internal Server Error") {
		t.Fatalf("exceptions %d, log:\n%s", c.Exceptions.Load(), logs)
	}
	if !strings.Contains(logs.String(), "client went away") {
		t.Fatalf("no debug line for the client that went away:\n%s", logs)
	}
}

func TestOneScopePerRequest(t *testing.T) {
	// DESIGN promise 2: request_started, the view and request_finished of a
	// request share one Scope through their contexts; requests never share
	// one.
	sig := signals.NewLifecycle(nil)
	var started, finished []*manouche.Scope
	sig.RequestStarted.Connect(func(ctx context.Context, _ any, _ signals.RequestStarted) error {
		started = append(started, manouche.ScopeFrom(ctx))
		return nil
	})
	sig.RequestFinished.Connect(func(ctx context.Context, _ any, _ signals.RequestFinished) error {
		finished = append(finished, manouche.ScopeFrom(ctx))
		return nil
	})
	var inView []*manouche.Scope
	h := build(t, handler.Config{Signals: sig}, urls.Path("", func(r *manouche.Request) (*manouche.Response, error) {
		s := manouche.ScopeFrom(r.Context())
		// net/http's request, as the view gets it, carries the same scope.
		if hs := manouche.ScopeFrom(r.HTTP().Context()); hs != s {
			return nil, fmt.Errorf("r.HTTP().Context() carries scope %p, r.Context() %p", hs, s)
		}
		inView = append(inView, s)
		return response.Text("ok"), nil
	}))
	for range 2 {
		if rec := do(h, "GET", "/"); rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	if len(inView) != 2 || inView[0] == nil || inView[0] == inView[1] {
		t.Fatalf("view scopes %v: want two distinct scopes", inView)
	}
	for i := range inView {
		if started[i] != inView[i] || finished[i] != inView[i] {
			t.Fatalf("request %d: started %p, view %p, finished %p", i, started[i], inView[i], finished[i])
		}
	}
}

// The writer a stream's producer gets reaches what http.ResponseController
// reaches on the server's writer: Flush, FlushError, SetWriteDeadline.
func TestStreamWriterController(t *testing.T) {
	type controller interface {
		http.Flusher
		FlushError() error
		SetWriteDeadline(time.Time) error
	}
	h := build(t, handler.Config{},
		urls.Path("stream/", func(*manouche.Request) (*manouche.Response, error) {
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				c, ok := w.(controller)
				if !ok {
					_, err := fmt.Fprintf(w, "%T lacks the controller methods", w)
					return err
				}
				if err := c.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
					_, err = fmt.Fprintf(w, "SetWriteDeadline: %v", err)
					return err
				}
				if _, err := io.WriteString(w, "ok"); err != nil {
					return err
				}
				c.Flush()
				return c.FlushError()
			}), nil
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stream/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
}
