package response

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/manouche/manouche"
)

// Django's HttpResponseRedirect and HttpResponsePermanentRedirect:
// Location through iri_to_uri, relative targets kept.
func TestRedirect(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("x", MaxRedirectLength-len("https://example.com/"))
	tests := []struct {
		url, location string
	}{
		{"/redirected/", "/redirected/"},
		{"https://example.com/a?b=c&d=e#f", "https://example.com/a?b=c&d=e#f"},
		{"http://example.com", "http://example.com"},
		{"ftp://example.com/file", "ftp://example.com/file"},
		{"HTTPS://EXAMPLE.COM/", "HTTPS://EXAMPLE.COM/"},
		{"//example.com/x", "//example.com/x"},
		{"../up/", "../up/"},
		{"?page=2", "?page=2"},
		{"", ""},
		// No scheme: the first character is not a letter, or a character
		// before ":" cannot be in a scheme.
		{"/path:with:colons", "/path:with:colons"},
		{"a/b:c", "a/b:c"},
		{"1http://x", "1http://x"},
		// iri_to_uri (tests/utils_tests/test_encoding.py).
		{"/café/?q=é", "/caf%C3%A9/?q=%C3%A9"},
		{"/blog/for/Jürgen Münster/", "/blog/for/J%C3%BCrgen%20M%C3%BCnster/"},
		{"red%09rosé#red", "red%09ros%C3%A9#red"},
		{"%&", "%&"},
		{"red&♥ros%#red", "red&%E2%99%A5ros%#red"},
		{"/a\"b<c>d{e}f|g\\h^i`j", "/a%22b%3Cc%3Ed%7Be%7Df%7Cg%5Ch%5Ei%60j"},
		// No header injection: CR and LF are encoded.
		{"/a\r\nSet-Cookie: x=1", "/a%0D%0ASet-Cookie:%20x=1"},
		// Exactly MaxRedirectLength characters is allowed.
		{long, long},
	}
	constructors := []struct {
		name   string
		f      func(string) (*manouche.Response, error)
		status int
	}{
		{"Redirect", Redirect, 302},
		{"PermanentRedirect", PermanentRedirect, 301},
	}
	for _, c := range constructors {
		for _, tt := range tests {
			t.Run(c.name, func(t *testing.T) {
				r, err := c.f(tt.url)
				if err != nil {
					t.Fatalf("%s(%.40q): %v", c.name, tt.url, err)
				}
				if r.StatusCode != c.status {
					t.Errorf("status = %d, want %d", r.StatusCode, c.status)
				}
				if got := r.Header().Get("Location"); got != tt.location {
					t.Errorf("%s(%.40q): Location = %.60q, want %.60q", c.name, tt.url, got, tt.location)
				}
				if ct := r.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
			})
		}
	}
}

