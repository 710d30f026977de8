package middleware_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/internal/testkit"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// staticMTime is the modification time of every fixture file.
var staticMTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// staticSecret is the content of files that must never be served.
const staticSecret = "TOP-SECRET-NOT-A-STATIC-FILE"

// staticFixture is a StaticRoot with files of every kind, next to a
// directory outside it that holds a secret.
type staticFixture struct {
	root, outside string
	appCSS, appGz []byte
	appBr         []byte
	big           []byte
}

func staticWrite(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, staticMTime, staticMTime); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newStaticFixture(t testing.TB) *staticFixture {
	t.Helper()
	base := t.TempDir()
	fx := &staticFixture{root: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	fx.appCSS = bytes.Repeat([]byte("body { color: #333; } /* some padding */\n"), 50)
	fx.appGz = gzipBytes(t, fx.appCSS)
	fx.appBr = []byte("pretend brotli: the middleware sends .br files as they are")
	fx.big = bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	for name, b := range map[string][]byte{
		"css/app.css":               fx.appCSS,
		"css/app.css.gz":            fx.appGz,
		"css/app.css.br":            fx.appBr,
		"css/gzonly.css":            fx.appCSS,
		"css/gzonly.css.gz":         fx.appGz,
		"js/app.0123456789ab.js":    []byte("console.log('hashed');\n"),
		"js/plain.js":               []byte("console.log('plain');\n"),
		"fonts/f.v2.woff2":          []byte("wOF2 pretend font"),
		"img/logo.png":              []byte("\x89PNG\r\n\x1a\n pretend image"),
		"orphan.txt.gz":             fx.appGz,
		"big.bin":                   fx.big,
		".secret":                   []byte(staticSecret),
		".git/config":               []byte(staticSecret),
		"css/.hidden.css":           []byte(staticSecret),
		`weird\name.txt`:            []byte(staticSecret),
		middleware.ManifestName:     []byte(`{"paths": {"fonts/f.woff2": "fonts/f.v2.woff2", "js/app.js": "js/app.0123456789ab.js"}, "version": "1.1", "hash": "000000000000"}`),
		"deep/er/still/deeper.txt":  []byte("deep"),
		"with space/file name.txt":  []byte("spaced"),
		"unicode/caf\u00e9.txt":     []byte("caf\u00e9"),
		"percent/100%25sure.txt":    []byte("literal percent-two-five in the name"),
		"dots/..double.txt":         []byte(staticSecret), // a part starting with a dot
		"dots/trailing.dot.":        []byte("trailing dot"),
		"css/app.css.gz.unrelated":  []byte("not a sibling"),
		"nested/app.css.br.orphan/": nil, // a directory, made below
	} {
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(filepath.Join(fx.root, name), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		staticWrite(t, fx.root, name, b)
	}
	staticWrite(t, fx.outside, "secret.txt", []byte(staticSecret))
	for link, target := range map[string]string{
		"link-out.txt":     filepath.Join(fx.outside, "secret.txt"),
		"link-rel-out.txt": "../outside/secret.txt",
		"linkdir":          fx.outside,
		"linkdir-rel":      "../outside",
		"link-in.css":      "css/app.css",
		"link-dangling":    "nowhere.txt",
	} {
		if err := os.Symlink(target, filepath.Join(fx.root, link)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	return fx
}

// staticETag is the ETag the middleware gives a file of size bytes with
// the fixture's modification time.
func staticETag(size int, encoding string) string {
	tag := `"` + strconv.FormatInt(staticMTime.Unix(), 16) + "-" + strconv.FormatInt(int64(size), 16)
	if encoding != "" {
		tag += "-" + encoding
	}
	return tag + `"`
}

// countFS wraps a file system and counts the files opened and closed,
// and closes of a file already closed.
type countFS struct {
	fsys           fs.FS
	opens, closes  atomic.Int64
	doubleCloses   atomic.Int64
	mu             sync.Mutex
	opened         map[string]int
	failOpen       atomic.Bool // Open fails with a permission error
	notExistOnOpen atomic.Bool // Open fails as if the file were removed
}

func newCountFS(fsys fs.FS) *countFS { return &countFS{fsys: fsys, opened: map[string]int{}} }

func (c *countFS) Open(name string) (fs.File, error) {
	if c.failOpen.Load() && name != middleware.ManifestName {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	if c.notExistOnOpen.Load() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := c.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	c.opens.Add(1)
	c.mu.Lock()
	c.opened[name]++
	c.mu.Unlock()
	return &countFile{File: f, c: c}, nil
}

func (c *countFS) Stat(name string) (fs.FileInfo, error)      { return fs.Stat(c.fsys, name) }
func (c *countFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(c.fsys, name) }
func (c *countFS) balanced() bool                             { return c.opens.Load() == c.closes.Load() }

func (c *countFS) String() string {
	return fmt.Sprintf("%d opened, %d closed, %d closed twice", c.opens.Load(), c.closes.Load(), c.doubleCloses.Load())
}

func (c *countFS) openedNames() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.opened)
}

type countFile struct {
	fs.File
	c      *countFS
	closed atomic.Bool
}

func (f *countFile) Seek(off int64, whence int) (int64, error) {
	return f.File.(io.Seeker).Seek(off, whence)
}

func (f *countFile) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		f.c.doubleCloses.Add(1)
		return fs.ErrClosed
	}
	f.c.closes.Add(1)
	return f.File.Close()
}

// staticSite is a handler with the Static middleware over a real server.
type staticSite struct {
	fx       *staticFixture
	settings manouche.Settings
	h        *handler.Handler
	srv      *httptest.Server
	client   *http.Client
	counters *testkit.Counters
	fs       *countFS // nil when StaticRoot is served directly
	sent     atomic.Int64
}

type staticSiteOptions struct {
	debug   bool
	direct  bool                 // serve StaticRoot itself, not a counting wrapper of os.Root
	outer   []middleware.Factory // layers outside Static
	maxAge  time.Duration
	fixture *staticFixture
}

// appViews are the application's routes, to tell its answers from the
// middleware's.
func appViews() []urls.Pattern {
	return []urls.Pattern{
		urls.Path("app/", func(*manouche.Request) (*manouche.Response, error) { return response.Text("the app"), nil }),
		urls.Path("static/from-app.txt", func(*manouche.Request) (*manouche.Response, error) { return response.Text("from the app"), nil }),
	}
}

func newStaticSite(t testing.TB, o staticSiteOptions) *staticSite {
	t.Helper()
	fx := o.fixture
	if fx == nil {
		fx = newStaticFixture(t)
	}
	s := &staticSite{fx: fx, counters: &testkit.Counters{}}
	s.settings = manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/", StaticRoot: fx.root, Debug: o.debug}
	cfg := middleware.StaticConfig{Settings: s.settings, MaxAge: o.maxAge}
	if !o.direct {
		root, err := os.OpenRoot(fx.root)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { root.Close() })
		s.fs = newCountFS(root.FS())
		cfg.FS = s.fs
	}
	conf, err := urls.New(appViews())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   s.settings,
		URLConf:    conf,
		Middleware: append(slices.Clone(o.outer), middleware.Static(cfg)),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	s.counters.Connect(h.Signals())
	s.srv = httptest.NewServer(h)
	tr := &http.Transport{DisableCompression: true}
	s.client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.srv.Close()
	})
	return s
}

