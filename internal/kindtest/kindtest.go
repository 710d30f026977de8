// Package kindtest runs middleware over every kind of response through a
// real net/http server (DESIGN promise 5): buffered, streaming, file,
// ranged file, deferred template, HEAD of each, a view's own 304, and views
// that flush or hijack through Request.ResponseWriter. It is internal and
// only tests import it.
//
// Every view sends Body (the ranged one a slice of it), so a test compares
// what the client received with it, after undoing any encoding. The
// streaming and flushing views send their first line, then wait until the
// client has received it before sending the rest: Result.Streamed says
// whether that happened, so a layer that buffers a stream is caught
// without a timed assertion (the view gives up waiting after a bound and
// the case fails).
package kindtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// Body is what every view sends: 100 numbered lines of ASCII, 4,000 bytes,
// compressible and safe in HTML.
var Body = func() []byte {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "line %03d of the kind test body, in plain ascii\n", i)
	}
	return []byte(b.String()[:4000])
}()

// FirstLine is the first line of Body: what a streaming view sends before
// it waits for the client.
var FirstLine = Body[:strings.IndexByte(string(Body), '\n')+1]

// ETag is the entity tag of the not-modified view.
const ETag = `"kindtest"`

// Range is the byte range the ranged case asks for, and RangeBody what it
// selects.
const Range = "bytes=100-299"

// RangeBody is Body[100:300].
var RangeBody = Body[100:300]

// Case is one kind of response and the request that produces it.
type Case struct {
	// Name names the kind: "buffered", "streaming", "file", "ranged",
	// "deferred", "head-buffered", "head-streaming", "head-file",
	// "not-modified", "flush", "hijack".
	Name   string
	Method string
	Path   string
	// Header holds the request headers the case needs (Range,
	// If-None-Match).
	Header http.Header
	// Want is the body the view sends (nil for HEAD and 304).
	Want []byte
	// Gated is true for the views that wait for the client after their
	// first line.
	Gated bool
	// TakesOver is true for the views that write through
	// Request.ResponseWriter: the response object and so the middleware's
	// changes to it are not written.
	TakesOver bool
}

// Cases returns every case, in a fixed order.
func Cases() []Case {
	return []Case{
		{Name: "buffered", Method: "GET", Path: "/kind/buffered", Want: Body},
		{Name: "streaming", Method: "GET", Path: "/kind/stream", Want: Body, Gated: true},
		{Name: "file", Method: "GET", Path: "/kind/file", Want: Body},
		{Name: "ranged", Method: "GET", Path: "/kind/file", Header: http.Header{"Range": {Range}}, Want: RangeBody},
		{Name: "deferred", Method: "GET", Path: "/kind/template", Want: Body},
		{Name: "head-buffered", Method: "HEAD", Path: "/kind/buffered"},
		{Name: "head-streaming", Method: "HEAD", Path: "/kind/stream"},
		{Name: "head-file", Method: "HEAD", Path: "/kind/file"},
		{Name: "not-modified", Method: "GET", Path: "/kind/notmodified", Header: http.Header{"If-None-Match": {ETag}}},
		{Name: "flush", Method: "GET", Path: "/kind/flush", Want: Body, Gated: true, TakesOver: true},
		{Name: "hijack", Method: "GET", Path: "/kind/hijack", Want: Body, TakesOver: true},
	}
}

// Result is what the client received.
type Result struct {
	Status int
	Header http.Header
	// Body is the body as received: still compressed if it was.
	Body []byte
	// Streamed is true when the client had the first line before a gated
	// view went on; false for a gated view that had to give up waiting.
	Streamed bool
	// ViewNote is what a flushing view or a stream's producer reports of
	// its use of http.ResponseController or the stream writer's methods
	// ("" when Flush and SetWriteDeadline worked).
	ViewNote string
}

// Config configures a Server.
type Config struct {
	// Settings are the handler's settings; AllowedHosts defaults to "*".
	Settings manouche.Settings
	// Middleware is the stack under test.
	Middleware []middleware.Factory
	// Routes are more patterns, after the kind views.
	Routes []urls.Pattern
	// ContextProcessors are given to the template engine of the deferred
	// view.
	ContextProcessors []templates.ContextProcessor
	// TLS starts an HTTPS server.
	TLS bool
	// Touch, when set, runs at the start of every kind view: a test makes
	// each view use what the middleware under test provides (set a session
	// value, take a CSRF token, add a message).
	Touch func(r *manouche.Request) error
	// GateWait bounds how long a gated view waits for its client; zero
	// means 10 seconds.
	GateWait time.Duration
}

// Server is a real HTTP server running the kind views behind the
// middleware under test.
type Server struct {
	URL     string
	Handler *handler.Handler
	Client  *http.Client

	srv      *httptest.Server
	counters testkit.Counters
	opened   atomic.Int64
	closed   atomic.Int64
	gates    sync.Map // gate id → *gate
	nextGate atomic.Int64
	file     string
	gateWait time.Duration
}

