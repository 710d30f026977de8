package manouche

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// SplitDomainPort splits a Host header value into its lower-cased domain
// and its port, as Django's split_domain_port: the value must be a name of
// [a-z0-9.-] or a bracketed IPv6 address, optionally followed by ":digits";
// one trailing dot is dropped from the domain. When the value is not of
// that form both results are "". host is taken as bytes (as a WSGI server
// hands the header to Django, in ISO-8859-1), so only ASCII letters are
// lower-cased and any non-ASCII byte makes it invalid.
//
// It matches exactly what Django's host_validation_re,
// ^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$, matches, with a
// scan instead of a regular expression: it runs on every request.
func SplitDomainPort(host string) (domain, port string) {
	h := asciiLower(host)
	var rest string
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", ""
		}
		inner := h[1:end]
		colon := strings.IndexByte(inner, ':')
		if colon < 0 || colon == len(inner)-1 || !allIn(inner[:colon], isLowerHex) ||
			!allIn(inner[colon+1:], isHexDotColon) {
			return "", ""
		}
		domain, rest = h[:end+1], h[end+1:]
	} else {
		end := strings.IndexByte(h, ':')
		if end < 0 {
			end = len(h)
		}
		if end == 0 || !allIn(h[:end], isDomainByte) {
			return "", ""
		}
		domain, rest = h[:end], h[end:]
	}
	if rest != "" {
		if len(rest) < 2 || rest[0] != ':' || !allIn(rest[1:], isDigit) {
			return "", ""
		}
		port = rest[1:]
	}
	return strings.TrimSuffix(domain, "."), port
}

// allIn reports whether every byte of s is in the class.
func allIn(s string, class func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !class(s[i]) {
			return false
		}
	}
	return true
}

// The byte classes of Django's host_validation_re, on a lower-cased host.
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isLowerHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' }
func isHexDotColon(c byte) bool { return isLowerHex(c) || c == '.' || c == ':' }
func isDomainByte(c byte) bool  { return isDigit(c) || 'a' <= c && c <= 'z' || c == '.' || c == '-' }

// ValidateHost reports whether domain (lower-case, without port, as
// returned by SplitDomainPort) matches one of the allowed patterns, as
// Django's validate_host: "*" matches anything, ".example.com" matches
// example.com and all its subdomains, anything else must be equal
// (patterns are compared lower-cased).
func ValidateHost(domain string, allowed []string) bool {
	for _, pattern := range allowed {
		if pattern == "*" || isSameDomain(domain, pattern) {
			return true
		}
	}
	return false
}

// isSameDomain is Django's django.utils.http.is_same_domain.
func isSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	pattern = strings.ToLower(pattern)
	if pattern[0] == '.' && (strings.HasSuffix(host, pattern) || host == pattern[1:]) {
		return true
	}
	return pattern == host
}

// validateHost is Django's get_host() (SEMANTICS 99): the raw host (the
// X-Forwarded-Host header when Settings.UseXForwardedHost, else the Host
// header, else the server's own address) is returned unchanged when its
// domain is allowed, else a DisallowedHost error with Django's message.
func (r *Request) validateHost() (string, error) {
	s := r.settingsOrDefault()
	host := r.rawHost(s)
	allowed := s.AllowedHosts
	if s.Debug && len(allowed) == 0 {
		allowed = []string{".localhost", "127.0.0.1", "[::1]"}
	}
	domain, _ := SplitDomainPort(host)
	if domain != "" && ValidateHost(domain, allowed) {
		return host, nil
	}
	msg := "Invalid HTTP_HOST header: " + pyReprLatin1(host) + "."
	if domain != "" {
		msg += " You may need to add " + pyReprLatin1(domain) + " to ALLOWED_HOSTS."
	} else {
		msg += " The domain name provided is not valid according to RFC 1034/1035."
	}
	return "", &SuspiciousOperation{Kind: "DisallowedHost", Message: msg}
}

// rawHost is Django's _get_raw_host. Like Django, a multi-valued
// X-Forwarded-Host is not split: the values are joined with "," and the
// comma makes the host invalid. net/http cannot tell an empty Host header
// from a missing one, so an empty Host falls back to the server address
// (PEP 333's SERVER_NAME:SERVER_PORT, the port left out when it is the
// scheme's default).
func (r *Request) rawHost(s *Settings) string {
	if s.UseXForwardedHost {
		if v := r.hr.Header.Values("X-Forwarded-Host"); len(v) > 0 {
			return strings.Join(v, ",")
		}
	}
	if r.hr.Host != "" {
		return r.hr.Host
	}
	addr, _ := r.ctx.Value(http.LocalAddrContextKey).(net.Addr)
	if addr == nil {
		return ""
	}
	name, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	def := "80"
	if r.IsSecure() {
		def = "443"
	}
	if port != def {
		name += ":" + port
	}
	return name
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// pyReprLatin1 formats s as Python's repr() of the str obtained by
// decoding s as ISO-8859-1, which is how Django sees header values under
// WSGI: quotes chosen as Python does, control and non-printable
// characters as \t, \n, \r or \xhh.
func pyReprLatin1(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || 0x7f <= c && c <= 0xa0 || c == 0xad:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c < 0x7f:
			b.WriteByte(c)
		default:
			b.WriteRune(rune(c))
		}
	}
	b.WriteByte(quote)
	return b.String()
}
