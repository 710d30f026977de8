package middleware

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/response"
)

// Security returns Django's SecurityMiddleware, configured from
// Settings.Secure (Django's SECURE_* settings). List it first, so that
// its HTTPS redirect comes before any other work.
//
// In the request phase, with Secure.SSLRedirect, a request that did not
// come over HTTPS (Request.IsSecure, which believes Secure.ProxySSLHeader
// when that is set) and whose path, without its leading slashes, matches
// none of Secure.RedirectExempt is answered with a 301 to
// "https://" + (Secure.SSLHost, or else the request's host) + the full
// path with its query string (SECURE_SSL_REDIRECT, SECURE_SSL_HOST,
// SECURE_REDIRECT_EXEMPT). The patterns are matched against
// Request.PathInfo, the path below the mount prefix, so they do not
// change when the handler is mounted elsewhere; Django matches the whole
// path.
//
// In the response phase, on every response, the redirect included, it
// adds each of these headers when the response does not have it already
// (SEMANTICS 63):
//
//   - Strict-Transport-Security, on secure requests only, when
//     Secure.HSTSSeconds is positive: "max-age=N", with
//     "; includeSubDomains" and "; preload" as Secure.HSTSIncludeSubdomains
//     and Secure.HSTSPreload say (SECURE_HSTS_*);
//   - X-Content-Type-Options: nosniff, unless
//     Secure.DisableContentTypeNosniff (SECURE_CONTENT_TYPE_NOSNIFF);
//   - Referrer-Policy: Secure.ReferrerPolicy, "same-origin" when empty,
//     none when manouche.Off; a comma-separated list of fallbacks is sent
//     with its items trimmed (SECURE_REFERRER_POLICY);
//   - Cross-Origin-Opener-Policy: Secure.CrossOriginOpenerPolicy,
//     "same-origin" when empty, none when manouche.Off
//     (SECURE_CROSS_ORIGIN_OPENER_POLICY).
//
// The layer touches headers only, never a body, so it serves every kind
// of response alike: buffered, streaming, files and byte ranges, HEAD and
// 304 answers. A view that writes through Request.ResponseWriter sends
// its own headers: the response object it returns is not written.
//
// When the handler is built the layer compiles the exempt patterns and
// checks the header values, and the handler refuses to start on a bad
// pattern, a negative HSTSSeconds, or a referrer or opener policy that is
// not one of the values browsers know (Django's checks security.E023 and
// security.E024). The referrer policies are no-referrer,
// no-referrer-when-downgrade, origin, origin-when-cross-origin,
// same-origin, strict-origin, strict-origin-when-cross-origin and
// unsafe-url; the opener policies are same-origin,
// same-origin-allow-popups, unsafe-none and noopener-allow-popups.
func Security() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		l := &securityLayer{next: next}
		// Django's defaults until the handler configures the layer; the
		// zero Settings cannot fail.
		_ = l.Configure(&manouche.Settings{})
		return l, nil
	}
}

// securityReferrerPolicies are the values of SECURE_REFERRER_POLICY
// Django's check security.E023 accepts.
var securityReferrerPolicies = []string{
	"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
	"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url",
}

// securityOpenerPolicies are the values of
// SECURE_CROSS_ORIGIN_OPENER_POLICY Django's check security.E024 accepts,
// and the HTML standard's later noopener-allow-popups.
var securityOpenerPolicies = []string{
	"same-origin", "same-origin-allow-popups", "unsafe-none", "noopener-allow-popups",
}

// securityLayer is the built Security layer. Everything it derives from
// the settings is computed by Configure, before the first request; Serve
// only reads it.
type securityLayer struct {
	next Handler

	redirect     bool
	redirectHost string
	exempt       []*regexp.Regexp

	hsts     string // the Strict-Transport-Security value; "" sends none
	nosniff  bool
	referrer string // the Referrer-Policy value; "" sends none
	opener   string // the Cross-Origin-Opener-Policy value; "" sends none
}

// Name returns "middleware.Security".
func (l *securityLayer) Name() string { return "middleware.Security" }