// gate is what a gated view waits on.
type gate struct {
	release  chan struct{}
	streamed atomic.Bool
	note     atomic.Value // string
}

// Start starts a Server; it is stopped when the test ends, after checking
// that every request finished once and every file it opened was closed.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := &Server{gateWait: cfg.GateWait}
	if s.gateWait <= 0 {
		s.gateWait = 10 * time.Second
	}
	s.file = filepath.Join(t.TempDir(), "kind.txt")
	if err := os.WriteFile(s.file, Body, 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := templates.NewEngine(templates.Config{
		FS:                []iofs.FS{fstest.MapFS{"kind.html": {Data: []byte("{{.body}}")}}},
		ContextProcessors: cfg.ContextProcessors,
	})
	if err != nil {
		t.Fatal(err)
	}
	touch := func(v manouche.View) manouche.View {
		if cfg.Touch == nil {
			return v
		}
		return func(r *manouche.Request) (*manouche.Response, error) {
			if err := cfg.Touch(r); err != nil {
				return nil, err
			}
			return v(r)
		}
	}
	patterns := append([]urls.Pattern{urls.Include("kind/", []urls.Pattern{
		urls.Path("buffered", touch(func(*manouche.Request) (*manouche.Response, error) {
			return response.Bytes(200, Body, "text/plain; charset=utf-8"), nil
		}), urls.Name("buffered")),
		urls.Path("stream", touch(s.stream), urls.Name("stream")),
		urls.Path("file", touch(s.fileView), urls.Name("file")),
		urls.Path("template", touch(func(r *manouche.Request) (*manouche.Response, error) {
			return eng.Response(r, "kind.html", map[string]any{"body": string(Body)}), nil
		}), urls.Name("template")),
		urls.Path("notmodified", touch(func(r *manouche.Request) (*manouche.Response, error) {
			if r.Header().Get("If-None-Match") == ETag {
				resp := response.NotModified()
				resp.Header().Set("ETag", ETag)
				return resp, nil
			}
			resp := response.Bytes(200, Body, "text/plain; charset=utf-8")
			resp.Header().Set("ETag", ETag)
			return resp, nil
		}), urls.Name("notmodified")),
		urls.Path("flush", touch(s.flush), urls.Name("flush")),
		urls.Path("hijack", touch(hijack), urls.Name("hijack")),
	})}, cfg.Routes...)
	conf, err := urls.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	settings := cfg.Settings
	if settings.AllowedHosts == nil {
		settings.AllowedHosts = []string{"*"}
	}
	h, err := handler.New(handler.Config{
		Settings: settings, URLConf: conf, Middleware: cfg.Middleware,
		Logger: (&testkit.LogBuffer{}).Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Handler = h
	s.counters.Connect(h.Signals())
	if cfg.TLS {
		s.srv = httptest.NewTLSServer(h)
		s.Client = s.srv.Client()
		s.Client.Transport.(*http.Transport).DisableCompression = true
	} else {
		s.srv = httptest.NewServer(h)
		s.Client = &http.Client{Transport: &http.Transport{DisableCompression: true}}
	}
	s.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.Client.CloseIdleConnections()
		s.srv.Close()
		testkit.WaitFor(t, "every request finished once", func() bool {
			return s.counters.Started.Load() == s.counters.Finished.Load()
		})
		testkit.WaitFor(t, "every file closed", func() bool { return s.opened.Load() == s.closed.Load() })
	})
	return s
}

// Do sends c's request with the extra headers hdr (which win over c's)
// and returns what the client received.
func (s *Server) Do(t testing.TB, c Case, hdr http.Header) Result {
	t.Helper()
	req, err := http.NewRequest(c.Method, s.URL+c.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	var g *gate
	if c.Gated && c.Method != "HEAD" {
		g = &gate{release: make(chan struct{})}
		id := strconv.FormatInt(s.nextGate.Add(1), 10)
		s.gates.Store(id, g)
		defer s.gates.Delete(id)
		req.Header.Set("X-Kind-Gate", id)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Method, c.Path, err)
	}
	defer resp.Body.Close()
	var body []byte
	if g != nil {
		// Something of the first line must arrive while the view waits.
		br := bufio.NewReader(resp.Body)
		if _, err := br.Peek(1); err != nil && err != io.EOF {
			t.Fatalf("%s: reading the first chunk: %v", c.Name, err)
		}
		close(g.release)
		body, err = io.ReadAll(br)
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		t.Fatalf("%s: reading the body: %v", c.Name, err)
	}
	res := Result{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if g != nil {
		res.Streamed = g.streamed.Load()
		res.ViewNote, _ = g.note.Load().(string)
	}
	return res
}

// wait is what a gated view does after its first line.
func (s *Server) wait(r *manouche.Request) *gate {
	v, ok := s.gates.Load(r.Header().Get("X-Kind-Gate"))
	if !ok {
		return nil
	}
	g := v.(*gate)
	select {
	case <-g.release:
		g.streamed.Store(true)
	case <-time.After(s.gateWait):
	case <-r.Context().Done():
	}
	return g
}

func (s *Server) stream(r *manouche.Request) (*manouche.Response, error) {
	resp := response.Stream(func(ctx context.Context, w io.Writer) error {
		// What http.ResponseController reaches on a server's writer must
		// reach through every layer's wrapper of the stream.
		var notes []string
		if c, ok := w.(streamController); !ok {
			notes = append(notes, fmt.Sprintf("the stream's writer %T lacks Flush, FlushError or SetWriteDeadline", w))
		} else if err := c.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			notes = append(notes, "SetWriteDeadline: "+err.Error())
		}
		if _, err := w.Write(FirstLine); err != nil {
			return err
		}
		if c, ok := w.(streamController); ok {
			if err := c.FlushError(); err != nil {
				notes = append(notes, "FlushError: "+err.Error())
			}
			c.Flush()
		}
		if g := s.wait(r); g != nil {
			g.note.Store(strings.Join(notes, "; "))
		}
		_, err := w.Write(Body[len(FirstLine):])
		return err
	})
	resp.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return resp, nil
}

