package manouche_test

import (
	"reflect"
	"testing"

	"github.com/manouche/manouche"
)

func TestParseCookies(t *testing.T) {
	// SEMANTICS 7: Django's parse_cookie, with the cases of
	// tests/httpwrappers CookieTests and tests/handlers.
	for _, tc := range []struct {
		name    string
		headers []string
		want    map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"empty", []string{""}, map[string]string{}},
		{"python", []string{"chips=ahoy; vienna=finger"}, map[string]string{"chips": "ahoy", "vienna": "finger"}},
		// Every ';' separates, even inside quotes.
		{"keebler", []string{`keebler="E=mc2; L=\"Loves\"; fudge=\012;"`},
			map[string]string{"keebler": `"E=mc2`, "L": `\"Loves\"`, "fudge": `\012`, "": `"`}},
		{"equals in value", []string{"keebler=E=mc2"}, map[string]string{"keebler": "E=mc2"}},
		{"colon in name", []string{"key:term=value:term"}, map[string]string{"key:term": "value:term"}},
		{"brackets", []string{"a=b; c=[; d=r; f=h"}, map[string]string{"a": "b", "c": "[", "d": "r", "f": "h"}},
		{"rfc 6265 attributes", []string{"a=b; Domain=example.com"}, map[string]string{"a": "b", "Domain": "example.com"}},
		{"last wins", []string{"a=b; h=i; a=c"}, map[string]string{"a": "c", "h": "i"}},
		{"unnamed", []string{"abc=def; unnamed; django_language=en"},
			map[string]string{"abc": "def", "": "unnamed", "django_language": "en"}},
		{"lone quote", []string{`a=b; "; c=d`}, map[string]string{"a": "b", "": `"`, "c": "d"}},
		{"spaces", []string{"a b c=d e = f; gh=i"}, map[string]string{"a b c": "d e = f", "gh": "i"}},
		{"forbidden characters", []string{`a   b,c<>@:/[]?{}=d  "  =e,f g`}, map[string]string{"a   b,c<>@:/[]?{}": `d  "  =e,f g`}},
		{"unicode", []string{"saint=André Bessette"}, map[string]string{"saint": "André Bessette"}},
		{"whitespace", []string{"  =  b  ;  ;  =  ;   c  =  ;  "}, map[string]string{"": "b", "c": ""}},
		// tests/handlers test_non_ascii_cookie: UTF-8 bytes, quoted.
		{"non-ascii quoted", []string{"want=\"caf\xc3\xa9\""}, map[string]string{"want": "café"}},
		// tests/handlers test_invalid_unicode_cookie: never fails; the
		// byte that is not UTF-8 becomes U+FFFD (Django's "replace").
		{"invalid unicode", []string{"x=W\x03c(h]\x8e"}, map[string]string{"x": "W\x03c(h]\ufffd"}},
		{"truncated sequence", []string{"x=a\xe2\x82; y=b"}, map[string]string{"x": "a\ufffd", "y": "b"}},
		// Python's _unquote: \" \\ and \ooo octal (a code point).
		{"unquote", []string{`a="x\"y\\z"; b="\351t\303\251"; c="\q"; d="\400"; e="\"`},
			map[string]string{"a": `x"y\z`, "b": "étÃ©", "c": "q", "d": "400", "e": `\`}},
		{"quoted empty", []string{`a=""`}, map[string]string{"a": ""}},
		{"one quote", []string{`a="`}, map[string]string{"a": `"`}},
		{"python whitespace", []string{"\x1fa=b\u00a0; \u3000c=d"}, map[string]string{"a": "b", "c": "d"}},
		{"several headers", []string{"a=1; b=2", "c=3", "a=4"}, map[string]string{"a": "4", "b": "2", "c": "3"}},
	} {
		got := manouche.ParseCookies(tc.headers)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q\n got %q\nwant %q", tc.name, tc.headers, got, tc.want)
		}
	}
}

func TestRequestCookies(t *testing.T) {
	// SEMANTICS 6, 7: parsed lazily from the Cookie headers, then cached.
	r := prRequest(t, "GET", "/", nil, "", nil)
	r.Header().Add("Cookie", "sessionid=abc; csrftoken=x")
	r.Header().Add("Cookie", "x=W\x03c(h]\x8e")
	got := r.Cookies()
	want := map[string]string{"sessionid": "abc", "csrftoken": "x", "x": "W\x03c(h]\ufffd"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	if len(prRequest(t, "GET", "/", nil, "", nil).Cookies()) != 0 {
		t.Error("cookies without a Cookie header")
	}
}
