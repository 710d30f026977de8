package middleware

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/manouche/manouche"
)

// condParseETags returns the list condMatch sees in one header line: "*"
// alone, or the well-formed entity-tags in order.
func condParseETags(s string) (tags []string, star bool) {
	if strings.Trim(s, " \t") == "*" {
		return nil, true
	}
	for tag, rest, ok := condNextETag(s); ok; tag, rest, ok = condNextETag(rest) {
		tags = append(tags, tag)
	}
	return tags, false
}

// condDjangoETag is Django's ETAG_MATCH.
var condDjangoETag = regexp.MustCompile(`\A((?:W/)?"[^"]*")\z`)

// condDjangoParseETags is Django's parse_etags, with RFC 9110's optional
// whitespace (space and tab) where Python's strip() takes any: split at
// every comma, keep the members ETAG_MATCH accepts.
func condDjangoParseETags(s string) (tags []string, star bool) {
	if strings.Trim(s, " \t") == "*" {
		return nil, true
	}
	for _, m := range strings.Split(s, ",") {
		if m = strings.Trim(m, " \t"); condDjangoETag.MatchString(m) {
			tags = append(tags, m)
		}
	}
	return tags, false
}

// condIsSubsequence reports whether sub appears in seq in order.
func condIsSubsequence(sub, seq []string) bool {
	i := 0
	for _, s := range seq {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

func TestETagList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		star bool
	}{
		{"", nil, false},
		{"*", nil, true},
		{" * ", nil, true},
		{`*, "a"`, []string{`"a"`}, false}, // "*" counts only alone, as in Django
		{`"a"`, []string{`"a"`}, false},
		{`W/"a"`, []string{`W/"a"`}, false},
		{` "a" ,W/"b",,"c"	`, []string{`"a"`, `W/"b"`, `"c"`}, false},
		{`""`, []string{`""`}, false},
		{`spam`, nil, false},
		{`spam, "eggs"`, []string{`"eggs"`}, false},
		{`w/"a"`, nil, false},
		{`W/ "a"`, nil, false},
		{`"a`, nil, false},
		{`"a"b, "c"`, []string{`"c"`}, false},
		{`"a,b", "c"`, []string{`"a,b"`, `"c"`}, false}, // Django drops "a,b"
		{`"a, "b"`, []string{`"b"`}, false},             // as Django: "a is not closed
		{`"a b"`, []string{`"a b"`}, false},
		{`"é"`, []string{`"é"`}, false},
	} {
		got, star := condParseETags(tc.in)
		if !slices.Equal(got, tc.want) || star != tc.star {
			t.Errorf("%q: %q, star %v; want %q, %v", tc.in, got, star, tc.want, tc.star)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		condMatch([]string{`"eggs", W/"ham", "spam"`}, `"spam"`, true)
	}); n != 0 {
		t.Errorf("condMatch allocates %v times", n)
	}
}

