package response_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// countedFile is an in-memory file that counts its Close calls.
type countedFile struct {
	*bytes.Reader
	closes *atomic.Int64
}

func (f countedFile) Close() error { f.closes.Add(1); return nil }

const content = "0123456789abcdefghijklmnopqrstuvwxyz" // 36 bytes

var modTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fileServer serves content at /f/ through a handler over real HTTP, with
// the options given per test; it counts closes and lifecycle signals.
type fileServer struct {
	srv     *httptest.Server
	closes  atomic.Int64
	opened  atomic.Int64
	signals *testkit.Counters
}

func newFileServer(t *testing.T, mw []middleware.Factory, opts ...response.FileOption) *fileServer {
	t.Helper()
	fs := &fileServer{}
	view := func(r *manouche.Request) (*manouche.Response, error) {
		fs.opened.Add(1)
		f := countedFile{Reader: bytes.NewReader([]byte(content)), closes: &fs.closes}
		return response.File(r, f, append([]response.FileOption{
			response.Inline("data.txt"),
			response.ETag(`"v1"`),
			response.LastModified(modTime),
		}, opts...)...), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("f/", view)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{URLConf: conf, Middleware: mw, Settings: manouche.Settings{AllowedHosts: []string{"*"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	fs.signals = &testkit.Counters{}
	fs.signals.Connect(h.Signals())
	fs.srv = httptest.NewServer(h)
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fileServer) do(t *testing.T, method string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, fs.srv.URL+"/f/", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := fs.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// settled waits until every file opened was closed once and every request
// finished once.
func (fs *fileServer) settled(t *testing.T) {
	t.Helper()
	testkit.WaitFor(t, "every request finished", func() bool {
		return fs.signals.Finished.Load() == fs.signals.Started.Load()
	})
	if o, c := fs.opened.Load(), fs.closes.Load(); o != c {
		t.Errorf("%d files opened, %d closes: each must be closed exactly once", o, c)
	}
}

func TestFileRanges(t *testing.T) {
	fs := newFileServer(t, nil)
	for _, tc := range []struct {
		name   string
		method string
		hdr    []string
		status int
		body   string
		want   map[string]string
	}{
		{"whole", "GET", nil, 200, content, map[string]string{
			"Content-Length": "36", "Accept-Ranges": "bytes", "Content-Type": "text/plain; charset=utf-8",
			"Content-Disposition": `inline; filename="data.txt"`, "Etag": `"v1"`, "Last-Modified": "Fri, 02 Jan 2026 03:04:05 GMT",
		}},
		{"head", "HEAD", nil, 200, "", map[string]string{"Content-Length": "36", "Accept-Ranges": "bytes"}},
		{"bytes=0-", "GET", []string{"Range", "bytes=0-"}, 206, content, map[string]string{"Content-Range": "bytes 0-35/36", "Content-Length": "36"}},
		{"bytes=2-5", "GET", []string{"Range", "bytes=2-5"}, 206, "2345", map[string]string{"Content-Range": "bytes 2-5/36", "Content-Length": "4"}},
		{"suffix", "GET", []string{"Range", "bytes=-3"}, 206, "xyz", map[string]string{"Content-Range": "bytes 33-35/36", "Content-Length": "3"}},
		{"past the end cut", "GET", []string{"Range", "bytes=30-99"}, 206, "uvwxyz", map[string]string{"Content-Range": "bytes 30-35/36"}},
		{"head ranged", "HEAD", []string{"Range", "bytes=2-5"}, 206, "", map[string]string{"Content-Range": "bytes 2-5/36", "Content-Length": "4"}},
		{"unsatisfiable", "GET", []string{"Range", "bytes=36-"}, 416, "", map[string]string{"Content-Range": "bytes */36", "Content-Length": "0"}},
		{"malformed ignored", "GET", []string{"Range", "bytes=5-1"}, 200, content, map[string]string{"Content-Length": "36", "Content-Range": ""}},
		{"other unit ignored", "GET", []string{"Range", "items=0-1"}, 200, content, nil},
		{"POST ignores Range", "POST", []string{"Range", "bytes=0-1"}, 200, content, nil},
		{"If-Range etag matches", "GET", []string{"Range", "bytes=0-1", "If-Range", `"v1"`}, 206, "01", nil},
		{"If-Range etag differs", "GET", []string{"Range", "bytes=0-1", "If-Range", `"v0"`}, 200, content, nil},
		{"If-Range weak never matches", "GET", []string{"Range", "bytes=0-1", "If-Range", `W/"v1"`}, 200, content, nil},
		{"If-Range date matches", "GET", []string{"Range", "bytes=0-1", "If-Range", "Fri, 02 Jan 2026 03:04:05 GMT"}, 206, "01", nil},
		{"If-Range date differs", "GET", []string{"Range", "bytes=0-1", "If-Range", "Fri, 02 Jan 2026 03:04:06 GMT"}, 200, content, nil},
		{"too many ranges", "GET", []string{"Range", "bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16"}, 200, content, nil},
		{"overlapping past the size", "GET", []string{"Range", "bytes=0-30,1-30"}, 200, content, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fs.do(t, tc.method, tc.hdr...)
			if resp.StatusCode != tc.status || body != tc.body {
				t.Errorf("%d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
	fs.settled(t)
}

func TestFileMultipartRanges(t *testing.T) {
	fs := newFileServer(t, nil)
	resp, body := fs.do(t, "GET", "Range", "bytes=0-1, -2, 10-12")
	if resp.StatusCode != 206 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %s for a body of %d bytes", cl, len(body))
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	want := []struct{ rng, data string }{{"bytes 0-1/36", "01"}, {"bytes 34-35/36", "yz"}, {"bytes 10-12/36", "abc"}}
	for i, w := range want {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		data, _ := io.ReadAll(p)
		if p.Header.Get("Content-Range") != w.rng || string(data) != w.data || p.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("part %d: %q %q %q, want %q %q", i, p.Header.Get("Content-Range"), p.Header.Get("Content-Type"), data, w.rng, w.data)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after the parts: %v", err)
	}
	fs.settled(t)
}

// A response replaced by middleware (a 304, say) still closes its file,
// once, and the request finishes once (SEMANTICS 57).
func TestFileReplacedIsClosed(t *testing.T) {
	notModified := func(next middleware.Handler) (middleware.Middleware, error) {
		return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
			resp := next(r)
			if r.Header().Get("If-None-Match") == resp.Header().Get("Etag") {
				return response.NotModified(), nil
			}
			return resp, nil
		}), nil
	}
	fs := newFileServer(t, []middleware.Factory{notModified})
	for i := 0; i < 5; i++ {
		if resp, _ := fs.do(t, "GET", "If-None-Match", `"v1"`); resp.StatusCode != 304 {
			t.Fatalf("status %d, want 304", resp.StatusCode)
		}
	}
	fs.settled(t)
	if n := fs.signals.Finished.Load(); n != 5 {
		t.Errorf("request_finished %d times, want 5", n)
	}
}

// A client that hangs up half way through a big ranged body: the file is
// closed once and the request finishes once.
func TestFileClientHangsUp(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 8<<20)
	var closes atomic.Int64
	view := func(r *manouche.Request) (*manouche.Response, error) {
		return response.File(r, countedFile{Reader: bytes.NewReader(big), closes: &closes}), nil
	}
	conf, _ := urls.New([]urls.Pattern{urls.Path("big/", view)})
	h, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{AllowedHosts: []string{"*"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sig := &testkit.Counters{}
	sig.Connect(h.Signals())
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, rng := range []string{"", "bytes=0-", "bytes=100-", "bytes=-4000000"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		req := "GET /big/ HTTP/1.1\r\nHost: x\r\n"
		if rng != "" {
			req += "Range: " + rng + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		if _, err := io.ReadAtLeast(conn, buf, len(buf)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	testkit.WaitFor(t, "four requests finished", func() bool { return sig.Finished.Load() == 4 })
	testkit.WaitFor(t, "four files closed", func() bool { return closes.Load() == 4 })
	if s := sig.Started.Load(); s != 4 {
		t.Errorf("request_started %d, want 4", s)
	}
}

func TestFileHeaders(t *testing.T) {
	dir := t.TempDir()
	osFile := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(osFile, []byte("%PDF-1.7 fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    func(t *testing.T) io.ReadSeeker
		opts []response.FileOption
		want map[string]string
	}{
		{"os.File: name and size from the file", func(t *testing.T) io.ReadSeeker {
			f, err := os.Open(osFile)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}, nil, map[string]string{"Content-Type": "application/pdf", "Content-Length": "13", "Content-Disposition": ""}},
		{"position kept (SEMANTICS 54)", func(*testing.T) io.ReadSeeker {
			r := bytes.NewReader([]byte("binary content"))
			_, _ = r.Seek(10, io.SeekStart)
			return r
		}, nil, map[string]string{"Content-Length": "4", "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}},
		{"attachment without a name", rd, []response.FileOption{response.Attachment("")}, map[string]string{"Content-Disposition": "attachment"}},
		{"quotes escaped", rd, []response.FileOption{response.Attachment(`my "best" \ file.txt`)}, map[string]string{"Content-Disposition": `attachment; filename="my \"best\" \\ file.txt"`}},
		{"non-ASCII", rd, []response.FileOption{response.Attachment("résumé 1.pdf")}, map[string]string{"Content-Disposition": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%201.pdf", "Content-Type": "application/pdf"}},
		{"compressed sent as is", rd, []response.FileOption{response.Inline("dump.tar.gz")}, map[string]string{"Content-Type": "application/gzip", "Content-Encoding": ""}},
		{"brotli sent as is", rd, []response.FileOption{response.Inline("app.js.br")}, map[string]string{"Content-Type": "application/x-brotli"}},
		{"explicit type", rd, []response.FileOption{response.ContentType("text/csv"), response.Inline("x.pdf")}, map[string]string{"Content-Type": "text/csv"}},
		{"unknown size: no length, no ranges", func(*testing.T) io.ReadSeeker { return noSeek{strings.NewReader("abc")} }, nil,
			map[string]string{"Content-Length": "", "Accept-Ranges": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, "GET", "/")
			resp := response.File(r, tc.f(t), tc.opts...)
			defer resp.Close()
			for k, v := range tc.want {
				if got := resp.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func rd(*testing.T) io.ReadSeeker { return bytes.NewReader([]byte("abc")) }

// noSeek is a reader whose Seek fails, as a pipe's.
type noSeek struct{ io.Reader }

func (noSeek) Seek(int64, int) (int64, error) { return 0, errors.New("illegal seek") }

func newRequest(t *testing.T, method, target string, hdr ...string) *manouche.Request {
	t.Helper()
	hr := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		hr.Header.Set(hdr[i], hdr[i+1])
	}
	return manouche.NewRequest(nil, hr, nil, nil, "", hr.URL.Path)
}

// SEMANTICS 54: a file read from its current position.
func TestFileFromPosition_54(t *testing.T) {
	for _, tc := range []struct{ rng, body string }{{"", "tent"}, {"bytes=1-2", "en"}, {"bytes=-1", "t"}} {
		f := bytes.NewReader([]byte("binary content"))
		_, _ = f.Seek(10, io.SeekStart)
		r := newRequest(t, "GET", "/", "Range", tc.rng)
		resp := response.File(r, f)
		var b bytes.Buffer
		if err := resp.Stream()(r.Context(), &b); err != nil || b.String() != tc.body {
			t.Errorf("Range %q: body %q (%v), want %q", tc.rng, b.String(), err, tc.body)
		}
		resp.Close()
	}
}
