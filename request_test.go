package manouche_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche"
)

type ctxKey string

// The request's context and net/http's request agree: HTTP carries the
// context SetContext gave, is made once per context, and shares the
// fields of the request it was built from; SetHTTP replaces both.
func TestRequestHTTPContext(t *testing.T) {
	hr := httptest.NewRequest("GET", "/a?x=1", nil)
	hr.Header.Set("X-Test", "yes")
	r := manouche.NewRequest(nil, hr, nil, nil, "", "/a")
	if r.HTTP() != hr || r.Context() != hr.Context() {
		t.Fatal("a new request: HTTP is not net/http's request, or Context not its context")
	}

	ctx := context.WithValue(hr.Context(), ctxKey("k"), "v")
	r.SetContext(ctx)
	if r.Context() != ctx {
		t.Fatal("Context is not the one SetContext gave")
	}
	got := r.HTTP()
	if got == hr || got.Context() != ctx {
		t.Fatalf("after SetContext, HTTP's context %v, want %v (a copy of hr)", got.Context(), ctx)
	}
	if r.HTTP() != got {
		t.Error("a second HTTP call made another copy")
	}
	if hr.Context() == ctx {
		t.Error("SetContext changed the request it was given")
	}
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"Header shared", r.Header().Get("X-Test"), "yes"},
		{"URL shared", got.URL, hr.URL},
		{"RemoteAddr", r.RemoteAddr(), hr.RemoteAddr},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	// A field set through HTTP is the request's.
	r.HTTP().Host = "example.com"
	r.Settings.AllowedHosts = []string{"example.com"}
	if host, err := r.Host(); err != nil || host != "example.com" {
		t.Errorf("Host() = %q, %v after setting HTTP().Host", host, err)
	}

	// SetHTTP: the request and its context are the given request's.
	ctx2 := context.WithValue(context.Background(), ctxKey("k"), "w")
	hr2 := hr.WithContext(ctx2)
	r.SetHTTP(hr2)
	if r.HTTP() != hr2 || r.Context() != ctx2 {
		t.Fatal("after SetHTTP: HTTP or Context is not the given request's")
	}
}

func TestRequestSetContextNil(t *testing.T) {
	r := manouche.NewRequest(nil, httptest.NewRequest("GET", "/", nil), nil, nil, "", "/")
	defer func() {
		if recover() == nil {
			t.Error("SetContext(nil) did not panic")
		}
	}()
	r.SetContext(nil)
}

// A request copies net/http's request only when HTTP is asked for, once
// per context.
func TestRequestHTTPCopiesOnce(t *testing.T) {
	hr := httptest.NewRequest("GET", "/", nil)
	r := manouche.NewRequest(nil, hr, nil, nil, "", "/")
	ctx := context.WithValue(hr.Context(), ctxKey("k"), "v")
	var sink *http.Request
	for _, tc := range []struct {
		name string
		f    func()
		want float64
	}{
		{"SetContext, Context, Header", func() { r.SetContext(ctx); _ = r.Context(); _ = r.Header() }, 0},
		{"SetContext, HTTP twice", func() { r.SetContext(ctx); sink = r.HTTP(); sink = r.HTTP() }, 1},
	} {
		if n := testing.AllocsPerRun(100, tc.f); n != tc.want {
			t.Errorf("%s: %.0f allocations, want %.0f", tc.name, n, tc.want)
		}
	}
	_ = sink
}