// FuzzETagList fuzzes the entity-tag list parser of If-Match and
// If-None-Match, which clients send (SEMANTICS 58):
//
//	go test -run x -fuzz FuzzETagList -fuzztime 30s ./middleware/
func FuzzETagList(f *testing.F) {
	for _, s := range []string{
		"", "*", " * ", `"a"`, `W/"a"`, `"a", W/"b"`, `"a,b", "c"`, `"a, "b"`, `spam`, `"a"b, "c"`,
		`W/`, `W/"`, `"`, `,,,`, `"x",`, `, "x"`, "\"\xff\"", `W/W/"a"`, `"a""b"`, "\t\"a\"\t,\t\"b\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, star := condParseETags(s)
		if star && len(tags) > 0 {
			t.Fatalf("%q: star and tags %q", s, tags)
		}
		for _, tag := range tags {
			opaque := strings.TrimPrefix(tag, "W/")
			if len(opaque) < 2 || opaque[0] != '"' || opaque[len(opaque)-1] != '"' || strings.Count(opaque, `"`) != 2 {
				t.Fatalf("%q: malformed tag %q", s, tag)
			}
			if !strings.Contains(s, tag) {
				t.Fatalf("%q: tag %q is not in the input", s, tag)
			}
		}
		// Round trip: the list written back parses to itself.
		if again, star2 := condParseETags(strings.Join(tags, ", ")); !slices.Equal(again, tags) || star2 {
			t.Fatalf("%q: %q written back parses to %q", s, tags, again)
		}
		// Every tag Django's parse_etags finds is found, in order.
		if dj, djStar := condDjangoParseETags(s); djStar != star || !condIsSubsequence(dj, tags) {
			t.Fatalf("%q: %q (star %v), Django's %q (star %v)", s, tags, star, dj, djStar)
		}
		// condMatch agrees with the list.
		values := []string{s}
		listed, matched := condMatch(values, "", false)
		if listed != (star || len(tags) > 0) || matched {
			t.Fatalf("%q: listed %v, matched %v without an ETag", s, listed, matched)
		}
		for _, tag := range tags {
			if _, m := condMatch(values, tag, true); !m {
				t.Fatalf("%q: %q does not match weakly", s, tag)
			}
			if _, m := condMatch(values, "W/"+strings.TrimPrefix(tag, "W/"), true); !m {
				t.Fatalf("%q: weak %q does not match weakly", s, tag)
			}
			strong := !strings.HasPrefix(tag, "W/")
			if _, m := condMatch(values, tag, false); m != strong {
				t.Fatalf("%q: %q matches strongly: %v", s, tag, m)
			}
		}
		if _, m := condMatch(values, `"never-listed-`+s+`"`, true); m && !star && !slices.ContainsFunc(tags, func(tag string) bool {
			return strings.TrimPrefix(tag, "W/") == `"never-listed-`+s+`"`
		}) {
			t.Fatalf("%q: an unlisted tag matches", s)
		}
	})
}

// TestGZipPatchVaryHeaders checks patchVaryHeaders, Django's
// patch_vary_headers, which GZip, the session and CSRF middleware share.
func TestGZipPatchVaryHeaders(t *testing.T) {
	for _, tc := range []struct {
		old   []string
		names []string
		want  []string
	}{
		{nil, []string{"Accept-Encoding"}, []string{"Accept-Encoding"}},
		{nil, []string{"Cookie", "Accept-Encoding"}, []string{"Cookie, Accept-Encoding"}},
		{nil, []string{"Cookie", "cookie"}, []string{"Cookie"}},
		{[]string{"Cookie"}, []string{"Accept-Encoding"}, []string{"Cookie, Accept-Encoding"}},
		{[]string{"Accept-Encoding"}, []string{"Cookie"}, []string{"Accept-Encoding, Cookie"}},
		{[]string{"accept-encoding"}, []string{"Accept-Encoding"}, []string{"accept-encoding"}},
		{[]string{"Origin,cookie"}, []string{"Cookie"}, []string{"Origin,cookie"}},
		{[]string{"Origin", "Cookie"}, []string{"Accept-Encoding"}, []string{"Origin, Cookie, Accept-Encoding"}},
		{[]string{" Origin ,, "}, []string{"Cookie"}, []string{"Origin, Cookie"}},
		{[]string{""}, []string{"Cookie"}, []string{"Cookie"}},
		{[]string{"*"}, []string{"Cookie"}, []string{"*"}},
		{[]string{"Cookie, *"}, []string{"Cookie"}, []string{"*"}},
		{[]string{"Cookie"}, []string{"*"}, []string{"*"}},
		{[]string{"Cookie"}, nil, []string{"Cookie"}},
	} {
		for _, viaMap := range []bool{false, true} {
			resp := manouche.NewResponse(200, nil, "")
			for _, v := range tc.old {
				resp.AddHeader("Vary", v)
			}
			if viaMap {
				resp.Header() // the same through the http.Header store
			}
			patchVaryHeaders(resp, tc.names...)
			if got := resp.HeaderValues("Vary"); !slices.Equal(got, tc.want) {
				t.Errorf("Vary %q + %q (map %v): %q, want %q", tc.old, tc.names, viaMap, got, tc.want)
			}
		}
	}
	resp := manouche.NewResponse(200, nil, "")
	resp.SetHeader("Vary", "Cookie, Accept-Encoding")
	if n := testing.AllocsPerRun(100, func() { patchVaryHeaders(resp, "Accept-Encoding") }); n != 0 {
		t.Errorf("patching a Vary that has the name allocates %v times", n)
	}
}
