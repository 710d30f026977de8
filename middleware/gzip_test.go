package middleware_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
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

// gzipWait bounds every wait of these tests: a failure fails, never hangs.
const gzipWait = 5 * time.Second

var (
	// gzipText is 1 KiB of text that compresses well.
	gzipText = []byte(strings.Repeat("Django's request lifecycle, in Go, with a response object. ", 20)[:1024])
	// gzipNoise is 1 KiB that does not compress.
	gzipNoise = func() []byte {
		rng := rand.New(rand.NewPCG(1, 2))
		b := make([]byte, 1024)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}()
	// gzipFileContent is what the file view sends.
	gzipFileContent = bytes.Repeat([]byte("0123456789abcdef"), 128) // 2 KiB
	gzipChunks      = [][]byte{[]byte(strings.Repeat("first chunk ", 10)), []byte(strings.Repeat("second chunk ", 10))}
)

// gzipCountedFile is an in-memory file that counts its closes.
type gzipCountedFile struct {
	*bytes.Reader
	closes *atomic.Int64
}

func (f gzipCountedFile) Close() error { f.closes.Add(1); return nil }

// gzipFixture is a handler with GZip over real HTTP, with views for each
// kind of response. Its client does not decompress, so the tests see the
// bytes sent.
type gzipFixture struct {
	srv     *httptest.Server
	client  *http.Client
	logs    testkit.LogBuffer
	signals testkit.Counters
	opened  atomic.Int64 // files opened by the file view
	closes  atomic.Int64 // and closed
	gate    chan struct{}
}

func newGzipFixture(t *testing.T) *gzipFixture {
	t.Helper()
	fx := &gzipFixture{gate: make(chan struct{})}
	buffered := func(body []byte, hdr ...string) manouche.View {
		return func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Bytes(200, body, "text/plain; charset=utf-8")
			for i := 0; i+1 < len(hdr); i += 2 {
				resp.Header().Add(hdr[i], hdr[i+1])
			}
			return resp, nil
		}
	}
	patterns := []urls.Pattern{
		urls.Path("text/", buffered(gzipText, "Etag", `"v1"`)),
		urls.Path("weak/", buffered(gzipText, "Etag", `W/"v1"`)),
		urls.Path("short/", buffered(gzipText[:199])),
		urls.Path("edge/", buffered(gzipText[:200])),
		urls.Path("empty/", buffered(nil)),
		urls.Path("encoded/", buffered(gzipText, "Content-Encoding", "br")),
		urls.Path("noise/", buffered(gzipNoise)),
		urls.Path("vary/", func(r *manouche.Request) (*manouche.Response, error) {
			resp := response.Bytes(200, gzipText, "text/plain")
			q, _ := r.GET()
			for _, v := range q.GetList("v") {
				resp.Header().Add("Vary", v)
			}
			return resp, nil
		}),
		urls.Path("notmodified/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.NotModified()
			resp.Header().Set("Etag", `"v1"`)
			return resp, nil
		}),
		urls.Path("stream/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.StreamSeq(slices.Values(gzipChunks))
			resp.Header().Set("Content-Length", strconv.Itoa(len(gzipChunks[0])+len(gzipChunks[1])))
			resp.Header().Set("Etag", `"s1"`)
			return resp, nil
		}),
		urls.Path("gated/", func(*manouche.Request) (*manouche.Response, error) {
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				if _, err := w.Write(gzipChunks[0]); err != nil {
					return err
				}
				select {
				case <-fx.gate:
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(gzipWait):
					return errors.New("the client never decoded the first chunk")
				}
				_, err := w.Write(gzipChunks[1])
				return err
			}), nil
		}),
		urls.Path("fail/", func(*manouche.Request) (*manouche.Response, error) {
			return response.Stream(func(ctx context.Context, w io.Writer) error {
				if _, err := w.Write(gzipChunks[0]); err != nil {
					return err
				}
				return errors.New("the database went away")
			}), nil
		}),
		urls.Path("file/", func(r *manouche.Request) (*manouche.Response, error) {
			fx.opened.Add(1)
			f := gzipCountedFile{Reader: bytes.NewReader(gzipFileContent), closes: &fx.closes}
			return response.File(r, f, response.ContentType("text/plain"), response.ETag(`"f1"`),
				response.LastModified(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))), nil
		}),
	}
	conf, err := urls.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		URLConf:    conf,
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		Middleware: []middleware.Factory{middleware.GZip()},
		Logger:     fx.logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.signals.Connect(h.Signals())
	fx.srv = httptest.NewServer(h)
	t.Cleanup(fx.srv.Close)
	tr := fx.srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableCompression = true
	t.Cleanup(tr.CloseIdleConnections)
	fx.client = &http.Client{Transport: tr, Timeout: 2 * gzipWait}
	return fx
}

