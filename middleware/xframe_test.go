package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// xframeCheck fails unless h has exactly one X-Frame-Options, of value
// want, or none when want is "".
func xframeCheck(t *testing.T, h http.Header, want string) {
	t.Helper()
	got := h.Values("X-Frame-Options")
	switch {
	case want == "" && len(got) != 0:
		t.Errorf("X-Frame-Options: %q, want none", got)
	case want != "" && (len(got) != 1 || got[0] != want):
		t.Errorf("X-Frame-Options: %q, want %q", got, want)
	}
}

// xframePatterns are the routes of TestXFrameOptions.
func xframePatterns() []urls.Pattern {
	exemptKey, _ := middleware.XFrameExempt()
	return []urls.Pattern{
		urls.Path("page/", hdrText("page")),
		urls.Path("exempt/", hdrText("exempt"), urls.Attr(middleware.XFrameExempt())),
		urls.Path("exempt-stream/", func(*manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) { yield([]byte("streamed")) }), nil
		}, urls.Attr(middleware.XFrameExempt())),
		urls.Include("widgets/", []urls.Pattern{
			urls.Path("one/", hdrText("one")),
			urls.Path("framed-not/", hdrText("not"), urls.Attr(exemptKey, false)),
		}, urls.Attr(middleware.XFrameExempt())),
		urls.Path("sameorigin/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("own")
			resp.Header().Set("X-Frame-Options", "SAMEORIGIN") // Django's @xframe_options_sameorigin
			return resp, nil
		}),
		urls.Path("deny/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.Text("own")
			resp.Header().Set("X-Frame-Options", "DENY") // Django's @xframe_options_deny
			return resp, nil
		}),
		urls.Path("gone/", func(*manouche.Request) (*manouche.Response, error) {
			return nil, manouche.NotFound("gone")
		}),
	}
}

func TestXFrameOptions(t *testing.T) {
	for _, setting := range []struct{ value, want string }{
		{"", "DENY"},
		{"DENY", "DENY"},
		{"deny", "DENY"},
		{"SAMEORIGIN", "SAMEORIGIN"},
		{"SameOrigin", "SAMEORIGIN"},
	} {
		srv, c := hdrServe(t, handler.Config{
			Settings:   manouche.Settings{XFrameOptions: setting.value},
			Middleware: []middleware.Factory{middleware.XFrameOptions()},
		}, false, xframePatterns()...)
		for _, tc := range []struct {
			name, path string
			status     int
			want       string // "" means no header
		}{
			{"the setting's value", "/page/", 200, setting.want},
			{"an error page gets it too", "/missing/", 404, setting.want},
			{"a view's Http404 page gets it too", "/gone/", 404, setting.want},
			{"an exempt route", "/exempt/", 200, ""},
			{"an exempt streaming route", "/exempt-stream/", 200, ""},
			{"exempt through an include", "/widgets/one/", 200, ""},
			{"an inner route takes the exemption back", "/widgets/framed-not/", 200, setting.want},
			{"a view's own SAMEORIGIN is kept", "/sameorigin/", 200, "SAMEORIGIN"},
			{"a view's own DENY is kept", "/deny/", 200, "DENY"},
		} {
			t.Run(setting.value+": "+tc.name, func(t *testing.T) {
				resp, _ := hdrDo(t, c, "GET", srv.URL+tc.path)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				xframeCheck(t, resp.Header, tc.want)
			})
		}
	}
}

// X_FRAME_OPTIONS other than DENY or SAMEORIGIN stops handler.New.
func TestXFrameOptionsConfigErrors(t *testing.T) {
	for _, bad := range []string{"ALLOW-FROM https://example.com", "ALLOWALL", " DENY", "none"} {
		t.Run(bad, func(t *testing.T) {
			conf, err := urls.New([]urls.Pattern{urls.Path("", hdrText("x"))})
			if err != nil {
				t.Fatal(err)
			}
			_, err = handler.New(handler.Config{
				Settings:   manouche.Settings{XFrameOptions: bad},
				URLConf:    conf,
				Middleware: []middleware.Factory{middleware.XFrameOptions()},
			})
			var ic *manouche.ImproperlyConfigured
			if !errors.As(err, &ic) {
				t.Fatalf("handler.New: %v, want an ImproperlyConfigured error", err)
			}
			for _, w := range []string{"middleware.XFrameOptions", "XFrameOptions", `"` + bad + `"`, "X_FRAME_OPTIONS"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

// DESIGN promise 5: every kind of response gets the header, the body
// untouched.
func TestXFrameOptionsKinds(t *testing.T) {
	srv, c := hdrServe(t, handler.Config{
		Settings:   manouche.Settings{XFrameOptions: "sameorigin"},
		Middleware: []middleware.Factory{middleware.XFrameOptions()},
	}, false, hdrKindPatterns()...)
	hdrRunKinds(t, srv, c, func(t *testing.T, _ hdrKind, resp *http.Response) {
		xframeCheck(t, resp.Header, "SAMEORIGIN")
	})
}

// The layer's name in messages, and the default until configured.
func TestXFrameOptionsName(t *testing.T) {
	f := middleware.XFrameOptions()
	m, err := f(func(*manouche.Request) *manouche.Response { return response.Text("x") })
	if err != nil {
		t.Fatal(err)
	}
	if got := middleware.Name(f, m); got != "middleware.XFrameOptions" {
		t.Errorf("Name: %q", got)
	}
	if _, err := f(nil); err == nil {
		t.Errorf("a nil next layer was accepted")
	}
	hr := httptest.NewRequest("GET", "/", nil)
	resp, err := m.Serve(manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/"))
	if err != nil {
		t.Fatal(err)
	}
	xframeCheck(t, resp.Header(), "DENY")
}
