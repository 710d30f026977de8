package templates

import (
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
)

func (e *Engine) cached() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.cache)
}

// DESIGN promise 6: only templates that exist are cached, so looking up
// names that do not exist, however many, keeps nothing.
func TestCacheHoldsOnlyExistingTemplates(t *testing.T) {
	for _, debug := range []bool{false, true} {
		t.Run(fmt.Sprintf("debug=%v", debug), func(t *testing.T) {
			fsys := fstest.MapFS{
				"page.html": {Data: []byte(`{{/* extends "base.html" */}}{{define "b"}}{{template "inc.html"}}{{end}}`)},
				"base.html": {Data: []byte(`{{block "b" .}}{{end}}`)},
				"inc.html":  {Data: []byte(`inc`)},
				"bad.html":  {Data: []byte(`{{if}}`)},
			}
			e, err := NewEngine(Config{FS: []fs.FS{fsys}, Debug: debug})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 1000 {
				if err := e.Render(io.Discard, nil, fmt.Sprintf("missing-%d.html", i), nil); err == nil {
					t.Fatal("a missing template rendered")
				}
				_ = e.Render(io.Discard, nil, "bad.html", nil)
			}
			if n := e.cached(); n != 0 {
				t.Fatalf("%d entries cached after missing and broken names, want 0", n)
			}
			for range 3 {
				if err := e.Render(io.Discard, nil, "page.html", nil); err != nil {
					t.Fatal(err)
				}
			}
			// The page only: its layout and include belong to its entry.
			if n := e.cached(); n != 1 {
				t.Errorf("%d entries cached, want 1", n)
			}
		})
	}
}

// Each entry keeps at most poolSize idle bindings, however many renders
// ran at once.
func TestBindingPoolIsBounded(t *testing.T) {
	e, err := NewEngine(Config{FS: []fs.FS{fstest.MapFS{"t.html": {Data: []byte(`{{.}}`)}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.poolSize = 2
	e.cache = map[string]*entry{}
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				hr := httptest.NewRequest("GET", "/", nil)
				r := manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/")
				if err := e.Render(io.Discard, r, "t.html", nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	en := e.cache["t.html"]
	if en == nil {
		t.Fatal("t.html not cached")
	}
	if n := len(en.free); n < 1 || n > 2 || cap(en.free) != 2 {
		t.Errorf("%d idle bindings (capacity %d), want 1 or 2 of 2", n, cap(en.free))
	}
	// A released binding forgets its request.
	for range len(en.free) {
		b := <-en.free
		if b.st.r != nil {
			t.Error("an idle binding holds a request")
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, safe, want string }{
		{"/a/b-c_d.e~f/", "/", "/a/b-c_d.e~f/"},
		{"/café x</", "/", "/caf%C3%A9%20x%3C/"},
		{"a?b#c%d", "/", "a%3Fb%23c%25d"},
		{"a/b", "", "a%2Fb"},
		{"!*()'", "/~!*()'", "!*()'"},
		{"", "/", ""},
	}
	for _, tt := range tests {
		if got := quote(tt.in, tt.safe); got != tt.want {
			t.Errorf("quote(%q, %q) = %q, want %q", tt.in, tt.safe, got, tt.want)
		}
	}
}