// do sends a request with headers given as name, value pairs and returns
// the response with its body read.
func (s *staticSite) do(t testing.TB, method, target string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	s.sent.Add(1)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// raw sends target exactly as given in the request line, over its own
// connection, and returns the response with its body read.
func (s *staticSite) raw(t testing.TB, method, target string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", s.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s.sent.Add(1)
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", method, target); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// settle waits until every request sent has finished, then checks that
// request_started and request_finished each fired once per request and
// that every file opened was closed exactly once.
func (s *staticSite) settle(t testing.TB) {
	t.Helper()
	n := s.sent.Load()
	testkit.WaitFor(t, "request_finished for every request", func() bool {
		return s.counters.Finished.Load() == n && (s.fs == nil || s.fs.balanced())
	})
	if got := s.counters.Started.Load(); got != n {
		t.Errorf("request_started fired %d times for %d requests", got, n)
	}
	if got := s.counters.Finished.Load(); got != n {
		t.Errorf("request_finished fired %d times for %d requests", got, n)
	}
	if s.fs != nil {
		if !s.fs.balanced() || s.fs.doubleCloses.Load() != 0 {
			t.Errorf("files: %s", s.fs)
		}
	}
}

// staticCase is one request and what must come back. A header wanted as
// "" must be absent.
type staticCase struct {
	name    string
	method  string
	target  string
	hdr     []string
	status  int
	headers map[string]string
	body    []byte // nil: not checked, unless empty is set
	empty   bool
	check   func(t *testing.T, resp *http.Response, body []byte)
}

func (tc staticCase) run(t *testing.T, s *staticSite) {
	t.Helper()
	method := tc.method
	if method == "" {
		method = http.MethodGet
	}
	resp, body := s.do(t, method, tc.target, tc.hdr...)
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d; body %.200q", resp.StatusCode, tc.status, body)
	}
	for k, want := range tc.headers {
		got, present := resp.Header.Get(k), len(resp.Header.Values(k)) > 0
		if want == "" && present {
			t.Errorf("%s: %q, want none", k, got)
		} else if want != "" && got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if tc.body != nil && !bytes.Equal(body, tc.body) {
		t.Errorf("body %.120q (%d bytes), want %.120q (%d bytes)", body, len(body), tc.body, len(tc.body))
	}
	if tc.empty && len(body) != 0 {
		t.Errorf("body %.120q, want none", body)
	}
	if bytes.Contains(body, []byte(staticSecret)) {
		t.Errorf("the secret was served")
	}
	if tc.check != nil {
		tc.check(t, resp, body)
	}
}

func TestStaticResponses(t *testing.T) {
	s := newStaticSite(t, staticSiteOptions{})
	fx := s.fx
	css, gz, br := fx.appCSS, fx.appGz, fx.appBr
	lm := staticMTime.Format(http.TimeFormat)
	etag, gzTag, brTag := staticETag(len(css), ""), staticETag(len(gz), "gzip"), staticETag(len(br), "br")
	cssType := "text/css; charset=utf-8"
	size := strconv.Itoa(len(css))
	full := map[string]string{
		"Content-Type": cssType, "Content-Length": size, "Accept-Ranges": "bytes",
		"Etag": etag, "Last-Modified": lm, "Cache-Control": "max-age=60, public",
		"Vary": "Accept-Encoding", "Content-Encoding": "",
	}
	notModified := map[string]string{
		"Etag": etag, "Last-Modified": lm, "Cache-Control": "max-age=60, public",
		"Vary": "Accept-Encoding", "Content-Type": "", "Content-Encoding": "",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	const app = "/static/css/app.css"
	cases := []staticCase{
		{name: "GET", target: app, status: 200, headers: full, body: css},
		{name: "query ignored", target: app + "?v=3", status: 200, headers: full, body: css},
		{name: "HEAD", method: "HEAD", target: app, status: 200, headers: full, empty: true},
		{name: "HEAD range", method: "HEAD", target: app, hdr: []string{"Range", "bytes=0-9"}, status: 206, empty: true,
			headers: map[string]string{"Content-Range": "bytes 0-9/" + size, "Content-Length": "10"}},
		{name: "range bytes=0-", target: app, hdr: []string{"Range", "bytes=0-"}, status: 206, body: css,
			headers: with(full, "Content-Range", "bytes 0-"+strconv.Itoa(len(css)-1)+"/"+size)},
		{name: "range bytes=10-19", target: app, hdr: []string{"Range", "bytes=10-19"}, status: 206, body: css[10:20],
			headers: with(full, "Content-Range", "bytes 10-19/"+size, "Content-Length", "10")},
		{name: "range bytes=0-0", target: app, hdr: []string{"Range", "bytes=0-0"}, status: 206, body: css[:1],
			headers: with(full, "Content-Range", "bytes 0-0/"+size, "Content-Length", "1")}, // WhiteNoise answers 416 (SEMANTICS 112)
		{name: "suffix range", target: app, hdr: []string{"Range", "bytes=-5"}, status: 206, body: css[len(css)-5:],
			headers: with(full, "Content-Range", fmt.Sprintf("bytes %d-%d/%s", len(css)-5, len(css)-1, size), "Content-Length", "5")},
		{name: "unsatisfiable range", target: app, hdr: []string{"Range", "bytes=99999-"}, status: 416, empty: true,
			headers: map[string]string{"Content-Range": "bytes */" + size, "Content-Length": "0", "Etag": etag, "Content-Encoding": ""}},
		{name: "malformed range ignored", target: app, hdr: []string{"Range", "bytes=x-y"}, status: 200, body: css, headers: full},
		{name: "If-Range matches", target: app, hdr: []string{"Range", "bytes=0-3", "If-Range", etag}, status: 206, body: css[:4]},
		{name: "If-Range stale", target: app, hdr: []string{"Range", "bytes=0-3", "If-Range", `"old"`}, status: 200, body: css},
		{name: "multi-range", target: app, hdr: []string{"Range", "bytes=0-3,-4"}, status: 206,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				if err != nil || mt != "multipart/byteranges" {
					t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
				}
				if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %s for %d bytes", cl, len(body))
				}
				mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
				for i, want := range []struct {
					cr   string
					body []byte
				}{{"bytes 0-3/" + size, css[:4]}, {fmt.Sprintf("bytes %d-%d/%s", len(css)-4, len(css)-1, size), css[len(css)-4:]}} {
					p, err := mr.NextPart()
					if err != nil {
						t.Fatalf("part %d: %v", i, err)
					}
					got, _ := io.ReadAll(p)
					if p.Header.Get("Content-Range") != want.cr || !bytes.Equal(got, want.body) || p.Header.Get("Content-Type") != cssType {
						t.Errorf("part %d: %q %q %q, want %q %q", i, p.Header.Get("Content-Range"), p.Header.Get("Content-Type"), got, want.cr, want.body)
					}
				}
				if _, err := mr.NextPart(); err != io.EOF {
					t.Errorf("a third part: %v", err)
				}
			}},
		// Conditional GET (304: no body, no Content-Type; the validators,
		// Cache-Control and Vary kept — SEMANTICS 58–59).
		{name: "If-None-Match", target: app, hdr: []string{"If-None-Match", etag}, status: 304, headers: notModified, empty: true},
		{name: "If-None-Match weak", target: app, hdr: []string{"If-None-Match", "W/" + etag}, status: 304, headers: notModified, empty: true},
		{name: "If-None-Match list", target: app, hdr: []string{"If-None-Match", `"nope", ` + etag}, status: 304, empty: true},
		{name: "If-None-Match star", target: app, hdr: []string{"If-None-Match", "*"}, status: 304, empty: true},
		{name: "If-None-Match HEAD", method: "HEAD", target: app, hdr: []string{"If-None-Match", etag}, status: 304, empty: true},
		{name: "If-None-Match other", target: app, hdr: []string{"If-None-Match", `"other"`}, status: 200, body: css},
		{name: "If-None-Match beats If-Modified-Since", target: app, hdr: []string{"If-None-Match", `"other"`, "If-Modified-Since", lm}, status: 200, body: css},
		{name: "If-None-Match with a range", target: app, hdr: []string{"If-None-Match", etag, "Range", "bytes=0-3"}, status: 304, empty: true},
		{name: "If-Modified-Since equal", target: app, hdr: []string{"If-Modified-Since", lm}, status: 304, headers: notModified, empty: true},
		{name: "If-Modified-Since later", target: app, hdr: []string{"If-Modified-Since", staticMTime.Add(time.Hour).Format(http.TimeFormat)}, status: 304, empty: true},
		{name: "If-Modified-Since earlier", target: app, hdr: []string{"If-Modified-Since", staticMTime.Add(-time.Second).Format(http.TimeFormat)}, status: 200, body: css},
		{name: "If-Modified-Since malformed", target: app, hdr: []string{"If-Modified-Since", "last week"}, status: 200, body: css},
		// Precompressed siblings.
		{name: "gzip", target: app, hdr: []string{"Accept-Encoding", "gzip"}, status: 200, body: gz,
			headers: with(full, "Content-Encoding", "gzip", "Content-Length", strconv.Itoa(len(gz)), "Etag", gzTag, "Content-Type", cssType)},
		{name: "br preferred", target: app, hdr: []string{"Accept-Encoding", "gzip, deflate, br"}, status: 200, body: br,
			headers: with(full, "Content-Encoding", "br", "Content-Length", strconv.Itoa(len(br)), "Etag", brTag)},
		{name: "br refused", target: app, hdr: []string{"Accept-Encoding", "br;q=0, gzip"}, status: 200, body: gz,
			headers: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}},
		{name: "gzip weighed higher", target: app, hdr: []string{"Accept-Encoding", "br;q=0.2, gzip;q=0.9"}, status: 200, body: gz},
		{name: "both refused", target: app, hdr: []string{"Accept-Encoding", "br;q=0, gzip;q=0"}, status: 200, body: css,
			headers: map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}},
		{name: "star", target: app, hdr: []string{"Accept-Encoding", "*"}, status: 200, body: css, headers: map[string]string{"Content-Encoding": ""}},
		{name: "identity", target: app, hdr: []string{"Accept-Encoding", "identity"}, status: 200, body: css, headers: full},
		{name: "x-gzip", target: app, hdr: []string{"Accept-Encoding", "x-gzip"}, status: 200, body: gz},
		{name: "gzip only sibling", target: "/static/css/gzonly.css", hdr: []string{"Accept-Encoding", "br, gzip"}, status: 200, body: gz,
			headers: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}},
		{name: "gzip only sibling, br only client", target: "/static/css/gzonly.css", hdr: []string{"Accept-Encoding", "br"}, status: 200, body: css,
			headers: map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}},
		{name: "gzip range applies to the encoding", target: app, hdr: []string{"Accept-Encoding", "gzip", "Range", "bytes=0-9"}, status: 206, body: gz[:10],
			headers: map[string]string{"Content-Encoding": "gzip", "Content-Range": fmt.Sprintf("bytes 0-9/%d", len(gz)), "Etag": gzTag}},
		{name: "gzip unsatisfiable", target: app, hdr: []string{"Accept-Encoding", "gzip", "Range", fmt.Sprintf("bytes=%d-", len(gz))}, status: 416, empty: true,
			headers: map[string]string{"Content-Range": fmt.Sprintf("bytes */%d", len(gz)), "Etag": gzTag}},
		{name: "gzip If-None-Match", target: app, hdr: []string{"Accept-Encoding", "gzip", "If-None-Match", gzTag}, status: 304, empty: true,
			headers: map[string]string{"Etag": gzTag, "Vary": "Accept-Encoding"}},
		{name: "identity ETag does not match gzip", target: app, hdr: []string{"Accept-Encoding", "gzip", "If-None-Match", etag}, status: 200, body: gz},
		{name: "gzip If-Range of the identity", target: app, hdr: []string{"Accept-Encoding", "gzip", "Range", "bytes=0-3", "If-Range", etag}, status: 200, body: gz},
		// Caching.
		{name: "hashed name immutable", target: "/static/js/app.0123456789ab.js", status: 200, body: []byte("console.log('hashed');\n"),
			headers: map[string]string{"Cache-Control": middleware.StaticImmutable, "Vary": "", "Content-Type": "text/javascript; charset=utf-8"}},
		{name: "hashed in the manifest", target: "/static/fonts/f.v2.woff2", status: 200,
			headers: map[string]string{"Cache-Control": middleware.StaticImmutable, "Content-Type": "font/woff2"}},
		{name: "plain name", target: "/static/js/plain.js", status: 200, headers: map[string]string{"Cache-Control": "max-age=60, public", "Vary": ""}},
		{name: "binary", target: "/static/img/logo.png", status: 200, headers: map[string]string{"Content-Type": "image/png"}},
		{name: "manifest served", target: "/static/staticfiles.json", status: 200, headers: map[string]string{"Content-Type": "application/json"}},
		{name: "orphan .gz served as itself", target: "/static/orphan.txt.gz", status: 200, body: gz,
			headers: map[string]string{"Content-Type": "application/gzip", "Content-Encoding": ""}},
		{name: "escaped space", target: "/static/with%20space/file%20name.txt", status: 200, body: []byte("spaced")},
		{name: "non-ASCII", target: "/static/unicode/caf%C3%A9.txt", status: 200, body: []byte("caf\u00e9")},
		{name: "percent in the name", target: "/static/percent/100%2525sure.txt", status: 200},
		{name: "trailing dot", target: "/static/dots/trailing.dot.", status: 200, body: []byte("trailing dot")},
		{name: "deep", target: "/static/deep/er/still/deeper.txt", status: 200, body: []byte("deep")},
		{name: "symlink inside the root", target: "/static/link-in.css", status: 200, body: css},
		// Methods: 405 only for a static file.
		{name: "POST", method: "POST", target: app, status: 405, headers: map[string]string{"Allow": "GET, HEAD"}, empty: true},
		{name: "DELETE", method: "DELETE", target: app, status: 405, headers: map[string]string{"Allow": "GET, HEAD"}},
		{name: "OPTIONS", method: "OPTIONS", target: app, status: 405, headers: map[string]string{"Allow": "GET, HEAD"}},
		{name: "POST elsewhere reaches the app", method: "POST", target: "/static/missing.css", status: 404},
		// Everything else goes on to the application: the 404 is its own, as
		// with WhiteNoise.
		{name: "missing", target: "/static/css/missing.css", status: 404, headers: map[string]string{"Cache-Control": ""}},
		{name: "app route under the prefix", target: "/static/from-app.txt", status: 200, body: []byte("from the app")},
		{name: "outside the prefix", target: "/app/", status: 200, body: []byte("the app")},
		{name: "prefix itself", target: "/static/", status: 404},
		{name: "prefix without slash", target: "/static", status: 404},
		{name: "directory", target: "/static/css", status: 404},
		{name: "directory slash", target: "/static/css/", status: 404},
		{name: "sibling by its own name", target: "/static/css/app.css.gz", status: 404},
		{name: "br sibling by its own name", target: "/static/css/app.css.br", status: 404},
		{name: "not a sibling", target: "/static/css/app.css.gz.unrelated", status: 200},
		{name: "case matters", target: "/static/CSS/APP.CSS", status: 404},
		{name: "dangling link", target: "/static/link-dangling", status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
	s.settle(t)
}