// do sends a request and returns the response with its raw body.
func (fx *gzipFixture) do(t *testing.T, method, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, fx.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := fx.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, body
}

// settled waits until every request finished once and checks that every
// file opened was closed once (SEMANTICS 57).
func (fx *gzipFixture) settled(t *testing.T) {
	t.Helper()
	testkit.WaitFor(t, "every request finished", func() bool {
		return fx.signals.Finished.Load() == fx.signals.Started.Load()
	})
	if o, c := fx.opened.Load(), fx.closes.Load(); o != c {
		t.Errorf("%d files opened, %d closes", o, c)
	}
}

// gzipDecode decodes a whole gzip body, checking its trailer, and returns it
// with the name field (the BREACH padding).
func gzipDecode(t *testing.T, b []byte) ([]byte, string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v (% x)", err, b[:min(len(b), 16)])
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return out, zr.Name
}

func TestGZip(t *testing.T) {
	fx := newGzipFixture(t)
	const (
		absent = "<absent>"
		anyLen = "<any>"
	)
	for _, tc := range []struct {
		name, semantics string
		method, path    string
		hdr             []string
		status          int
		gzipped         bool
		want            []byte // the body, decoded when gzipped
		vary            string
		etag            string
		contentLength   string // absent, any, or "raw": the raw body's length
	}{
		{"1 KB text is compressed", "62", "GET", "/text/", []string{"Accept-Encoding", "gzip, deflate, br"}, 200, true, gzipText, "Accept-Encoding", `W/"v1"`, "raw"},
		{"a weak ETag stays as it is", "62", "GET", "/weak/", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "Accept-Encoding", `W/"v1"`, "raw"},
		{"x-gzip matches \\bgzip\\b", "62", "GET", "/text/", []string{"Accept-Encoding", "x-gzip"}, 200, true, gzipText, "Accept-Encoding", `W/"v1"`, "raw"},
		{"gzip;q=0 still matches, as in Django", "62", "GET", "/text/", []string{"Accept-Encoding", "gzip;q=0"}, 200, true, gzipText, "Accept-Encoding", `W/"v1"`, "raw"},
		{"200 bytes are worth it", "62", "GET", "/edge/", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText[:200], "Accept-Encoding", absent, "raw"},
		{"199 bytes: untouched, no Vary", "62", "GET", "/short/", []string{"Accept-Encoding", "gzip"}, 200, false, gzipText[:199], absent, absent, "199"},
		{"empty body: untouched", "62", "GET", "/empty/", []string{"Accept-Encoding", "gzip"}, 200, false, nil, absent, absent, "0"},
		{"no Accept-Encoding: Vary only", "62", "GET", "/text/", nil, 200, false, gzipText, "Accept-Encoding", `"v1"`, "1024"},
		{"gzipped is not gzip", "62", "GET", "/text/", []string{"Accept-Encoding", "gzipped, deflate"}, 200, false, gzipText, "Accept-Encoding", `"v1"`, "1024"},
		{"GZIP: the match is case-sensitive, as Django's", "62", "GET", "/text/", []string{"Accept-Encoding", "GZIP"}, 200, false, gzipText, "Accept-Encoding", `"v1"`, "1024"},
		{"already encoded: untouched", "62", "GET", "/encoded/", []string{"Accept-Encoding", "gzip"}, 200, false, gzipText, absent, absent, "1024"},
		{"incompressible: not compressed, Vary", "62", "GET", "/noise/", []string{"Accept-Encoding", "gzip"}, 200, false, gzipNoise, "Accept-Encoding", absent, "1024"},
		{"Vary is added to", "62", "GET", "/vary/?v=Cookie", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "Cookie, Accept-Encoding", absent, "raw"},
		{"Vary lines are merged", "62", "GET", "/vary/?v=Cookie&v=Origin", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "Cookie, Origin, Accept-Encoding", absent, "raw"},
		{"Vary already has it, in another case", "62", "GET", "/vary/?v=cookie,+accept-encoding", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "cookie, accept-encoding", absent, "raw"},
		{"Vary * stays", "62", "GET", "/vary/?v=*", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "*", absent, "raw"},
		{"Vary with * becomes *", "62", "GET", "/vary/?v=Cookie,+*", nil, 200, false, gzipText, "*", absent, "1024"},
		{"304: untouched", "62", "GET", "/notmodified/", []string{"Accept-Encoding", "gzip"}, 304, false, nil, absent, `"v1"`, absent},
		{"stream: on the fly, no Content-Length", "62", "GET", "/stream/", []string{"Accept-Encoding", "gzip"}, 200, true, slices.Concat(gzipChunks...), "Accept-Encoding", `W/"s1"`, absent},
		{"stream without gzip: Vary only", "62", "GET", "/stream/", nil, 200, false, slices.Concat(gzipChunks...), "Accept-Encoding", `"s1"`, strconv.Itoa(len(gzipChunks[0]) + len(gzipChunks[1]))},
		{"whole file: compressed as a stream", "62", "GET", "/file/", []string{"Accept-Encoding", "gzip"}, 200, true, gzipFileContent, "Accept-Encoding", `W/"f1"`, absent},
		{"range: 206 not compressed, Vary kept", "56, 62", "GET", "/file/", []string{"Accept-Encoding", "gzip", "Range", "bytes=0-3"}, 206, false, gzipFileContent[:4], "Accept-Encoding", `"f1"`, "4"},
		{"ranges: multipart 206 not compressed, Vary kept", "56, 62", "GET", "/file/", []string{"Accept-Encoding", "gzip", "Range", "bytes=0-1,4-5"}, 206, false, nil, "Accept-Encoding", `"f1"`, "raw"},
		{"unsatisfiable range: 416 untouched", "56, 62", "GET", "/file/", []string{"Accept-Encoding", "gzip", "Range", "bytes=9999-"}, 416, false, nil, absent, `"f1"`, "0"},
		{"POST is compressed too", "62", "POST", "/text/", []string{"Accept-Encoding", "gzip"}, 200, true, gzipText, "Accept-Encoding", `W/"v1"`, "raw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, raw := fx.do(t, tc.method, tc.path, tc.hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("SEMANTICS %s: status %d, want %d", tc.semantics, resp.StatusCode, tc.status)
			}
			h := resp.Header
			if got := h.Get("Content-Encoding"); (got == "gzip") != tc.gzipped || (!tc.gzipped && got != "" && tc.path != "/encoded/") {
				t.Errorf("SEMANTICS %s: Content-Encoding %q, want gzip: %v", tc.semantics, got, tc.gzipped)
			}
			body := raw
			if tc.gzipped {
				var name string
				body, name = gzipDecode(t, raw)
				if len(name) > 99 || strings.Trim(name, "a") != "" {
					t.Errorf("the gzip name field is %q, want up to 99 a's of padding", name)
				}
				if h.Get("Accept-Ranges") != "" {
					t.Errorf("Accept-Ranges %q on a compressed body", h.Get("Accept-Ranges"))
				}
			}
			if tc.want != nil && !bytes.Equal(body, tc.want) {
				t.Errorf("SEMANTICS %s: body %q, want %q", tc.semantics, body, tc.want)
			}
			checkHeader(t, h, "Vary", tc.vary, absent)
			checkHeader(t, h, "Etag", tc.etag, absent)
			switch tc.contentLength {
			case anyLen:
			case "raw":
				checkHeader(t, h, "Content-Length", strconv.Itoa(len(raw)), absent)
			default:
				checkHeader(t, h, "Content-Length", tc.contentLength, absent)
			}
		})
	}
	fx.settled(t)
}

