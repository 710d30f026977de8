package response

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/manouche/manouche"
)

// MaxRedirectLength is the longest redirect target accepted, in characters
// (Unicode code points, as Python's len): Django's MAX_URL_REDIRECT_LENGTH.
// Django 5.2.8 introduced the check with 2048 (MAX_URL_LENGTH) and 5.2.9
// raised it to 16384 because real redirects (signed URLs, SSO) are longer
// (ticket #36743).
const MaxRedirectLength = 16384

// Redirect returns a 302 response to url (Django's HttpResponseRedirect).
// The Location header is url with non-ASCII and unsafe characters
// percent-encoded, as Django's iri_to_uri; relative URLs are kept as they
// are. A url longer than MaxRedirectLength characters, or with a scheme
// other than http, https or ftp, is refused with a DisallowedRedirect
// *manouche.SuspiciousOperation ("Unsafe redirect to URL with protocol
// 'javascript'"), which the handler answers with 400 (SEMANTICS 65).
//
// The scheme check is not an open-redirect check: a target on another host
// ("https://evil.example/", "//evil.example/") passes. Check targets that
// come from the client against the allowed hosts first.
func Redirect(url string) (*manouche.Response, error) {
	return redirect(302, url)
}

// PermanentRedirect returns a 301 response to url (Django's
// HttpResponsePermanentRedirect), with Redirect's checks.
func PermanentRedirect(url string) (*manouche.Response, error) {
	return redirect(301, url)
}

func redirect(status int, url string) (*manouche.Response, error) {
	// Counted before any other work on url, so that a huge target costs
	// nothing (Django's check is a fix for a denial of service).
	if utf8.RuneCountInString(url) > MaxRedirectLength {
		return nil, &manouche.SuspiciousOperation{
			Kind:    "DisallowedRedirect",
			Message: fmt.Sprintf("Unsafe redirect exceeding %d characters", MaxRedirectLength),
		}
	}
	if scheme := urlScheme(url); scheme != "" && scheme != "http" && scheme != "https" && scheme != "ftp" {
		return nil, &manouche.SuspiciousOperation{
			Kind:    "DisallowedRedirect",
			Message: fmt.Sprintf("Unsafe redirect to URL with protocol '%s'", scheme),
		}
	}
	r := manouche.NewResponse(status, nil, ContentTypeHTML)
	r.SetHeader("Location", manouche.IRIToURI(url))
	return r, nil
}

// urlScheme returns the lower-cased scheme of url as Python's
// urllib.parse.urlsplit finds it (what Django checks): leading C0 controls
// and spaces are stripped and tabs and newlines removed anywhere, so
// " java\tscript:…" has the scheme "javascript"; a scheme starts with an
// ASCII letter and holds letters, digits, "+", "-" and "."; "" if none.
func urlScheme(url string) string {
	url = strings.TrimLeftFunc(url, func(r rune) bool { return r <= ' ' })
	i := strings.IndexByte(url, ':')
	if i <= 0 {
		return ""
	}
	raw := strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url[:i])
	if raw == "" || !isASCIILetter(raw[0]) {
		return ""
	}
	for j := 0; j < len(raw); j++ {
		c := raw[j]
		if !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return ""
		}
	}
	return strings.ToLower(raw)
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
