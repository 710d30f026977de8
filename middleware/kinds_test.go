package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/internal/kindtest"
	"github.com/manouche/manouche/middleware"
)

// kindStack is one middleware stack run over every kind of response.
type kindStack struct {
	name     string
	mw       func() []middleware.Factory
	settings manouche.Settings
	tls      bool
	// header is sent with every request (Accept-Encoding, …).
	header http.Header
	touch  func(r *manouche.Request) error
	// check asserts what the stack adds to a response the middleware saw
	// (not the views that take the connection over).
	check func(t *testing.T, c kindtest.Case, res kindtest.Result)
}

func hasCookie(res kindtest.Result, name string) bool {
	for _, v := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return true
		}
	}
	return false
}

func varies(res kindtest.Result, name string) bool {
	for _, v := range res.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func wantHeader(t *testing.T, c kindtest.Case, res kindtest.Result, name, want string) {
	t.Helper()
	if got := res.Header.Get(name); got != want {
		t.Errorf("%s: %s = %q, want %q", c.Name, name, got, want)
	}
}

// encoded reports whether GZip should have compressed c's response.
func encoded(c kindtest.Case) bool {
	switch c.Name {
	case "buffered", "streaming", "file", "deferred", "head-buffered", "head-streaming", "head-file":
		return true
	}
	return false
}

var kindStacks = []kindStack{
	{
		name:     "Security",
		mw:       func() []middleware.Factory { return []middleware.Factory{middleware.Security()} },
		settings: manouche.Settings{Secure: manouche.SecureSettings{HSTSSeconds: 3600, HSTSIncludeSubdomains: true}},
		tls:      true,
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			wantHeader(t, c, res, "Strict-Transport-Security", "max-age=3600; includeSubDomains")
			wantHeader(t, c, res, "X-Content-Type-Options", "nosniff")
			wantHeader(t, c, res, "Referrer-Policy", "same-origin")
			wantHeader(t, c, res, "Cross-Origin-Opener-Policy", "same-origin")
		},
	},
	{
		name: "XFrameOptions",
		mw:   func() []middleware.Factory { return []middleware.Factory{middleware.XFrameOptions()} },
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			wantHeader(t, c, res, "X-Frame-Options", "DENY")
		},
	},
	{
		name: "Common",
		mw:   func() []middleware.Factory { return []middleware.Factory{middleware.Common()} },
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			if c.Name == "streaming" && res.Header.Get("Content-Length") != "" {
				t.Errorf("streaming: Content-Length %q on a stream (SEMANTICS 61)", res.Header.Get("Content-Length"))
			}
		},
	},
	{
		name:   "GZip",
		mw:     func() []middleware.Factory { return []middleware.Factory{middleware.GZip()} },
		header: http.Header{"Accept-Encoding": {"gzip"}},
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			enc := res.Header.Get("Content-Encoding")
			if encoded(c) != (enc == "gzip") {
				t.Errorf("%s: Content-Encoding %q", c.Name, enc)
			}
			if c.Name != "not-modified" && !varies(res, "Accept-Encoding") {
				t.Errorf("%s: Vary %q lacks Accept-Encoding", c.Name, res.Header.Values("Vary"))
			}
			if c.Name == "file" && res.Header.Get("ETag") != `W/"kind-file"` {
				t.Errorf("file: ETag %q, want the weak form", res.Header.Get("ETag"))
			}
		},
	},
	{
		name: "ConditionalGet",
		mw:   func() []middleware.Factory { return []middleware.Factory{middleware.ConditionalGet()} },
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			etag := res.Header.Get("ETag")
			switch c.Name {
			case "buffered", "deferred":
				if !strings.HasPrefix(etag, `"`) {
					t.Errorf("%s: ETag %q, want one made from the body", c.Name, etag)
				}
			case "streaming", "head-buffered", "head-streaming":
				if etag != "" {
					t.Errorf("%s: ETag %q on a stream or a HEAD", c.Name, etag)
				}
			case "file", "ranged", "head-file":
				if etag != `"kind-file"` {
					t.Errorf("%s: ETag %q, want the file's own", c.Name, etag)
				}
			}
		},
	},
	{
		name: "Sessions",
		mw: func() []middleware.Factory {
			return []middleware.Factory{middleware.Sessions(middleware.SignedCookies())}
		},
		settings: manouche.Settings{SecretKey: "kind test secret"},
		touch: func(r *manouche.Request) error {
			return middleware.SessionFrom(r).Set("kind", r.Path)
		},
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			if !hasCookie(res, "sessionid") {
				t.Errorf("%s: no session cookie in %q", c.Name, res.Header.Values("Set-Cookie"))
			}
			if !varies(res, "Cookie") {
				t.Errorf("%s: Vary %q lacks Cookie", c.Name, res.Header.Values("Vary"))
			}
		},
	},
	{
		name: "CSRF",
		mw:   func() []middleware.Factory { return []middleware.Factory{middleware.CSRF()} },
		touch: func(r *manouche.Request) error {
			_, err := middleware.CSRFToken(r)
			return err
		},
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			if !hasCookie(res, "csrftoken") {
				t.Errorf("%s: no CSRF cookie in %q", c.Name, res.Header.Values("Set-Cookie"))
			}
		},
	},
	{
		name:     "Messages",
		mw:       func() []middleware.Factory { return []middleware.Factory{middleware.Messages()} },
		settings: manouche.Settings{SecretKey: "kind test secret", Messages: manouche.MessageSettings{Storage: "cookie"}},
		touch: func(r *manouche.Request) error {
			return middleware.MessagesFrom(r).Success("served " + r.Path)
		},
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			if !hasCookie(res, "messages") {
				t.Errorf("%s: no messages cookie in %q", c.Name, res.Header.Values("Set-Cookie"))
			}
		},
	},
	{
		// Django's default stack with GZip and ConditionalGet where its
		// documentation puts them, every view using the session, a CSRF
		// token and a message.
		name: "Default+GZip+ConditionalGet",
		mw: func() []middleware.Factory {
			return append([]middleware.Factory{middleware.GZip(), middleware.ConditionalGet()}, middleware.Default(nil)...)
		},
		settings: manouche.Settings{SecretKey: "kind test secret"},
		tls:      true,
		header:   http.Header{"Accept-Encoding": {"gzip"}},
		touch: func(r *manouche.Request) error {
			if err := middleware.SessionFrom(r).Set("kind", r.Path); err != nil {
				return err
			}
			if _, err := middleware.CSRFToken(r); err != nil {
				return err
			}
			return middleware.MessagesFrom(r).Info("served " + r.Path)
		},
		check: func(t *testing.T, c kindtest.Case, res kindtest.Result) {
			wantHeader(t, c, res, "X-Frame-Options", "DENY")
			wantHeader(t, c, res, "X-Content-Type-Options", "nosniff")
			for _, name := range []string{"sessionid", "csrftoken"} {
				if !hasCookie(res, name) {
					t.Errorf("%s: no %s cookie in %q", c.Name, name, res.Header.Values("Set-Cookie"))
				}
			}
			if !varies(res, "Cookie") {
				t.Errorf("%s: Vary %q lacks Cookie", c.Name, res.Header.Values("Vary"))
			}
			if enc := res.Header.Get("Content-Encoding"); encoded(c) != (enc == "gzip") {
				t.Errorf("%s: Content-Encoding %q", c.Name, enc)
			}
			if c.Name == "buffered" || c.Name == "deferred" {
				if etag := res.Header.Get("ETag"); !strings.HasPrefix(etag, `W/"`) {
					t.Errorf("%s: ETag %q, want the body's, made weak by GZip", c.Name, etag)
				}
			}
		},
	},
}

// Every built-in middleware, alone and in the full stack, over every kind
// of response through a real server: the client gets the view's body
// (decoded), streams still stream, HEAD and 304 carry no body, the views
// that flush or hijack keep http.ResponseController and the connection,
// and the middleware's headers are there (DESIGN promise 5).
func TestEveryKindOfResponse(t *testing.T) {
	for _, st := range kindStacks {
		t.Run(st.name, func(t *testing.T) {
			s := kindtest.Start(t, kindtest.Config{
				Settings: st.settings, Middleware: st.mw(), TLS: st.tls, Touch: st.touch,
			})
			for _, c := range kindtest.Cases() {
				t.Run(c.Name, func(t *testing.T) {
					res := s.Do(t, c, st.header)
					kindtest.Check(t, c, res)
					if !c.TakesOver && st.check != nil {
						st.check(t, c, res)
					}
				})
			}
		})
	}
}
