package middleware_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
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

const (
	condBody = "the page, whose ETag is its MD5"
	// condLM is the Last-Modified of the views that have one.
	condLM = "Sat, 12 Feb 2011 17:38:44 GMT"
	// condAbsent marks a header that must not be there.
	condAbsent = "<absent>"
)

// condETag is the ETag ConditionalGet computes for condBody.
var condETag = func() string {
	sum := md5.Sum([]byte(condBody))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}()

// condView returns a view answering status with condBody and the headers
// hdr (name, value pairs).
func condView(status int, hdr ...string) manouche.View {
	return func(*manouche.Request) (*manouche.Response, error) {
		resp := manouche.NewResponse(status, []byte(condBody), "")
		for i := 0; i+1 < len(hdr); i += 2 {
			resp.Header().Add(hdr[i], hdr[i+1])
		}
		return resp, nil
	}
}

// condFixture is a handler with ConditionalGet over real HTTP; view i
// answers /c/i/.
type condFixture struct {
	srv     *httptest.Server
	logs    testkit.LogBuffer
	signals testkit.Counters
}

func newCondFixture(t *testing.T, views []manouche.View, mw ...middleware.Factory) *condFixture {
	t.Helper()
	fx := &condFixture{}
	conf, err := urls.New([]urls.Pattern{urls.Path("c/<int:i>/", func(r *manouche.Request) (*manouche.Response, error) {
		i, _ := manouche.Kwarg[int](r, "i")
		return views[i](r)
	})})
	if err != nil {
		t.Fatal(err)
	}
	if mw == nil {
		mw = []middleware.Factory{middleware.ConditionalGet()}
	}
	h, err := handler.New(handler.Config{
		URLConf:    conf,
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		Middleware: mw,
		Logger:     fx.logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.signals.Connect(h.Signals())
	fx.srv = httptest.NewServer(h)
	t.Cleanup(fx.srv.Close)
	return fx
}

func (fx *condFixture) do(t *testing.T, method string, i int, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, fx.srv.URL+"/c/"+strconv.Itoa(i)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j+1 < len(hdr); j += 2 {
		req.Header.Add(hdr[j], hdr[j+1])
	}
	client := *fx.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
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

func (fx *condFixture) settled(t *testing.T) {
	t.Helper()
	testkit.WaitFor(t, "every request finished", func() bool {
		return fx.signals.Finished.Load() == fx.signals.Started.Load()
	})
}

func TestConditionalGet(t *testing.T) {
	const (
		earlier = "Sat, 12 Feb 2011 17:35:44 GMT"
		later   = "Sat, 12 Feb 2011 17:41:44 GMT"
	)
	type tc struct {
		name, semantics string
		method          string
		view            manouche.View
		hdr             []string // request headers
		status          int
		etag            string // the response's ETag, or condAbsent
	}
	cases := []tc{
		// ETag computation (Django's ConditionalGetMiddlewareTest).
		{"computes the ETag", "58", "GET", condView(200), nil, 200, condETag},
		{"keeps the view's ETag", "58", "GET", condView(200, "ETag", "eggs"), nil, 200, "eggs"},
		{"no ETag with no-store", "58", "GET", condView(200, "Cache-Control", "No-Cache, No-Store, Max-age=0"), nil, 200, condAbsent},
		{"an extension is no no-store", "58", "GET", condView(200, "Cache-Control", `my-directive="my-no-store"`), nil, 200, condETag},
		{"an ETag on an error page too", "58", "GET", condView(404), nil, 404, condETag},
		{"HEAD: no ETag", "58", "HEAD", condView(200), nil, 200, condAbsent},
		{"HEAD: not evaluated", "58", "HEAD", condView(200, "ETag", `"spam"`), []string{"If-None-Match", `"spam"`}, 200, `"spam"`},
		{"PUT with a failing If-Match: too late for 412", "58", "PUT", condView(200), []string{"If-Match", `"other"`}, 200, condAbsent},
		{"POST with a matching If-None-Match: untouched", "58", "POST", condView(200, "ETag", `"spam"`), []string{"If-None-Match", `"spam"`}, 200, `"spam"`},

		// If-None-Match.
		{"INM and no ETag: the computed one differs", "58", "GET", condView(200), []string{"If-None-Match", "spam"}, 200, condETag},
		{"INM equals ETag", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-None-Match", `"spam"`}, 304, `"spam"`},
		{"INM equals the computed ETag", "58", "GET", condView(200), []string{"If-None-Match", condETag}, 304, condETag},
		{"INM unquoted is malformed", "58", "GET", condView(200, "ETag", "spam"), []string{"If-None-Match", "spam"}, 200, "spam"},
		{"INM differs", "58", "GET", condView(200, "ETag", `"eggs"`), []string{"If-None-Match", `"spam"`}, 200, `"eggs"`},
		{"INM weak matches a strong ETag", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-None-Match", `W/"spam"`}, 304, `"spam"`},
		{"INM strong matches a weak ETag", "58", "GET", condView(200, "ETag", `W/"spam"`), []string{"If-None-Match", `"spam"`}, 304, `W/"spam"`},
		{"INM in a list", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-None-Match", ` "eggs" ,W/"ham", "spam"`}, 304, `"spam"`},
		{"INM in a second line", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-None-Match", `"eggs"`, "If-None-Match", `"spam"`}, 304, `"spam"`},
		{"INM with a comma in a tag", "58", "GET", condView(200, "ETag", `"a,b"`), []string{"If-None-Match", `"x", "a,b"`}, 304, `"a,b"`},
		{"INM star", "58", "GET", condView(200), []string{"If-None-Match", "*"}, 304, condETag},
		{"INM and 301", "58", "GET", condView(301, "ETag", `"spam"`, "Location", "/"), []string{"If-None-Match", `"spam"`}, 301, `"spam"`},
		{"INM and 400", "58", "GET", condView(400, "ETag", `"spam"`), []string{"If-None-Match", `"spam"`}, 400, `"spam"`},

		// If-Modified-Since.
		{"IMS and no Last-Modified", "58", "GET", condView(200), []string{"If-Modified-Since", condLM}, 200, condETag},
		{"Last-Modified and no IMS", "58", "GET", condView(200, "Last-Modified", condLM), nil, 200, condETag},
		{"IMS equals Last-Modified", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Modified-Since", condLM}, 304, condETag},
		{"IMS after Last-Modified", "58", "GET", condView(200, "Last-Modified", earlier), []string{"If-Modified-Since", condLM}, 304, condETag},
		{"IMS before Last-Modified", "58", "GET", condView(200, "Last-Modified", later), []string{"If-Modified-Since", condLM}, 200, condETag},
		{"IMS in RFC 850 form", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Modified-Since", "Saturday, 12-Feb-11 17:38:44 GMT"}, 304, condETag},
		{"IMS unreadable: ignored", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Modified-Since", "yesterday"}, 200, condETag},
		{"Last-Modified unreadable: no date", "58", "GET", condView(200, "Last-Modified", "yesterday", "Cache-Control", "no-store"), []string{"If-Modified-Since", condLM}, 200, condAbsent},
		{"IMS and 301", "58", "GET", condView(301, "Last-Modified", condLM, "Location", "/"), []string{"If-Modified-Since", condLM}, 301, condETag},
		{"IMS and 400", "58", "GET", condView(400, "Last-Modified", condLM), []string{"If-Modified-Since", condLM}, 400, condETag},
		{"IMS ignored with an INM that differs", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-None-Match", `"other"`, "If-Modified-Since", condLM}, 200, condETag},
		{"IMS applies when INM is all malformed", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-None-Match", "other", "If-Modified-Since", condLM}, 304, condETag},

		// If-Match.
		{"If-Match equals ETag", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", `"spam"`}, 200, `"spam"`},
		{"If-Match differs", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", `"eggs"`}, 412, condAbsent},
		{"If-Match weak never matches strongly", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", `W/"spam"`}, 412, condAbsent},
		{"If-Match and a weak ETag", "58", "GET", condView(200, "ETag", `W/"spam"`), []string{"If-Match", `W/"spam"`}, 412, condAbsent},
		{"If-Match in a list", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", `"eggs", "spam"`}, 200, `"spam"`},
		{"If-Match star with an ETag", "58", "GET", condView(200), []string{"If-Match", "*"}, 200, condETag},
		{"If-Match star, no ETag", "58", "GET", condView(200, "Last-Modified", condLM, "Cache-Control", "no-store"), []string{"If-Match", "*"}, 412, condAbsent},
		{"If-Match malformed: ignored", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", "eggs"}, 200, `"spam"`},
		{"If-Match fails before INM matches", "58", "GET", condView(200, "ETag", `"spam"`), []string{"If-Match", `"eggs"`, "If-None-Match", `"spam"`}, 412, condAbsent},
		{"If-Match on a 404: untouched", "58", "GET", condView(404, "ETag", `"spam"`), []string{"If-Match", `"eggs"`}, 404, `"spam"`},

		// If-Unmodified-Since.
		{"IUS before Last-Modified", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Unmodified-Since", earlier}, 412, condAbsent},
		{"IUS equals Last-Modified", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Unmodified-Since", condLM}, 200, condETag},
		{"IUS after Last-Modified", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Unmodified-Since", later}, 200, condETag},
		{"IUS ignored with If-Match", "58", "GET", condView(200, "Last-Modified", condLM, "ETag", `"spam"`), []string{"If-Match", `"spam"`, "If-Unmodified-Since", earlier}, 200, `"spam"`},
		{"IUS unreadable: ignored", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Unmodified-Since", "never"}, 200, condETag},
		{"IUS without Last-Modified: ignored (RFC 9110 §13.1.4)", "58", "GET", condView(200), []string{"If-Unmodified-Since", earlier}, 200, condETag},
		{"IUS passes, then INM matches", "58", "GET", condView(200, "Last-Modified", condLM), []string{"If-Unmodified-Since", later, "If-None-Match", condETag}, 304, condETag},
	}
	views := make([]manouche.View, len(cases))
	for i, c := range cases {
		views[i] = c.view
	}
	fx := newCondFixture(t, views)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := fx.do(t, c.method, i, c.hdr...)
			if resp.StatusCode != c.status {
				t.Fatalf("SEMANTICS %s: status %d, want %d", c.semantics, resp.StatusCode, c.status)
			}
			checkHeader(t, resp.Header, "Etag", c.etag, condAbsent)
			switch {
			case c.status == 304 || c.status == 412 || c.method == "HEAD":
				if body != "" {
					t.Errorf("SEMANTICS 59: body %q", body)
				}
			case body != condBody:
				t.Errorf("body %q", body)
			}
			if c.status == 412 {
				if cl := resp.Header.Get("Content-Length"); cl != "0" {
					t.Errorf("SEMANTICS 59: a 412 with Content-Length %q", cl)
				}
			}
		})
	}
	fx.settled(t)
}

// TestConditionalGetEmptyBody checks that an empty body gets no ETag
// (Django's test_no_etag_response_empty_content) and is then not
// evaluated (SEMANTICS 58).
func TestConditionalGetEmptyBody(t *testing.T) {
	fx := newCondFixture(t, []manouche.View{func(*manouche.Request) (*manouche.Response, error) { return response.HTML(""), nil }})
	resp, body := fx.do(t, "GET", 0, "If-None-Match", "*")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("SEMANTICS 58: %d %q", resp.StatusCode, body)
	}
	checkHeader(t, resp.Header, "Etag", condAbsent, condAbsent)
	fx.settled(t)
}

// TestConditionalGetNotModifiedHeaders is Django's test_not_modified_headers:
// the 304 keeps only the headers of RFC 9110 §15.4.5, Last-Modified and
// the cookies (SEMANTICS 59).
func TestConditionalGetNotModifiedHeaders(t *testing.T) {
	view := func(*manouche.Request) (*manouche.Response, error) {
		resp := response.HTML(condBody)
		h := resp.Header()
		h.Set("Date", "Sat, 12 Feb 2011 17:35:44 GMT")
		h.Set("Last-Modified", "Sat, 12 Feb 2011 17:35:44 GMT")
		h.Set("Expires", "Sun, 13 Feb 2011 17:35:44 GMT")
		h.Set("Vary", "Cookie")
		h.Set("Cache-Control", "public")
		h.Set("Content-Location", "/alt")
		h.Set("Content-Language", "en") // not kept
		h.Set("X-Custom", "1")          // not kept
		h.Set("ETag", `"spam"`)
		resp.SetCookie(&http.Cookie{Name: "key", Value: "value"})
		h.Add("Set-Cookie", "raw=1; Path=/") // set as a header, by a net/http layer, say
		return resp, nil
	}
	fx := newCondFixture(t, []manouche.View{view})
	base, _ := fx.do(t, "GET", 0)
	resp, body := fx.do(t, "GET", 0, "If-None-Match", `"spam"`)
	if resp.StatusCode != 304 || body != "" {
		t.Fatalf("SEMANTICS 59: %d %q", resp.StatusCode, body)
	}
	if n := len(base.Header.Values("Set-Cookie")); n != 2 {
		t.Fatalf("%d cookies on the 200", n)
	}
	for _, k := range []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Last-Modified", "Vary", "Set-Cookie"} {
		if got, want := resp.Header.Values(k), base.Header.Values(k); len(want) == 0 || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("SEMANTICS 59: %s %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"Content-Language", "X-Custom", "Content-Type", "Content-Length"} {
		if v, ok := resp.Header[k]; ok {
			t.Errorf("SEMANTICS 59: %s %q on the 304", k, v)
		}
	}
	fx.settled(t)
}

// TestConditionalGetPreconditionFailedLogged checks that a 412 is logged
// once, as "Precondition Failed: <path>" (SEMANTICS 59), and that a 304 is
// not logged.
func TestConditionalGetPreconditionFailedLogged(t *testing.T) {
	fx := newCondFixture(t, []manouche.View{condView(200, "ETag", `"spam"`)})
	resp, _ := fx.do(t, "GET", 0, "If-Match", `"eggs"`)
	if resp.StatusCode != 412 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	fx.do(t, "GET", 0, "If-None-Match", `"spam"`)
	fx.settled(t)
	logs := fx.logs.String()
	if n := strings.Count(logs, "Precondition Failed: /c/0/"); n != 1 {
		t.Errorf("SEMANTICS 59: logged %d times:\n%s", n, logs)
	}
	if strings.Contains(logs, "Not Modified") {
		t.Errorf("a 304 was logged:\n%s", logs)
	}
}

// TestConditionalGetStreams checks that a stream is never read (no ETag,
// the producer runs once, when written), and that a stream or file
// response that carries its own validators is replaced by a 304 or 412
// without its producer running, its file closed once and the request
// finished once (SEMANTICS 57, DESIGN promise 5).
func TestConditionalGetStreams(t *testing.T) {
	var ran, opened atomic.Int64
	closes := &testkit.CountCloser{}
	stream := func(hdr ...string) manouche.View {
		return func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Stream(func(ctx context.Context, w io.Writer) error {
				ran.Add(1)
				_, err := io.WriteString(w, condBody)
				return err
			})
			resp.AddCloser(closes)
			opened.Add(1)
			for i := 0; i+1 < len(hdr); i += 2 {
				resp.Header().Set(hdr[i], hdr[i+1])
			}
			return resp, nil
		}
	}
	file := func(r *manouche.Request) (*manouche.Response, error) {
		opened.Add(1)
		f := gzipCountedFile{Reader: bytes.NewReader([]byte(condBody)), closes: &closes.N}
		return response.File(r, f, response.ETag(`"f1"`), response.LastModified(time.Date(2011, 2, 12, 17, 38, 44, 0, time.UTC))), nil
	}
	fx := newCondFixture(t, []manouche.View{stream(), stream("ETag", `"s1"`), file})
	for _, c := range []struct {
		name   string
		view   int
		hdr    []string
		status int
		etag   string
		runs   int64 // producer runs expected
	}{
		{"plain stream: no ETag, produced once", 0, nil, 200, condAbsent, 1},
		{"plain stream with INM *: no ETag, no 304", 0, []string{"If-None-Match", "*"}, 200, condAbsent, 1},
		{"stream with its ETag: 304, never produced", 1, []string{"If-None-Match", `"s1"`}, 304, `"s1"`, 0},
		{"stream with its ETag: 412, never produced", 1, []string{"If-Match", `"s0"`}, 412, condAbsent, 0},
		{"stream with its ETag, no match: produced", 1, []string{"If-None-Match", `"s0"`}, 200, `"s1"`, 1},
		{"file: INM → 304", 2, []string{"If-None-Match", `"f1"`}, 304, `"f1"`, 0},
		{"file: IMS → 304", 2, []string{"If-Modified-Since", condLM}, 304, `"f1"`, 0},
		{"file: IUS earlier → 412", 2, []string{"If-Unmodified-Since", "Sat, 12 Feb 2011 17:00:00 GMT"}, 412, condAbsent, 0},
		{"file: whole", 2, nil, 200, `"f1"`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := ran.Load()
			resp, body := fx.do(t, "GET", c.view, c.hdr...)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			checkHeader(t, resp.Header, "Etag", c.etag, condAbsent)
			if want := map[bool]string{true: condBody, false: ""}[c.status == 200]; body != want {
				t.Errorf("body %q, want %q", body, want)
			}
			fx.settled(t)
			if got := ran.Load() - before; got != c.runs {
				t.Errorf("DESIGN promise 5: the producer ran %d times, want %d", got, c.runs)
			}
			if o, n := opened.Load(), closes.N.Load(); o != n {
				t.Errorf("SEMANTICS 57: %d opened, %d closed", o, n)
			}
		})
	}
	if s, f := fx.signals.Started.Load(), fx.signals.Finished.Load(); s != f {
		t.Errorf("%d started, %d finished", s, f)
	}
}

// TestConditionalGetAfterGZip checks the order the docs recommend: GZip
// outside ConditionalGet. The ETag is the content's, made weak by GZip,
// and sending it back gives a 304.
func TestConditionalGetAfterGZip(t *testing.T) {
	body := strings.Repeat(condBody+" ", 20)
	fx := newCondFixture(t, []manouche.View{func(*manouche.Request) (*manouche.Response, error) { return response.HTML(body), nil }},
		middleware.GZip(), middleware.ConditionalGet())
	resp, _ := fx.do(t, "GET", 0, "Accept-Encoding", "gzip")
	sum := md5.Sum([]byte(body))
	want := `W/"` + hex.EncodeToString(sum[:]) + `"`
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Etag") != want {
		t.Fatalf("Content-Encoding %q, ETag %q, want gzip and %s", resp.Header.Get("Content-Encoding"), resp.Header.Get("Etag"), want)
	}
	resp, b := fx.do(t, "GET", 0, "Accept-Encoding", "gzip", "If-None-Match", want)
	if resp.StatusCode != 304 || b != "" {
		t.Errorf("%d %q, want 304", resp.StatusCode, b)
	}
	fx.settled(t)
}

// TestConditionalGetOutsideHandler checks the layer's name and that it
// returns the next layer's response, unchanged, for a request without
// conditions.
func TestConditionalGetOutsideHandler(t *testing.T) {
	resp := response.HTML(condBody)
	m, err := middleware.ConditionalGet()(func(*manouche.Request) *manouche.Response { return resp })
	if err != nil {
		t.Fatal(err)
	}
	if got := middleware.Name(middleware.ConditionalGet(), m); got != "middleware.ConditionalGet" {
		t.Errorf("Name %q", got)
	}
	if _, err := middleware.ConditionalGet()(nil); err == nil {
		t.Error("no error for a nil next layer")
	}
	r := manouche.NewRequest(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), &manouche.Settings{}, nil, "", "/")
	out, err := m.Serve(r)
	if err != nil || out != resp || out.Header().Get("Etag") != condETag {
		t.Errorf("Serve: %v, same response %v, ETag %q", err, out == resp, out.Header().Get("Etag"))
	}
}
