package manouche

import (
	"strings"
	"unicode/utf8"
)

// RepercentBrokenUnicode is Django's repercent_broken_unicode (SEMANTICS
// 4, RFC 3987 section 3.2 step 3): every byte of path that is not part of a
// valid UTF-8 sequence is percent-encoded again ("%ED"), so the result is
// valid UTF-8; valid text, including existing escapes, is left untouched.
// A path such as "/\xed" then simply fails to resolve (404) instead of
// breaking the handler.
func RepercentBrokenUnicode(path string) string {
	if utf8.ValidString(path) {
		return path
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(path) + 16)
	for i := 0; i < len(path); {
		r, size := utf8.DecodeRuneInString(path[i:])
		if r == utf8.RuneError && size == 1 {
			c := path[i]
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			i++
			continue
		}
		b.WriteString(path[i : i+size])
		i += size
	}
	return b.String()
}

// EscapeURIPath is Django's escape_uri_path: every byte of path is
// percent-encoded except ASCII letters and digits and the characters
// -_.~/:@&+$,!*'() (";", "=" and "?" are encoded, RFC 3986 §3.3, and so
// is "%": the path is decoded).
func EscapeURIPath(path string) string { return percentEncode(path, "-_.~/:@&+$,!*'()") }

// IRIToURI is Django's iri_to_uri: every byte of the UTF-8 form is
// percent-encoded except ASCII letters and digits, "_.-~" and the
// reserved characters /#%[]=:;$&()+,!?*@' (so existing %-escapes are
// kept). Redirects use it for their Location.
func IRIToURI(iri string) string { return percentEncode(iri, "_.-~/#%[]=:;$&()+,!?*@'") }

// percentEncode encodes every byte of s but ASCII letters, digits and the
// bytes of safe as %XX.
func percentEncode(s, safe string) string {
	ok := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte(safe, c) >= 0
	}
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; ok(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