// checkHeader checks that h has the single value want, or no such header
// when want is absent.
func checkHeader(t *testing.T, h http.Header, name, want, absent string) {
	t.Helper()
	got, ok := h[name]
	switch {
	case want == absent && ok:
		t.Errorf("%s: %q, want none", name, got)
	case want != absent && (len(got) != 1 || got[0] != want):
		t.Errorf("%s: %q, want %q", name, got, want)
	}
}

// TestGZipHeadLikeGet checks that a HEAD gets what a GET would get, body
// aside (SEMANTICS 60): compressed headers, Content-Length included, for a
// buffered body whose length differs only by the random padding.
func TestGZipHeadLikeGet(t *testing.T) {
	fx := newGzipFixture(t)
	for _, path := range []string{"/text/", "/file/", "/stream/", "/noise/", "/short/"} {
		t.Run(path, func(t *testing.T) {
			get, raw := fx.do(t, "GET", path, "Accept-Encoding", "gzip")
			head, body := fx.do(t, "HEAD", path, "Accept-Encoding", "gzip")
			if len(body) != 0 || head.StatusCode != get.StatusCode {
				t.Fatalf("SEMANTICS 60: HEAD %d with %d bytes, GET %d", head.StatusCode, len(body), get.StatusCode)
			}
			for _, h := range []http.Header{get.Header, head.Header} {
				h.Del("Date")
			}
			gcl, hcl := get.Header.Get("Content-Length"), head.Header.Get("Content-Length")
			get.Header.Del("Content-Length")
			head.Header.Del("Content-Length")
			if fmt.Sprint(get.Header) != fmt.Sprint(head.Header) {
				t.Errorf("SEMANTICS 60: HEAD headers\n%v\nGET headers\n%v", head.Header, get.Header)
			}
			if (gcl == "") != (hcl == "") {
				t.Fatalf("SEMANTICS 60: Content-Length %q for GET, %q for HEAD", gcl, hcl)
			}
			if gcl == "" || get.Header.Get("Content-Encoding") != "gzip" {
				if gcl != hcl {
					t.Errorf("SEMANTICS 60: Content-Length %s for GET, %s for HEAD", gcl, hcl)
				}
				return
			}
			// Compressed: the GET's length less its padding is the length
			// without padding, and the HEAD's is that plus 0 or 2–100.
			_, name := gzipDecode(t, raw)
			bare := len(raw)
			if name != "" {
				bare -= len(name) + 1
			}
			n, _ := strconv.Atoi(hcl)
			if pad := n - bare; pad < 0 || pad == 1 || pad > 100 {
				t.Errorf("SEMANTICS 60: HEAD Content-Length %d, GET %d (%d without padding)", n, len(raw), bare)
			}
		})
	}
	fx.settled(t)
}