// TestStaticPathEscapes sends, over a real connection and byte for byte,
// request targets that try to leave StaticRoot: each goes on to the
// application (404), nothing outside the index is opened, and the secret
// is never sent. The table runs against StaticRoot itself (os.Root) and a
// counting wrapper of it, with Debug off and on (Debug looks names up on
// disk).
func TestStaticPathEscapes(t *testing.T) {
	targets := func(fx *staticFixture) []string {
		abs := filepath.ToSlash(filepath.Join(fx.outside, "secret.txt"))
		return []string{
			"/static/../outside/secret.txt",
			"/static/../../../../../../etc/passwd",
			"/static/css/../../outside/secret.txt",
			"/static/%2e%2e/outside/secret.txt",
			"/static/%2E%2E/%2e%2E/etc/passwd",
			"/static/.%2e/outside/secret.txt",
			"/static/css/..%2f..%2foutside%2fsecret.txt",
			"/static/%2e%2e%2foutside%2fsecret.txt",
			"/static/%252e%252e/outside/secret.txt",
			`/static/..\outside\secret.txt`,
			`/static/css\..\..\outside\secret.txt`,
			"/static/..%5coutside%5csecret.txt",
			"/static/%5c..%5c..%5coutside%5csecret.txt",
			`/static/weird\name.txt`,
			"/static/weird%5cname.txt",
			"/static/css/app.css%00",
			"/static/css/app.css%00.txt",
			"/static/%00/../outside/secret.txt",
			"/static//etc/passwd",
			"/static/%2fetc%2fpasswd",
			"/static/" + abs,
			"/static/" + strings.ReplaceAll(abs, "/", "%2f"),
			"/static/link-out.txt",
			"/static/link-rel-out.txt",
			"/static/linkdir/secret.txt",
			"/static/linkdir-rel/secret.txt",
			"/static/.secret",
			"/static/.git/config",
			"/static/css/.hidden.css",
			"/static/dots/..double.txt",
			"/static/./css/app.css",
			"/static/css/./app.css",
			"/static/css//app.css",
			"/static/css/app.css/",
			"/static/css/app.css/.",
			"/static/css/app.css/..",
			"/static/C:/Windows/win.ini",
			"/static/~/secret.txt",
		}
	}
	for _, debug := range []bool{false, true} {
		for _, direct := range []bool{true, false} {
			t.Run(fmt.Sprintf("debug=%v/direct=%v", debug, direct), func(t *testing.T) {
				s := newStaticSite(t, staticSiteOptions{debug: debug, direct: direct})
				for _, target := range targets(s.fx) {
					for _, method := range []string{"GET", "HEAD", "POST"} {
						resp, body := s.raw(t, method, target)
						if resp.StatusCode != 404 {
							t.Errorf("%s %s: status %d, want the app's 404", method, target, resp.StatusCode)
						}
						if bytes.Contains(body, []byte(staticSecret)) {
							t.Errorf("%s %s: the secret was served", method, target)
						}
					}
				}
				s.settle(t)
				if s.fs != nil {
					for name := range s.fs.openedNames() {
						if name != middleware.ManifestName {
							t.Errorf("opened %q", name)
						}
					}
				}
			})
		}
	}
}