// SEMANTICS 65: a scheme other than http, https or ftp is a
// DisallowedRedirect (400); so is a target over MaxRedirectLength.
func TestRedirectDisallowed(t *testing.T) {
	tooLong := "Unsafe redirect exceeding 16384 characters"
	tests := []struct {
		url, msg string
	}{
		{"javascript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		{"JavaScript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		// Python's urlsplit strips leading C0 controls and spaces and drops
		// tabs and newlines, and so do browsers.
		{" javascript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		{"\x00\x1fjavascript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		{"java\tscript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		{"java\r\nscript:alert(1)", "Unsafe redirect to URL with protocol 'javascript'"},
		// tests/httpwrappers/tests.py test_unsafe_redirect.
		{`data:text/html,<script>window.alert("xss")</script>`, "Unsafe redirect to URL with protocol 'data'"},
		{"mailto:test@example.com", "Unsafe redirect to URL with protocol 'mailto'"},
		{"file:///etc/passwd", "Unsafe redirect to URL with protocol 'file'"},
		{"ssh://foo", "Unsafe redirect to URL with protocol 'ssh'"},
		{"vbscript:msgbox", "Unsafe redirect to URL with protocol 'vbscript'"},
		{"web+app.x-y:z", "Unsafe redirect to URL with protocol 'web+app.x-y'"},
		// Since Python 3.9 "host:port" parses as a scheme.
		{"localhost:8000/x", "Unsafe redirect to URL with protocol 'localhost'"},
		// The length, in characters, is checked first (Django 5.2.9+).
		{"https://example.com/" + strings.Repeat("x", MaxRedirectLength-len("https://example.com/")+1), tooLong},
		{"javascript:" + strings.Repeat("x", MaxRedirectLength), tooLong},
		{"/" + strings.Repeat("é", MaxRedirectLength), tooLong},
	}
	for _, f := range []func(string) (*manouche.Response, error){Redirect, PermanentRedirect} {
		for _, tt := range tests {
			r, err := f(tt.url)
			if r != nil || err == nil {
				t.Errorf("redirect(%.40q) = %v, %v; want an error", tt.url, r, err)
				continue
			}
			var so *manouche.SuspiciousOperation
			if !errors.As(err, &so) || so.Kind != "DisallowedRedirect" || so.Message != tt.msg {
				t.Errorf("redirect(%.40q) error = %#v, want DisallowedRedirect %q", tt.url, err, tt.msg)
			}
			if !errors.Is(err, manouche.ErrDisallowedRedirect) {
				t.Errorf("errors.Is(err, ErrDisallowedRedirect) = false")
			}
			if got := manouche.StatusFor(err); got != 400 {
				t.Errorf("StatusFor = %d, want 400", got)
			}
		}
	}
	// Characters, not bytes: MaxRedirectLength two-byte characters pass.
	url := strings.Repeat("é", MaxRedirectLength)
	if _, err := Redirect(url); err != nil {
		t.Errorf("%d characters (%d bytes): %v", MaxRedirectLength, len(url), err)
	}
}

func TestURLScheme(t *testing.T) {
	tests := map[string]string{
		"http://x": "http", "HtTp://x": "http", "svn+ssh://x": "svn+ssh", "a:": "a",
		":x": "", "/x:y": "", "x": "", "": "", "  ": "", "é:x": "", "a b:c": "", "9a:b": "",
		"\t\nhttps://x": "https", "ht\ttp:x": "http",
	}
	for in, want := range tests {
		if got := urlScheme(in); got != want {
			t.Errorf("urlScheme(%q) = %q, want %q", in, got, want)
		}
	}
}

// Redirect targets often come from the client (?next=…): whatever the
// input, Redirect does not panic, refuses exactly the unsafe schemes and the
// over-long targets, and the Location it sets is plain ASCII with nothing
// that could end the header.
func FuzzRedirect(f *testing.F) {
	for _, s := range []string{
		"/", "https://example.com/a?b#c", "javascript:alert(1)", " \tjava\nscript:x", "/café/",
		"//evil.example", "localhost:80", "%zz", "\x00", "a:b:c", "\xff\xfe", "/a\r\nX: y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, url string) {
		r, err := Redirect(url)
		scheme := urlScheme(url)
		wantErr := utf8.RuneCountInString(url) > MaxRedirectLength ||
			scheme != "" && scheme != "http" && scheme != "https" && scheme != "ftp"
		if (err != nil) != wantErr {
			t.Fatalf("Redirect(%q) error = %v, want error %v", url, err, wantErr)
		}
		if err != nil {
			if !errors.Is(err, manouche.ErrDisallowedRedirect) || r != nil {
				t.Fatalf("Redirect(%q) = %v, %v", url, r, err)
			}
			return
		}
		loc := r.Header().Get("Location")
		for i := 0; i < len(loc); i++ {
			if c := loc[i]; c <= ' ' || c >= 0x7f || manouche.IRIToURI(string(c)) != string(c) {
				t.Fatalf("Location %q has byte %#x", loc, c)
			}
		}
	})
}