// TestGZipPadding checks that the BREACH padding varies.
func TestGZipPadding(t *testing.T) {
	fx := newGzipFixture(t)
	lengths := map[int]bool{}
	for range 20 {
		_, raw := fx.do(t, "GET", "/text/", "Accept-Encoding", "gzip")
		lengths[len(raw)] = true
	}
	if len(lengths) < 2 {
		t.Errorf("20 compressed responses all of %v bytes: no random padding", lengths)
	}
}

// TestGZipStreamFlushesEachChunk checks that a compressed stream still
// streams: the client decodes the first chunk while the producer waits
// before writing the second (SEMANTICS 62, DESIGN promise 5).
func TestGZipStreamFlushesEachChunk(t *testing.T) {
	fx := newGzipFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gzipWait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fx.srv.URL+"/gated/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	type result struct {
		zr    *gzip.Reader
		resp  *http.Response
		first []byte
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() { done <- res }()
		if res.resp, res.err = fx.client.Do(req); res.err != nil {
			return
		}
		if res.zr, res.err = gzip.NewReader(res.resp.Body); res.err != nil {
			return
		}
		res.first = make([]byte, len(gzipChunks[0]))
		_, res.err = io.ReadFull(res.zr, res.first)
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(gzipWait):
		cancel()
		t.Fatal("the first chunk did not reach the client while the producer waited: the stream is buffered")
	}
	if res.resp != nil {
		defer res.resp.Body.Close()
	}
	if res.err != nil {
		t.Fatalf("decoding the first chunk: %v", res.err)
	}
	if !bytes.Equal(res.first, gzipChunks[0]) {
		t.Fatalf("first chunk %q", res.first)
	}
	if h := res.resp.Header; h.Get("Content-Encoding") != "gzip" || h.Get("Content-Length") != "" {
		t.Errorf("headers %v", h)
	}
	close(fx.gate)
	rest, err := io.ReadAll(res.zr) // checks the trailer's CRC and size
	if err != nil {
		t.Fatalf("the rest: %v", err)
	}
	if !bytes.Equal(rest, gzipChunks[1]) {
		t.Errorf("second chunk %q", rest)
	}
	fx.settled(t)
}