// TestStaticIndex checks what the index holds: the allow-list.
func TestStaticIndex(t *testing.T) {
	fx := newStaticFixture(t)
	settings := manouche.Settings{StaticURL: "/static/", StaticRoot: fx.root}
	m, err := middleware.Static(middleware.StaticConfig{Settings: settings})(func(*manouche.Request) *manouche.Response { return response.Text("next") })
	if err != nil {
		t.Fatal(err)
	}
	got := middleware.StaticIndexNames(m)
	want := []string{
		"big.bin", "css/app.css", "css/app.css.gz.unrelated", "css/gzonly.css",
		"deep/er/still/deeper.txt", "dots/trailing.dot.", "fonts/f.v2.woff2", "img/logo.png",
		"js/app.0123456789ab.js", "js/plain.js", "link-in.css", "orphan.txt.gz",
		"percent/100%25sure.txt", "staticfiles.json", "unicode/caf\u00e9.txt", "with space/file name.txt",
	}
	if !slices.Equal(got, want) {
		t.Errorf("index:\n got %q\nwant %q", got, want)
	}
}

// TestStaticClosesEveryFile ends requests in every way — written whole,
// HEAD, ranges, 416, 304, an outer layer replacing the response, the
// client going away half way, a file gone after indexing, an open that
// fails — under the garbage collector, and checks that every file opened
// is closed exactly once and that request_started and request_finished
// pair up (DESIGN promise 1; SEMANTICS 57, 107–111).
func TestStaticClosesEveryFile(t *testing.T) {
	replace := &replacer{}
	s := newStaticSite(t, staticSiteOptions{outer: []middleware.Factory{middleware.Hooks(replace)}})
	const app = "/static/css/app.css"
	for i := 0; i < 20; i++ {
		for _, hdr := range [][]string{
			nil,
			{"Range", "bytes=0-"},
			{"Range", "bytes=-7"},
			{"Range", "bytes=1-2,5-6"},
			{"Range", "bytes=999999-"},
			{"Accept-Encoding", "gzip", "Range", "bytes=3-"},
			{"If-None-Match", staticETag(len(s.fx.appCSS), "")},
			{"X-Replace", "yes"},
			{"X-Replace", "yes", "Range", "bytes=0-"},
		} {
			s.do(t, "GET", app, hdr...)
			s.do(t, "HEAD", app, hdr...)
		}
		runtime.GC()
	}
	if replace.n.Load() == 0 {
		t.Fatal("the outer layer replaced nothing")
	}

	// The client goes away after the first bytes of a large file.
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("GET", s.srv.URL+"/static/big.bin", nil)
		s.sent.Add(1)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 1024)); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	// An open that fails: a server error, nothing left open.
	s.fs.failOpen.Store(true)
	if resp, _ := s.do(t, "GET", app); resp.StatusCode != 500 {
		t.Errorf("failing open: status %d, want 500", resp.StatusCode)
	}
	s.fs.failOpen.Store(false)
	// A file removed since it was indexed: the application's 404.
	s.fs.notExistOnOpen.Store(true)
	if resp, _ := s.do(t, "GET", app); resp.StatusCode != 404 {
		t.Errorf("removed file: status %d, want 404", resp.StatusCode)
	}
	s.fs.notExistOnOpen.Store(false)

	runtime.GC()
	runtime.GC()
	s.settle(t)
	if s.fs.opens.Load() < 200 {
		t.Errorf("only %d files opened", s.fs.opens.Load())
	}
}

