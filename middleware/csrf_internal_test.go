package middleware

import (
	"strings"
	"testing"
)

// The CSRF helpers, exported for the fuzz test of package middleware_test.
// For tests only.

// CSRFCheckFormatForTest is _check_token_format: "" or the reason.
func CSRFCheckFormatForTest(token string) string { return csrfCheckFormat(token) }

// CSRFTokenMatchesForTest is _does_token_match.
func CSRFTokenMatchesForTest(token, secret string) bool { return csrfTokenMatches(token, secret) }

// CSRFMaskForTest is _mask_cipher_secret.
func CSRFMaskForTest(secret string) string { return csrfMask(secret) }

// CSRFUnmaskForTest is _unmask_cipher_token.
func CSRFUnmaskForTest(token string) string { return csrfUnmask(token) }

// CSRFNewSecretForTest is _get_new_csrf_string.
func CSRFNewSecretForTest() string { return csrfNewSecret() }

// TestCSRFSplitURL: the scheme and netloc Python's urlsplit gives, and
// its ValueErrors (SEMANTICS 105: Django compares those).
func TestCSRFSplitURL(t *testing.T) {
	for _, tc := range []struct {
		in             string
		scheme, netloc string
		ok             bool
	}{
		{"https://example.com/path?q#f", "https", "example.com", true},
		{"HTTPS://Example.COM:8443", "https", "Example.COM:8443", true},
		{"https://user:pw@example.com/", "https", "user:pw@example.com", true},
		{"https://example.com?x", "https", "example.com", true},
		{"https://example.com#x", "https", "example.com", true},
		{"https:///path", "https", "", true},
		{"https:example.com", "https", "", true},
		{"//example.com/x", "", "example.com", true},
		{"example.com/x", "", "", true},
		{"null", "", "", true},
		{"", "", "", true},
		{"1http://example.com", "", "", true}, // a scheme starts with a letter
		{"ht tp://example.com", "", "", true},
		{"  https://example.com", "https", "example.com", true},
		{"https://exa\tmple.com", "https", "example.com", true},
		{"https://example.com/100%", "https", "example.com", true},
		{"https://[::1]:8443/", "https", "[::1]:8443", true},
		{"https://u@[2001:db8::1]/", "https", "u@[2001:db8::1]", true},
		{"https://[v1.fe]/", "https", "[v1.fe]", true},
		{"https://[::1/", "", "", false},
		{"https://::1]/", "", "", false},
		{"https://[127.0.0.1]/", "", "", false},
		{"https://[example.com]/", "", "", false},
		{"https://a[::1]/", "", "", false},
		{"https://[::1]x/", "", "", false},
		{"https://[v1]/", "", "", false},
	} {
		scheme, netloc, ok := csrfSplitURL(tc.in)
		if scheme != tc.scheme || netloc != tc.netloc || ok != tc.ok {
			t.Errorf("csrfSplitURL(%q) = %q, %q, %v; want %q, %q, %v", tc.in, scheme, netloc, ok, tc.scheme, tc.netloc, tc.ok)
		}
	}
}

func TestCSRFHelpers(t *testing.T) {
	t.Run("title", func(t *testing.T) {
		for in, want := range map[string]string{
			"X-CSRFToken": "X-Csrftoken", "x-xsrf-token": "X-Xsrf-Token", "X_A1b": "X_A1B", "a": "A",
		} {
			if got := csrfTitle(in); got != want {
				t.Errorf("csrfTitle(%q) = %q, want %q", in, got, want)
			}
		}
	})
	t.Run("same domain", func(t *testing.T) {
		for _, tc := range []struct {
			host, pattern string
			want          bool
		}{
			{"example.com", "example.com", true},
			{"example.com", "EXAMPLE.com", true},
			{"EXAMPLE.com", "example.com", false}, // the host is compared as it is, as Django does
			{"a.example.com", ".example.com", true},
			{"example.com", ".example.com", true},
			{"badexample.com", ".example.com", false},
			{"example.com:8000", ".example.com", false},
			{"a.example.com:8000", ".example.com:8000", true},
			{"example.com", "", false},
		} {
			if got := csrfSameDomain(tc.host, tc.pattern); got != tc.want {
				t.Errorf("csrfSameDomain(%q, %q) = %v", tc.host, tc.pattern, got)
			}
		}
	})
	t.Run("secrets", func(t *testing.T) {
		seen := map[byte]bool{}
		prev := ""
		for range 200 {
			s := csrfNewSecret()
			if csrfCheckFormat(s) != "" || len(s) != csrfSecretLength || s == prev {
				t.Fatalf("csrfNewSecret() = %q", s)
			}
			prev = s
			for i := 0; i < len(s); i++ {
				seen[s[i]] = true
			}
			tok := csrfMask(s)
			if len(tok) != csrfTokenLength || csrfCheckFormat(tok) != "" || csrfUnmask(tok) != s || !csrfTokenMatches(tok, s) || !csrfTokenMatches(s, s) {
				t.Fatalf("csrfMask(%q) = %q does not round-trip", s, tok)
			}
			if tok[csrfSecretLength:] == s || csrfMask(s) == tok {
				t.Fatalf("the mask does nothing: %q", tok)
			}
		}
		// 6400 draws: every one of the 62 characters appears.
		if len(seen) != len(csrfAllowedChars) {
			t.Errorf("only %d of the 62 characters were drawn", len(seen))
		}
	})
	t.Run("format", func(t *testing.T) {
		for tok, want := range map[string]string{
			strings.Repeat("a", 32): "", strings.Repeat("Z9", 32): "",
			"": csrfReasonIncorrectLength, strings.Repeat("a", 33): csrfReasonIncorrectLength,
			strings.Repeat("a", 31) + "-": csrfReasonInvalidChars, strings.Repeat("é", 16): csrfReasonInvalidChars,
		} {
			if got := csrfCheckFormat(tok); got != want {
				t.Errorf("csrfCheckFormat(%q) = %q, want %q", tok, got, want)
			}
		}
		if csrfTokenMatches(strings.Repeat("é", 16), strings.Repeat("é", 16)) {
			t.Error("malformed tokens match")
		}
	})
}