// TestGZipStreamErrorTruncates checks that a producer's error reaches the
// handler: the client sees a cut body, never a complete-looking one
// (SEMANTICS 52).
func TestGZipStreamErrorTruncates(t *testing.T) {
	fx := newGzipFixture(t)
	req, _ := http.NewRequest("GET", fx.srv.URL+"/fail/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := fx.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(resp.Body)
	if readErr == nil {
		t.Errorf("SEMANTICS 52: the body of a failed stream ended cleanly (%d bytes)", len(raw))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	got, err := io.ReadAll(zr)
	if err == nil {
		t.Error("the gzip stream of a failed producer has its trailer")
	}
	if !bytes.Equal(got, gzipChunks[0]) {
		t.Errorf("decoded %q, want the first chunk", got)
	}
	fx.settled(t)
	testkit.WaitFor(t, "the error logged", func() bool {
		return strings.Contains(fx.logs.String(), "Error while streaming the response: /fail/")
	})
}

// gzipFakeWriter stands for the handler's stream writer: it records what
// reaches it, and the flushes and deadlines it is asked for.
type gzipFakeWriter struct {
	bytes.Buffer
	flushes  int
	atFlush  []byte // what had been written at the last flush
	deadline time.Time
}

func (f *gzipFakeWriter) FlushError() error {
	f.flushes++
	f.atFlush = bytes.Clone(f.Bytes())
	return nil
}

func (f *gzipFakeWriter) SetWriteDeadline(t time.Time) error { f.deadline = t; return nil }

// gzipFlushOnly has Flush and nothing else.
type gzipFlushOnly struct {
	bytes.Buffer
	flushes int
}

func (f *gzipFlushOnly) Flush() { f.flushes++ }

// gzipServe runs one request through a GZip layer whose next layer returns
// resp, outside any handler.
func gzipServe(t *testing.T, resp *manouche.Response, hdr ...string) *manouche.Response {
	t.Helper()
	m, err := middleware.GZip()(func(*manouche.Request) *manouche.Response { return resp })
	if err != nil {
		t.Fatal(err)
	}
	if got := middleware.Name(middleware.GZip(), m); got != "middleware.GZip" {
		t.Errorf("Name %q", got)
	}
	hr := httptest.NewRequest("GET", "/", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		hr.Header.Set(hdr[i], hdr[i+1])
	}
	out, err := m.Serve(manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/"))
	if err != nil || out != resp {
		t.Fatalf("Serve: %v, %p for %p", err, out, resp)
	}
	return out
}

// TestGZipStreamWriterForwards checks that a producer behind GZip still
// reaches FlushError, Flush and SetWriteDeadline of the handler's writer,
// and that a flush has the compressed chunk sent before it.
func TestGZipStreamWriterForwards(t *testing.T) {
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var producerErr error
	resp := gzipServe(t, response.Stream(func(ctx context.Context, w io.Writer) error {
		producerErr = func() error {
			if _, err := w.Write(gzipChunks[0]); err != nil {
				return err
			}
			fe, ok := w.(interface{ FlushError() error })
			if !ok {
				return errors.New("no FlushError")
			}
			if err := fe.FlushError(); err != nil {
				return err
			}
			if _, ok := w.(http.Flusher); !ok {
				return errors.New("no Flush")
			}
			wd, ok := w.(interface{ SetWriteDeadline(time.Time) error })
			if !ok {
				return errors.New("no SetWriteDeadline")
			}
			if err := wd.SetWriteDeadline(deadline); err != nil {
				return err
			}
			_, err := w.Write(gzipChunks[1])
			return err
		}()
		return producerErr
	}), "Accept-Encoding", "gzip")

	var fake gzipFakeWriter
	if err := resp.Stream()(context.Background(), &fake); err != nil || producerErr != nil {
		t.Fatalf("stream: %v, producer: %v", err, producerErr)
	}
	if fake.flushes != 1 || !fake.deadline.Equal(deadline) {
		t.Errorf("%d flushes, deadline %v: not forwarded", fake.flushes, fake.deadline)
	}
	// What the client had at the flush decodes to the first chunk.
	zr, err := gzip.NewReader(bytes.NewReader(fake.atFlush))
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len(gzipChunks[0]))
	if _, err := io.ReadFull(zr, first); err != nil || !bytes.Equal(first, gzipChunks[0]) {
		t.Errorf("at the flush: %q, %v", first, err)
	}
	if got, _ := gzipDecode(t, fake.Bytes()); !bytes.Equal(got, slices.Concat(gzipChunks...)) {
		t.Errorf("whole body %q", got)
	}

	// A writer with Flush only gets Flush; one without SetWriteDeadline
	// says it is not supported, as http.ResponseController does.
	resp = gzipServe(t, response.Stream(func(ctx context.Context, w io.Writer) error {
		w.(http.Flusher).Flush()
		err := w.(interface{ SetWriteDeadline(time.Time) error }).SetWriteDeadline(deadline)
		if !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("SetWriteDeadline: %v, want ErrNotSupported", err)
		}
		return w.(interface{ FlushError() error }).FlushError()
	}), "Accept-Encoding", "gzip")
	var fo gzipFlushOnly
	if err := resp.Stream()(context.Background(), &fo); err != nil {
		t.Fatal(err)
	}
	if fo.flushes != 2 {
		t.Errorf("%d flushes forwarded, want 2", fo.flushes)
	}
	if got, _ := gzipDecode(t, fo.Bytes()); len(got) != 0 {
		t.Errorf("body %q, want empty", got)
	}
}

// TestGZipStreamWriterAfterReturn checks that a writer a producer kept
// fails once the producer returned, and never reaches the gzip writer the
// pool hands to the next stream; and that a failed producer's error is
// returned as it is.
func TestGZipStreamWriterAfterReturn(t *testing.T) {
	var kept io.Writer
	errBoom := errors.New("boom")
	resp := gzipServe(t, response.Stream(func(ctx context.Context, w io.Writer) error {
		kept = w
		_, _ = w.Write(gzipChunks[0])
		return errBoom
	}), "Accept-Encoding", "gzip")
	var first bytes.Buffer
	if err := resp.Stream()(context.Background(), &first); !errors.Is(err, errBoom) {
		t.Fatalf("stream error %v, want the producer's", err)
	}
	sent := first.Len()
	if _, err := kept.Write([]byte("late")); err == nil {
		t.Error("a write after the producer returned succeeded")
	}
	if err := kept.(interface{ FlushError() error }).FlushError(); err == nil {
		t.Error("a flush after the producer returned succeeded")
	}
	if err := kept.(interface{ SetWriteDeadline(time.Time) error }).SetWriteDeadline(time.Now()); err == nil {
		t.Error("a deadline set after the producer returned")
	}
	if first.Len() != sent {
		t.Error("a late write reached the client")
	}

	// The next stream, likely with the same pooled gzip writer, is whole.
	for range 3 {
		resp = gzipServe(t, response.StreamSeq(slices.Values(gzipChunks)), "Accept-Encoding", "gzip")
		var next bytes.Buffer
		if err := resp.Stream()(context.Background(), &next); err != nil {
			t.Fatal(err)
		}
		if _, err := kept.Write([]byte("late")); err == nil {
			t.Error("a late write succeeded")
		}
		if got, _ := gzipDecode(t, next.Bytes()); !bytes.Equal(got, slices.Concat(gzipChunks...)) {
			t.Errorf("next stream %q", got)
		}
	}
}

// TestGZipStreamLargeWrite checks that one large write is compressed and
// sent whole, through several writes to the handler's writer.
func TestGZipStreamLargeWrite(t *testing.T) {
	// 256 KiB of 3 random bits a byte: about 96 KiB compressed.
	big := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < len(big); i += 16 {
		x := rng.Uint64()
		for j := range 16 {
			big[i+j] = "abcdefgh"[x>>(3*j)&7]
		}
	}
	resp := gzipServe(t, response.Stream(func(ctx context.Context, w io.Writer) error {
		_, err := w.Write(big)
		return err
	}), "Accept-Encoding", "gzip")
	var cw gzipCountingWriter
	if err := resp.Stream()(context.Background(), &cw); err != nil {
		t.Fatal(err)
	}
	if got, _ := gzipDecode(t, cw.Bytes()); !bytes.Equal(got, big) {
		t.Error("the large body does not round-trip")
	}
	if cw.writes < 2 {
		t.Errorf("%d writes for %d compressed bytes: the output is held back whole", cw.writes, cw.Len())
	}
}

type gzipCountingWriter struct {
	bytes.Buffer
	writes int
}

func (c *gzipCountingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

// TestGZipDeferredUntouched checks that a deferred response nobody
// rendered is left alone.
func TestGZipDeferredUntouched(t *testing.T) {
	resp := manouche.NewDeferredResponse(200, gzipRenderer{}, "")
	gzipServe(t, resp, "Accept-Encoding", "gzip")
	if resp.Kind() != manouche.Deferred || len(resp.Header()) != 1 {
		t.Errorf("kind %v, headers %v", resp.Kind(), resp.Header())
	}
}

type gzipRenderer struct{}

func (gzipRenderer) Render(context.Context) ([]byte, error) { return gzipText, nil }