// replacer is an outer layer that replaces the response when asked to.
type replacer struct{ n atomic.Int64 }

func (rp *replacer) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	if r.Header().Get("X-Replace") == "" {
		return resp, nil
	}
	rp.n.Add(1)
	return response.Text("replaced"), nil
}

// TestStaticFileDescriptors serves StaticRoot itself (os.Root, no
// wrapper) and checks that the process holds as many descriptors after
// many requests as before.
func TestStaticFileDescriptors(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	fx := newStaticFixture(t)
	settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/", StaticRoot: fx.root}
	conf, err := urls.New(appViews())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})}})
	if err != nil {
		t.Fatal(err)
	}
	var c testkit.Counters
	c.Connect(h.Signals())
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	before := fds()
	n := 0
	for i := 0; i < 50; i++ {
		for _, hdr := range [][]string{nil, {"Range", "bytes=0-"}, {"Range", "bytes=0-1,3-4"}, {"Range", "bytes=999999-"}, {"Accept-Encoding", "br"}, {"If-Modified-Since", staticMTime.Format(http.TimeFormat)}} {
			for _, method := range []string{"GET", "HEAD"} {
				req := httptest.NewRequest(method, "/static/css/app.css", nil)
				for j := 0; j+1 < len(hdr); j += 2 {
					req.Header.Set(hdr[j], hdr[j+1])
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				n++
				if rec.Code >= 500 {
					t.Fatalf("status %d", rec.Code)
				}
			}
		}
	}
	if after := fds(); after != before {
		t.Errorf("%d file descriptors before %d requests, %d after", before, n, after)
	}
	if c.Started.Load() != int64(n) || c.Finished.Load() != int64(n) {
		t.Errorf("started %d, finished %d, for %d requests", c.Started.Load(), c.Finished.Load(), n)
	}
}