// streamController is what a stream's producer finds on its writer
// (manouche.StreamFunc).
type streamController interface {
	http.Flusher
	FlushError() error
	SetWriteDeadline(time.Time) error
}

// countedFile counts closes of the files the file view opens.
type countedFile struct {
	*os.File
	s    *Server
	once sync.Once
}

func (f *countedFile) Close() error {
	f.once.Do(func() { f.s.closed.Add(1) })
	return f.File.Close()
}

func (s *Server) fileView(r *manouche.Request) (*manouche.Response, error) {
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	s.opened.Add(1)
	return response.File(r, &countedFile{File: f, s: s},
		response.ContentType("text/plain; charset=utf-8"),
		response.ETag(`"kind-file"`),
		response.LastModified(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))), nil
}

func (s *Server) flush(r *manouche.Request) (*manouche.Response, error) {
	w := r.ResponseWriter()
	rc := http.NewResponseController(w)
	var notes []string
	if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
		notes = append(notes, "SetWriteDeadline: "+err.Error())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(200)
	if _, err := w.Write(FirstLine); err != nil {
		return nil, err
	}
	if err := rc.Flush(); err != nil {
		notes = append(notes, "Flush: "+err.Error())
	}
	if g := s.wait(r); g != nil {
		g.note.Store(strings.Join(notes, "; "))
	}
	if _, err := w.Write(Body[len(FirstLine):]); err != nil {
		return nil, err
	}
	// What the view returns is closed, never written.
	return response.Text("not written"), nil
}

func hijack(r *manouche.Request) (*manouche.Response, error) {
	conn, buf, err := http.NewResponseController(r.ResponseWriter()).Hijack()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(Body))
	buf.Write(Body)
	if err := buf.Flush(); err != nil {
		return nil, err
	}
	return response.Text("not written"), nil
}

// Decoded returns res.Body with its gzip Content-Encoding undone.
func Decoded(t testing.TB, res Result) []byte {
	t.Helper()
	if res.Header.Get("Content-Encoding") != "gzip" || len(res.Body) == 0 {
		return res.Body
	}
	zr, err := gzip.NewReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return b
}

// Check asserts what must hold for c whatever the middleware: the status,
// the body (decoded), no body for HEAD and 304, a HEAD's Content-Length
// that of the GET, streaming that still streams, and
// http.ResponseController working in the flushing view.
func Check(t testing.TB, c Case, res Result) {
	t.Helper()
	want := 200
	switch c.Name {
	case "ranged":
		want = 206
	case "not-modified":
		want = 304
	}
	if res.Status != want {
		t.Errorf("%s: status %d, want %d", c.Name, res.Status, want)
	}
	body := Decoded(t, res)
	switch {
	case c.Method == "HEAD" || c.Name == "not-modified":
		if len(res.Body) != 0 {
			t.Errorf("%s: %d body bytes, want none", c.Name, len(res.Body))
		}
	case !bytes.Equal(body, c.Want):
		t.Errorf("%s: body of %d bytes differs from the %d the view sent", c.Name, len(body), len(c.Want))
	}
	if c.Gated && !res.Streamed {
		t.Errorf("%s: the first chunk did not reach the client before the view went on: a layer buffers the stream", c.Name)
	}
	if res.ViewNote != "" {
		t.Errorf("%s: http.ResponseController in the view: %s", c.Name, res.ViewNote)
	}
	if c.Name == "head-file" || c.Name == "head-buffered" {
		// The headers of a GET, Content-Length included (SEMANTICS 60);
		// encoded, it is the encoded length, which only the encoder knows.
		if cl := res.Header.Get("Content-Length"); cl != "" && res.Header.Get("Content-Encoding") == "" && cl != strconv.Itoa(len(Body)) {
			t.Errorf("%s: Content-Length %s, want %d", c.Name, cl, len(Body))
		}
	}
}