// Configure derives the layer's header values and exempt patterns from
// s.Secure. The handler calls it once, when it is built.
func (l *securityLayer) Configure(s *manouche.Settings) error {
	sec := &s.Secure
	if sec.HSTSSeconds < 0 {
		return manouche.Improperlyf("Settings.Secure.HSTSSeconds is %d: it must be 0 (no Strict-Transport-Security header) or a number of seconds (SECURE_HSTS_SECONDS).", sec.HSTSSeconds)
	}
	exempt := make([]*regexp.Regexp, 0, len(sec.RedirectExempt))
	for _, p := range sec.RedirectExempt {
		re, err := regexp.Compile(p)
		if err != nil {
			return manouche.Improperlyf("Settings.Secure.RedirectExempt: the pattern %q is not a valid regular expression (SECURE_REDIRECT_EXEMPT): %v", p, err)
		}
		exempt = append(exempt, re)
	}
	referrer, err := securityPolicy("ReferrerPolicy", "SECURE_REFERRER_POLICY", sec.ReferrerPolicy, securityReferrerPolicies, true)
	if err != nil {
		return err
	}
	opener, err := securityPolicy("CrossOriginOpenerPolicy", "SECURE_CROSS_ORIGIN_OPENER_POLICY", sec.CrossOriginOpenerPolicy, securityOpenerPolicies, false)
	if err != nil {
		return err
	}

	hsts := ""
	if sec.HSTSSeconds > 0 {
		hsts = "max-age=" + strconv.Itoa(sec.HSTSSeconds)
		if sec.HSTSIncludeSubdomains {
			hsts += "; includeSubDomains"
		}
		if sec.HSTSPreload {
			hsts += "; preload"
		}
	}

	l.redirect = sec.SSLRedirect
	l.redirectHost = sec.SSLHost
	l.exempt = exempt
	l.hsts = hsts
	l.nosniff = !sec.DisableContentTypeNosniff
	l.referrer = referrer
	l.opener = opener
	return nil
}

// securityPolicy resolves a policy header setting: "" is "same-origin",
// manouche.Off is no header, anything else must be one of valid (a
// comma-separated list of them when list is true, sent trimmed and joined
// with ",").
func securityPolicy(field, django, v string, valid []string, list bool) (string, error) {
	switch v {
	case "":
		return "same-origin", nil
	case manouche.Off:
		return "", nil
	}
	items := []string{v}
	if list {
		items = strings.Split(v, ",")
	}
	for i, item := range items {
		item = strings.TrimSpace(item)
		if !slices.Contains(valid, item) {
			return "", manouche.Improperlyf("Settings.Secure.%s is %q: %q is not a valid value (%s). Valid values are: %s; manouche.Off sends no header.",
				field, v, item, django, strings.Join(valid, ", "))
		}
		items[i] = item
	}
	return strings.Join(items, ","), nil
}

// Serve redirects plain-HTTP requests to HTTPS when configured to, calls
// the next layer otherwise, and adds the security headers to the
// response.
func (l *securityLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	var resp *manouche.Response
	if l.redirect && !r.IsSecure() && !l.exempted(r.PathInfo) {
		host := l.redirectHost
		if host == "" {
			var err error
			if host, err = r.Host(); err != nil {
				return nil, err // DisallowedHost: a 400
			}
		}
		var err error
		if resp, err = response.PermanentRedirect("https://" + host + r.FullPath()); err != nil {
			return nil, err
		}
	} else {
		resp = l.next(r)
	}
	l.addHeaders(r, resp)
	return resp, nil
}

// exempted reports whether path, without its leading slashes, matches a
// RedirectExempt pattern.
func (l *securityLayer) exempted(path string) bool {
	if len(l.exempt) == 0 {
		return false
	}
	path = strings.TrimLeft(path, "/")
	for _, re := range l.exempt {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// addHeaders sets each security header resp lacks (Django's setdefault),
// through the response's header methods: no map, no allocation.
func (l *securityLayer) addHeaders(r *manouche.Request, resp *manouche.Response) {
	if l.hsts != "" && !resp.HasHeader("Strict-Transport-Security") && r.IsSecure() {
		resp.SetHeader("Strict-Transport-Security", l.hsts)
	}
	if l.nosniff {
		resp.SetDefaultHeader("X-Content-Type-Options", "nosniff")
	}
	if l.referrer != "" {
		resp.SetDefaultHeader("Referrer-Policy", l.referrer)
	}
	if l.opener != "" {
		resp.SetDefaultHeader("Cross-Origin-Opener-Policy", l.opener)
	}
}