// TestStaticDebug: with Debug, a name is checked on disk again on each
// request, so new, changed and removed files and siblings are seen; the
// max-age is 0.
func TestStaticDebug(t *testing.T) {
	s := newStaticSite(t, staticSiteOptions{debug: true, direct: true})
	root := s.fx.root
	resp, body := s.do(t, "GET", "/static/js/plain.js")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "max-age=0, public" || string(body) != "console.log('plain');\n" {
		t.Fatalf("plain.js: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	if resp, _ := s.do(t, "GET", "/static/js/app.0123456789ab.js"); resp.Header.Get("Cache-Control") != middleware.StaticImmutable {
		t.Errorf("hashed name with Debug: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}

	// A file added after start.
	if resp, _ := s.do(t, "GET", "/static/new/added.css"); resp.StatusCode != 404 {
		t.Fatalf("not yet there: %d", resp.StatusCode)
	}
	staticWrite(t, root, "new/added.css", []byte("a { }"))
	resp, body = s.do(t, "GET", "/static/new/added.css")
	if resp.StatusCode != 200 || string(body) != "a { }" || resp.Header.Get("Vary") != "" {
		t.Fatalf("added: %d %q Vary %q", resp.StatusCode, body, resp.Header.Get("Vary"))
	}
	oldTag := resp.Header.Get("Etag")

	// Changed: new content, new ETag; the old ETag no longer gives 304.
	p := filepath.Join(root, "new", "added.css")
	if err := os.WriteFile(p, []byte("a { color: red }"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := staticMTime.Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	resp, body = s.do(t, "GET", "/static/new/added.css", "If-None-Match", oldTag)
	if resp.StatusCode != 200 || string(body) != "a { color: red }" || resp.Header.Get("Etag") == oldTag ||
		resp.Header.Get("Last-Modified") != later.Format(http.TimeFormat) {
		t.Fatalf("changed: %d %q %s %s", resp.StatusCode, body, resp.Header.Get("Etag"), resp.Header.Get("Last-Modified"))
	}

	// A sibling added: chosen, and Vary appears.
	gz := gzipBytes(t, []byte("a { color: red }"))
	staticWrite(t, root, "new/added.css.gz", gz)
	resp, body = s.do(t, "GET", "/static/new/added.css", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || !bytes.Equal(body, gz) || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("sibling: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	if resp, _ := s.do(t, "GET", "/static/new/added.css.gz"); resp.StatusCode != 404 {
		t.Errorf("sibling by its own name: %d", resp.StatusCode)
	}

	// Removed: the application's 404, also for an indexed file.
	for _, name := range []string{"new/added.css", "js/plain.js"} {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
		if resp, _ := s.do(t, "GET", "/static/"+name); resp.StatusCode != 404 {
			t.Errorf("removed %s: %d", name, resp.StatusCode)
		}
	}
	// A link made to lead outside after start is still refused.
	if err := os.Symlink(filepath.Join(s.fx.outside, "secret.txt"), filepath.Join(root, "late-link.txt")); err != nil {
		t.Fatal(err)
	}
	if resp, body := s.do(t, "GET", "/static/late-link.txt"); resp.StatusCode != 404 || bytes.Contains(body, []byte(staticSecret)) {
		t.Errorf("late link: %d", resp.StatusCode)
	}
	s.settle(t)
}

// TestStaticIndexFixed: without Debug the index is built once; files
// added later are not served until the handler is built again.
func TestStaticIndexFixed(t *testing.T) {
	s := newStaticSite(t, staticSiteOptions{direct: true})
	staticWrite(t, s.fx.root, "late.css", []byte("late"))
	if resp, _ := s.do(t, "GET", "/static/late.css"); resp.StatusCode != 404 {
		t.Errorf("a file added after start: %d, want 404", resp.StatusCode)
	}
	if err := os.Remove(filepath.Join(s.fx.root, "js", "plain.js")); err != nil {
		t.Fatal(err)
	}
	if resp, _ := s.do(t, "GET", "/static/js/plain.js"); resp.StatusCode != 404 {
		t.Errorf("a file removed after start: %d, want 404", resp.StatusCode)
	}
	s.settle(t)
}

func TestStaticConfigErrors(t *testing.T) {
	fx := newStaticFixture(t)
	badManifest := t.TempDir()
	staticWrite(t, badManifest, middleware.ManifestName, []byte(`{"paths": {}, "version": "2.0"}`))
	notJSON := t.TempDir()
	staticWrite(t, notJSON, middleware.ManifestName, []byte(`{"paths": `))
	var improperly *manouche.ImproperlyConfigured
	for _, tc := range []struct {
		name     string
		settings manouche.Settings
		is       error
		as       any
		msg      string
	}{
		{"no StaticURL", manouche.Settings{StaticRoot: fx.root}, nil, &improperly, "StaticURL is empty"},
		{"no slash", manouche.Settings{StaticURL: "/static", StaticRoot: fx.root}, nil, &improperly, "must end with a slash"},
		{"no StaticRoot", manouche.Settings{StaticURL: "/static/"}, nil, &improperly, "StaticRoot is empty"},
		{"missing StaticRoot", manouche.Settings{StaticURL: "/static/", StaticRoot: filepath.Join(fx.root, "nope")}, fs.ErrNotExist, nil, "has CollectStatic run?"},
		{"StaticRoot a file", manouche.Settings{StaticURL: "/static/", StaticRoot: filepath.Join(fx.root, "js", "plain.js")}, nil, nil, "STATIC_ROOT"},
		{"manifest version", manouche.Settings{StaticURL: "/static/", StaticRoot: badManifest}, middleware.ErrManifestVersion, nil, `(version "2.0")`},
		{"manifest not JSON", manouche.Settings{StaticURL: "/static/", StaticRoot: notJSON}, middleware.ErrManifestVersion, nil, "staticfiles.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := urls.New(appViews())
			if err != nil {
				t.Fatal(err)
			}
			_, err = handler.New(handler.Config{Settings: tc.settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
				Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: tc.settings})}})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if tc.as != nil && !errors.As(err, tc.as) {
				t.Errorf("error %v (%T) is not an ImproperlyConfigured", err, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	if _, err := middleware.Static(middleware.StaticConfig{Settings: manouche.Settings{StaticURL: "/static/", StaticRoot: fx.root}})(nil); err == nil {
		t.Error("a nil next layer was accepted")
	}
}

// TestStaticPrefixes: where the files are served for each form of
// StaticURL, mounted at the root and under a chi Mount.
func TestStaticPrefixes(t *testing.T) {
	fx := newStaticFixture(t)
	const want = "console.log('plain');\n"
	for _, tc := range []struct {
		staticURL string
		mount     string // "" for the root
		target    string
		served    bool
	}{
		{"/static/", "", "/static/js/plain.js", true},
		{"/assets/v1/", "", "/assets/v1/js/plain.js", true},
		{"/assets/v1/", "", "/static/js/plain.js", false},
		{"https://cdn.example.com/static/", "", "/static/js/plain.js", true},
		{"//cdn.example.com/static/", "", "/static/js/plain.js", true},
		{"static/", "", "/static/js/plain.js", true},
		{"static/", "/app", "/app/static/js/plain.js", true}, // relative: below the mount prefix
		{"/static/", "/app", "/app/static/js/plain.js", false},
		{"/app/static/", "/app", "/app/static/js/plain.js", true}, // absolute: the whole path
	} {
		t.Run(tc.staticURL+" mount "+tc.mount, func(t *testing.T) {
			settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: tc.staticURL, StaticRoot: fx.root}
			conf, err := urls.New(appViews())
			if err != nil {
				t.Fatal(err)
			}
			h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
				Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})}})
			if err != nil {
				t.Fatal(err)
			}
			var root http.Handler = h
			if tc.mount != "" {
				r := chi.NewRouter()
				r.Mount(tc.mount, h)
				root = r
			}
			rec := httptest.NewRecorder()
			root.ServeHTTP(rec, httptest.NewRequest("GET", tc.target, nil))
			if served := rec.Code == 200 && rec.Body.String() == want; served != tc.served {
				t.Errorf("GET %s: %d %q; served %v, want %v", tc.target, rec.Code, rec.Body.String(), served, tc.served)
			}
		})
	}
}

func TestStaticMaxAge(t *testing.T) {
	fx := newStaticFixture(t)
	for _, tc := range []struct {
		maxAge time.Duration
		debug  bool
		want   string
	}{
		{0, false, "max-age=60, public"},
		{0, true, "max-age=0, public"},
		{10 * time.Minute, false, "max-age=600, public"},
		{10 * time.Minute, true, "max-age=600, public"},
		{-1, false, "max-age=0, public"},
		{1500 * time.Millisecond, false, "max-age=1, public"},
	} {
		s := newStaticSite(t, staticSiteOptions{fixture: fx, maxAge: tc.maxAge, debug: tc.debug})
		if resp, _ := s.do(t, "GET", "/static/js/plain.js"); resp.Header.Get("Cache-Control") != tc.want {
			t.Errorf("MaxAge %v, Debug %v: Cache-Control %q, want %q", tc.maxAge, tc.debug, resp.Header.Get("Cache-Control"), tc.want)
		}
		if resp, _ := s.do(t, "GET", "/static/js/app.0123456789ab.js"); resp.Header.Get("Cache-Control") != middleware.StaticImmutable {
			t.Errorf("MaxAge %v: hashed Cache-Control %q", tc.maxAge, resp.Header.Get("Cache-Control"))
		}
		s.settle(t)
	}
}

// TestStaticFS serves an in-memory file system whose files have no
// modification time, as an embed.FS: the ETag comes from the content and
// Last-Modified is the time the handler was built.
func TestStaticFS(t *testing.T) {
	fsys := fstest.MapFS{
		"css/site.css":    {Data: []byte("body{}")},
		"css/site.css.gz": {Data: gzipBytes(t, []byte("body{}"))},
		"css/other.css":   {Data: []byte("body{}")},
		"css/changed.css": {Data: []byte("body{ }")},
	}
	before := time.Now().Add(-time.Second)
	settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/"}
	conf, err := urls.New(appViews())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings, FS: fsys})}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/static/css/site.css")
	tag, lm := rec.Header().Get("Etag"), rec.Header().Get("Last-Modified")
	if rec.Code != 200 || rec.Body.String() != "body{}" || !strings.HasPrefix(tag, `"`) || len(tag) != 18 {
		t.Fatalf("%d %q ETag %s", rec.Code, rec.Body.String(), tag)
	}
	if t0, err := http.ParseTime(lm); err != nil || t0.Before(before.Truncate(time.Second)) || t0.After(time.Now()) {
		t.Errorf("Last-Modified %q", lm)
	}
	if other := get("/static/css/other.css").Header().Get("Etag"); other != tag {
		t.Errorf("same content, ETags %s and %s", tag, other)
	}
	if changed := get("/static/css/changed.css").Header().Get("Etag"); changed == tag {
		t.Errorf("other content, same ETag %s", tag)
	}
	if gz := get("/static/css/site.css", "Accept-Encoding", "gzip").Header().Get("Etag"); gz == tag || !strings.HasSuffix(gz, `-gzip"`) {
		t.Errorf("gzip ETag %s (identity %s)", gz, tag)
	}
	if rec := get("/static/css/site.css", "If-None-Match", tag); rec.Code != 304 {
		t.Errorf("If-None-Match: %d", rec.Code)
	}
	if rec := get("/static/css/site.css", "If-Modified-Since", lm); rec.Code != 304 {
		t.Errorf("If-Modified-Since: %d", rec.Code)
	}
}

// unseekable is a file system whose files cannot seek.
type unseekable struct{}

type unseekableFile struct{ io.Reader }

func (unseekable) Open(name string) (fs.File, error) {
	if name == "." {
		return fstest.MapFS{"a.txt": {Data: []byte("a")}}.Open(".")
	}
	if name != "a.txt" {
		return nil, fs.ErrNotExist
	}
	return unseekableFile{strings.NewReader("a")}, nil
}

func (unseekableFile) Stat() (fs.FileInfo, error) {
	return fstest.MapFS{"a.txt": {Data: []byte("a"), ModTime: staticMTime}}.Stat("a.txt")
}
func (unseekableFile) Close() error { return nil }

func (unseekable) ReadDir(name string) ([]fs.DirEntry, error) {
	return fstest.MapFS{"a.txt": {Data: []byte("a"), ModTime: staticMTime}}.ReadDir(name)
}

func TestStaticUnseekableFS(t *testing.T) {
	settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/"}
	conf, err := urls.New(appViews())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings, FS: unseekable{}})}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/a.txt", nil))
	if rec.Code != 500 {
		t.Errorf("a file that cannot seek: %d, want 500", rec.Code)
	}
}
