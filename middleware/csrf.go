package middleware

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/manouche/manouche"
)

// Django's CSRF constants and reasons (django/middleware/csrf.py).
const (
	// CSRFSessionKey is the session key the secret is kept under with
	// Settings.CSRF.UseSessions (Django's CSRF_SESSION_KEY).
	CSRFSessionKey = "_csrftoken"
	// CSRFFormField is the name of the form field a POSTed form carries its
	// token in (Django's "csrfmiddlewaretoken").
	CSRFFormField = "csrfmiddlewaretoken"

	csrfSecretLength = 32
	csrfTokenLength  = 2 * csrfSecretLength
	csrfAllowedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

	csrfReasonBadOrigin       = "Origin checking failed - %s does not match any trusted origins."
	csrfReasonNoReferer       = "Referer checking failed - no Referer."
	csrfReasonBadReferer      = "Referer checking failed - %s does not match any trusted origins."
	csrfReasonNoCookie        = "CSRF cookie not set."
	csrfReasonTokenMissing    = "CSRF token missing."
	csrfReasonMalformedRefer  = "Referer checking failed - Referer is malformed."
	csrfReasonInsecureReferer = "Referer checking failed - Referer is insecure while host is secure."
	csrfReasonIncorrectLength = "has incorrect length"
	csrfReasonInvalidChars    = "has invalid characters"

	csrfDefaultCookieName = "csrftoken"
	csrfDefaultHeaderName = "X-CSRFToken"
	csrfDefaultCookieAge  = 60 * 60 * 24 * 7 * 52 // 52 weeks, in seconds
	csrfLoggerName        = "manouche.security.csrf"
)

// csrfIndex maps a byte to its index in csrfAllowedChars, or -1.
var csrfIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(csrfAllowedChars); i++ {
		t[csrfAllowedChars[i]] = int8(i)
	}
	return t
}()

// CSRF returns Django's CsrfViewMiddleware: it refuses a request with an
// unsafe method (anything but GET, HEAD, OPTIONS and TRACE) that does not
// prove it comes from one of the site's own pages, and sends the CSRF
// cookie those pages need (SEMANTICS 105). List it after the session
// middleware (with Settings.CSRF.UseSessions it must come after it) and
// before any middleware that assumes the request was checked.
//
// The secret is a random string of 32 letters and digits, kept in the
// cookie Settings.CSRF.CookieName ("csrftoken"), or in the session under
// CSRFSessionKey with Settings.CSRF.UseSessions. Pages send a masked form
// of it, a 64-character token that changes with every call (CSRFToken,
// CSRFInput, CSRFInputFunc), in the "csrfmiddlewaretoken" field of a
// POSTed form or in the header Settings.CSRF.HeaderName ("X-CSRFToken");
// the bare 32-character secret is accepted there too, as Django does.
//
// In the view phase (after the URL is resolved), in Django's order:
//
//   - a route with the CSRFExempt attribute, and a request already
//     accepted by a CSRF layer, pass;
//   - GET, HEAD, OPTIONS and TRACE pass;
//   - a request with an Origin header must come from the request's own
//     origin (scheme://host, Request.Host) or from one of
//     Settings.CSRF.TrustedOrigins ("https://*.example.com" allows every
//     subdomain), else "Origin checking failed - <origin> does not match
//     any trusted origins.";
//   - without an Origin header, a secure request (Request.IsSecure) needs
//     a Referer header that is a well-formed https URL of the request's
//     host, of a trusted origin's host, or, when the cookie domain is set
//     (Settings.CSRF.CookieDomain, or Settings.Session.CookieDomain with
//     UseSessions), of that domain with the port of the request's host
//     (unless 80 or 443; Django takes SERVER_PORT);
//   - the secret must be there ("CSRF cookie not set."), which is checked
//     before the request body is read;
//   - the token is read from the "csrfmiddlewaretoken" field of a POST
//     (Request.POST: a body over the upload limits is its 400, as in
//     Django; a body that cannot be read counts as a missing token), else
//     from the header ("CSRF token missing."), and must unmask to the
//     secret (compared in constant time).
//
// A rejected request gets the response of Settings.CSRF.FailureView,
// called with a *CSRFError giving the reason, or Django's 403 page ("CSRF
// verification failed. Request aborted.", the reason shown with Debug).
// It is logged once, at WARNING, as "Forbidden (<reason>): <path>" with
// the logger attribute "manouche.security.csrf", on the request's logger
// (the handler's), and marked logged so the handler does not log it
// again.
//
// In the response phase the cookie is set (or the session updated) when
// the request used the token (CSRFToken and friends), rotated it
// (RotateCSRFToken), the route has the EnsureCSRFCookie attribute, or the
// request's cookie was malformed; with the cookie, "Cookie" is added to
// Vary. The cookie has Settings.CSRF's attributes: Max-Age of CookieAge
// (52 weeks by default, a browser-session cookie when negative), Path
// (default "/"), Domain, Secure, HttpOnly and SameSite (Lax by default;
// http.SameSiteDefaultMode sends none). A request that neither posts nor
// uses the token costs the layer no allocation, unless it carries a CSRF
// cookie, whose format is checked (Request.Cookies).
func CSRF() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		l := &csrfLayer{next: next}
		// Django's defaults until the handler configures the layer; the
		// zero Settings cannot fail.
		_ = l.Configure(&manouche.Settings{})
		return l, nil
	}
}

// CSRFError is the reason a request failed CSRF verification: the err a
// Settings.CSRF.FailureView receives. Reason is Django's reason text, such
// as "CSRF cookie not set.". Returned from a view, it is a 403 like a
// *manouche.PermissionDenied (errors.As finds one).
type CSRFError struct {
	Reason string
}

// Error returns "CSRF verification failed: <reason>".
func (e *CSRFError) Error() string { return "CSRF verification failed: " + e.Reason }

// As lets errors.As see a *CSRFError as a *manouche.PermissionDenied, so
// the handler answers one that a view returns with a 403.
func (e *CSRFError) As(target any) bool {
	if p, ok := target.(**manouche.PermissionDenied); ok {
		*p = &manouche.PermissionDenied{Message: e.Error()}
		return true
	}
	return false
}

// csrfExemptKey and csrfEnsureKey are the route attribute keys of
// CSRFExempt and EnsureCSRFCookie.
type (
	csrfExemptKey struct{}
	csrfEnsureKey struct{}
)

// CSRFExempt returns the route attribute, key and value for urls.Attr,
// that exempts a route from the CSRF checks: Django's @csrf_exempt, the Go
// way. The token functions still work on it.
//
//	urls.Path("webhook/", webhook, urls.Attr(middleware.CSRFExempt()))
//
// Set on an include, it covers every route under it; an inner route can
// take the exemption back with the same key and the value false.
func CSRFExempt() (key, value any) { return csrfExemptKey{}, true }

// EnsureCSRFCookie returns the route attribute, key and value for
// urls.Attr, that makes the CSRF middleware send its cookie with the
// route's responses even when the page did not use the token: Django's
// @ensure_csrf_cookie, for pages whose scripts post with the cookie's
// value (read it, send it in the X-CSRFToken header). The cookie is not
// sent when the request is rejected.
func EnsureCSRFCookie() (key, value any) { return csrfEnsureKey{}, true }

// csrfAttr reports whether the route of r has the attribute key set to
// true.
func csrfAttr(r *manouche.Request, key any) bool {
	v, _ := r.ResolverMatch.Attr(key)
	b, _ := v.(bool)
	return b
}

// csrfLayer is the built CSRF layer.
type csrfLayer struct {
	next Handler

	cookieName     string
	cookieMaxAge   int // seconds; 0: a browser-session cookie
	cookieDomain   string
	cookiePath     string
	cookieSecure   bool
	cookieHTTPOnly bool
	cookieSameSite http.SameSite
	headerKey      string // the token header, canonical
	headerLabel    string // the same, as Django names it in reasons
	useSessions    bool
	refererDomain  string // CSRF_COOKIE_DOMAIN, or SESSION_COOKIE_DOMAIN with sessions
	debug          bool
	failureView    manouche.ErrorView

	trustedHosts     []string            // netlocs of TrustedOrigins, "*" stripped
	originsExact     map[string]struct{} // TrustedOrigins without "*"
	originSubdomains map[string][]string // scheme → ".example.com" netlocs
}

// Name returns "middleware.CSRF".
func (l *csrfLayer) Name() string { return "middleware.CSRF" }

// Configure reads Settings.CSRF: it applies the defaults, refuses a
// trusted origin without a scheme (Django's check 4_0.E001), a cookie or
// header name that is not an HTTP token, and precomputes the trusted
// origins' hosts. The handler calls it once, when it is built. Django's
// CSRF needs no SECRET_KEY, and neither does this layer.
func (l *csrfLayer) Configure(s *manouche.Settings) error {
	c := &s.CSRF
	l.cookieName = c.CookieName
	if l.cookieName == "" {
		l.cookieName = csrfDefaultCookieName
	}
	if !csrfIsToken(l.cookieName) {
		return manouche.Improperlyf("Settings.CSRF.CookieName %q is not a valid cookie name (CSRF_COOKIE_NAME).", l.cookieName)
	}
	switch {
	case c.CookieAge == 0:
		l.cookieMaxAge = csrfDefaultCookieAge
	case c.CookieAge < 0:
		l.cookieMaxAge = 0
	default:
		l.cookieMaxAge = int((c.CookieAge + time.Second - 1) / time.Second)
	}
	l.cookieDomain = c.CookieDomain
	l.cookiePath = c.CookiePath
	if l.cookiePath == "" {
		l.cookiePath = "/"
	}
	l.cookieSecure = c.CookieSecure
	l.cookieHTTPOnly = c.CookieHTTPOnly
	l.cookieSameSite = c.CookieSameSite
	if l.cookieSameSite == 0 {
		l.cookieSameSite = http.SameSiteLaxMode
	}
	header := c.HeaderName
	if header == "" {
		header = csrfDefaultHeaderName
	}
	if !csrfIsToken(header) {
		return manouche.Improperlyf("Settings.CSRF.HeaderName %q is not a valid HTTP header name (CSRF_HEADER_NAME).", header)
	}
	l.headerKey = http.CanonicalHeaderKey(header)
	l.headerLabel = csrfTitle(header)
	l.useSessions = c.UseSessions
	l.refererDomain = c.CookieDomain
	if c.UseSessions {
		l.refererDomain = s.Session.CookieDomain
	}
	l.debug = s.Debug
	l.failureView = c.FailureView

	l.trustedHosts = nil
	l.originsExact = map[string]struct{}{}
	l.originSubdomains = map[string][]string{}
	for _, o := range c.TrustedOrigins {
		scheme, netloc, ok := csrfSplitURL(o)
		if i := strings.Index(o, "://"); !ok || i <= 0 || !strings.EqualFold(o[:i], scheme) {
			return manouche.Improperlyf("The values in Settings.CSRF.TrustedOrigins (CSRF_TRUSTED_ORIGINS) must start with a scheme (usually http:// or https://) but found %s. (Django's check 4_0.E001.)", o)
		}
		host := strings.ToLower(strings.TrimLeft(netloc, "*"))
		l.trustedHosts = append(l.trustedHosts, host)
		if strings.Contains(o, "*") {
			l.originSubdomains[scheme] = append(l.originSubdomains[scheme], host)
		} else {
			l.originsExact[o] = struct{}{}
		}
	}
	return nil
}

// Serve is Django's process_request (the secret is loaded when first
// needed, not here), the next layer, then process_response.
func (l *csrfLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	if l.useSessions && SessionFrom(r) == nil {
		return nil, errCSRFNoSession
	}
	resp := l.next(r)
	st := csrfLoadState(r)
	if st == nil && !l.useSessions && l.hasBadCookie(r) {
		// Django's process_request replaces a malformed cookie with a new
		// secret: create the state, whose loading does that.
		var err error
		if st, err = csrfStateOf(r); err != nil {
			return nil, err
		}
	}
	if st != nil && st.needsUpdate {
		if err := l.save(r, resp, st.secret); err != nil {
			return nil, err
		}
		// Another CSRF layer outside this one need not set it again; a
		// later rotation sets the flag anew.
		st.needsUpdate = false
	}
	return resp, nil
}

// hasBadCookie reports whether r carries a CSRF cookie that is not a
// well-formed secret. A request without the cookie's name in its Cookie
// header costs a scan of it, nothing more.
func (l *csrfLayer) hasBadCookie(r *manouche.Request) bool {
	found := false
	for _, h := range r.Header()["Cookie"] {
		if strings.Contains(h, l.cookieName) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	v, ok := r.Cookies()[l.cookieName]
	return ok && csrfCheckFormat(v) != ""
}

// save is Django's _set_csrf_cookie: the secret goes to the session or to
// the cookie, and then Vary gets "Cookie".
func (l *csrfLayer) save(r *manouche.Request, resp *manouche.Response, secret string) error {
	if l.useSessions {
		sess := SessionFrom(r)
		if sess == nil {
			return errCSRFNoSession
		}
		cur, ok, err := sess.String(CSRFSessionKey)
		if err != nil {
			return fmt.Errorf("CSRF: reading the secret from the session: %w", err)
		}
		if !ok || cur != secret {
			if err := sess.Set(CSRFSessionKey, secret); err != nil {
				return fmt.Errorf("CSRF: saving the secret in the session: %w", err)
			}
		}
		return nil
	}
	resp.SetCookie(&http.Cookie{
		Name:     l.cookieName,
		Value:    secret,
		MaxAge:   l.cookieMaxAge,
		Domain:   l.cookieDomain,
		Path:     l.cookiePath,
		Secure:   l.cookieSecure,
		HttpOnly: l.cookieHTTPOnly,
		SameSite: l.cookieSameSite,
	})
	patchVaryHeaders(resp, "Cookie")
	return nil
}

// ProcessView is Django's process_view: the checks, in Django's order.
func (l *csrfLayer) ProcessView(r *manouche.Request, _ manouche.View, _ []any, _ map[string]any) (*manouche.Response, error) {
	if st := csrfLoadState(r); st != nil && st.done {
		return nil, nil
	}
	if !csrfAttr(r, csrfExemptKey{}) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		default:
			reason, err := l.check(r)
			if err != nil {
				return nil, err
			}
			if reason != "" {
				return l.reject(r, reason)
			}
			// Django's csrf_processing_done: another CSRF layer does not
			// check the request again. (Without a scope there is no other
			// layer to tell.)
			if st, err := csrfStateOf(r); err == nil {
				st.done = true
			}
		}
	}
	if csrfAttr(r, csrfEnsureKey{}) {
		if _, err := CSRFToken(r); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// check runs the checks of an unsafe request; it returns the reason to
// reject it, or "" to accept it. An error is not a rejection: a body over
// the limits, a session that cannot be read.
func (l *csrfLayer) check(r *manouche.Request) (string, error) {
	if origins, ok := r.Header()["Origin"]; ok {
		origin := strings.Join(origins, ",")
		if !l.originVerified(r, origin) {
			return fmt.Sprintf(csrfReasonBadOrigin, origin), nil
		}
	} else if r.IsSecure() {
		if reason := l.checkReferer(r); reason != "" {
			return reason, nil
		}
	}
	return l.checkToken(r)
}

// originVerified is Django's _origin_verified.
func (l *csrfLayer) originVerified(r *manouche.Request, origin string) bool {
	if host, err := r.Host(); err == nil && origin == r.Scheme()+"://"+host {
		return true
	}
	if _, ok := l.originsExact[origin]; ok {
		return true
	}
	scheme, netloc, ok := csrfSplitURL(origin)
	if !ok {
		return false
	}
	for _, host := range l.originSubdomains[scheme] {
		if csrfSameDomain(netloc, host) {
			return true
		}
	}
	return false
}

// checkReferer is Django's _check_referer, for secure requests without an
// Origin header.
func (l *csrfLayer) checkReferer(r *manouche.Request) string {
	values, ok := r.Header()["Referer"]
	if !ok {
		return csrfReasonNoReferer
	}
	referer := strings.Join(values, ",")
	scheme, netloc, ok := csrfSplitURL(referer)
	if !ok || scheme == "" || netloc == "" {
		return csrfReasonMalformedRefer
	}
	if scheme != "https" {
		return csrfReasonInsecureReferer
	}
	for _, host := range l.trustedHosts {
		if csrfSameDomain(netloc, host) {
			return ""
		}
	}
	good := l.refererDomain
	if good == "" {
		// No cookie domain: the request's own host:port, as ALLOWED_HOSTS
		// permits it.
		host, err := r.Host()
		if err != nil {
			return fmt.Sprintf(csrfReasonBadReferer, referer)
		}
		good = host
	} else if host, err := r.Host(); err == nil {
		if _, port := manouche.SplitDomainPort(host); port != "" && port != "443" && port != "80" {
			good += ":" + port
		}
	}
	if !csrfSameDomain(netloc, good) {
		return fmt.Sprintf(csrfReasonBadReferer, referer)
	}
	return ""
}

// checkToken is Django's _check_token: the secret first (the body is not
// read without one), then the token from the form or the header.
func (l *csrfLayer) checkToken(r *manouche.Request) (string, error) {
	secret, bad, err := csrfRequestSecret(r, l.cookieName, l.useSessions)
	if err != nil {
		return "", err
	}
	if bad != "" {
		return "CSRF cookie " + bad + ".", nil
	}
	if secret == "" {
		// For POST requests a secret is required: that stops every CSRF
		// attack, login CSRF included.
		return csrfReasonNoCookie, nil
	}
	token, source := "", "POST"
	if r.Method == http.MethodPost {
		post, err := r.POST()
		var unreadable *manouche.UnreadablePostError
		switch {
		case errors.As(err, &unreadable):
			// The client went away while sending the body: a 403 nobody
			// reads, as Django's UnreadablePostError.
		case err != nil:
			return "", err
		default:
			token = post.Get(CSRFFormField)
		}
	}
	if token == "" {
		values, ok := r.Header()[l.headerKey]
		if !ok {
			return csrfReasonTokenMissing, nil
		}
		token, source = strings.Join(values, ","), "the '"+l.headerLabel+"' HTTP header"
	}
	if reason := csrfCheckFormat(token); reason != "" {
		return "CSRF token from " + source + " " + reason + ".", nil
	}
	if !csrfTokenMatches(token, secret) {
		return "CSRF token from " + source + " incorrect.", nil
	}
	return "", nil
}

// reject is Django's _reject: the failure view's response, logged once.
func (l *csrfLayer) reject(r *manouche.Request, reason string) (*manouche.Response, error) {
	cerr := &CSRFError{Reason: reason}
	var resp *manouche.Response
	if l.failureView != nil {
		var err error
		if resp, err = l.failureView(r, cerr); err != nil {
			return nil, err
		}
		if resp == nil {
			return nil, &NilResponseError{Culprit: manouche.FuncName(l.failureView), View: true}
		}
	} else {
		resp = csrfFailurePage(reason, l.debug)
	}
	if !resp.Logged() {
		level := slog.LevelInfo
		switch {
		case resp.StatusCode >= 500:
			level = slog.LevelError
		case resp.StatusCode >= 400:
			level = slog.LevelWarn
		}
		r.Logger().LogAttrs(r.Context(), level, "Forbidden ("+reason+"): "+r.Path,
			slog.String("logger", csrfLoggerName),
			slog.Int("status", resp.StatusCode),
			slog.String("method", r.Method),
			slog.String("path", r.Path),
			slog.String("reason", reason))
		resp.MarkLogged()
	}
	return resp, nil
}

var (
	errCSRFNoSession = manouche.Improperlyf("Settings.CSRF.UseSessions is on, but the request has no session: the session middleware must come before CSRF in the middleware list (CSRF_USE_SESSIONS).")
	errCSRFNoScope   = errors.New("CSRF: the request has no scope (it was not built by handler.Handler, or has finished), so its CSRF token cannot be kept")
)

// csrfStateKey is the Scope key of a request's csrfState.
type csrfStateKey struct{}

// csrfState is what the CSRF machinery keeps for one request: Django's
// request.META["CSRF_COOKIE"], CSRF_COOKIE_NEEDS_UPDATE and
// csrf_processing_done. It is made when first needed, so a request that
// never uses the token has none.
type csrfState struct {
	loaded      bool
	secret      string // the secret the response will carry; "" none yet
	needsUpdate bool   // the cookie (or session) must be saved
	done        bool   // a CSRF layer accepted the request
}

// csrfLoadState returns r's state, or nil when it has none.
func csrfLoadState(r *manouche.Request) *csrfState {
	s := manouche.ScopeFrom(r.Context())
	if s == nil {
		return nil
	}
	v, _ := s.Load(csrfStateKey{})
	st, _ := v.(*csrfState)
	return st
}

// csrfStateOf returns r's state, making it and loading the request's
// secret (Django's process_request) the first time: a malformed cookie is
// replaced by a new secret, to be sent.
func csrfStateOf(r *manouche.Request) (*csrfState, error) {
	s := manouche.ScopeFrom(r.Context())
	if s == nil {
		return nil, errCSRFNoScope
	}
	v, ok := s.LoadOrStore(csrfStateKey{}, func() any { return new(csrfState) })
	if !ok {
		return nil, errCSRFNoScope
	}
	st := v.(*csrfState)
	if !st.loaded {
		name, useSessions := csrfSource(r.Settings)
		secret, bad, err := csrfRequestSecret(r, name, useSessions)
		if err != nil {
			return nil, err
		}
		if bad != "" {
			st.secret, st.needsUpdate = csrfNewSecret(), true
		} else {
			st.secret = secret
		}
		st.loaded = true
	}
	return st, nil
}

// csrfSource returns where the settings keep the secret.
func csrfSource(s *manouche.Settings) (cookieName string, useSessions bool) {
	if s == nil {
		return csrfDefaultCookieName, false
	}
	cookieName = s.CSRF.CookieName
	if cookieName == "" {
		cookieName = csrfDefaultCookieName
	}
	return cookieName, s.CSRF.UseSessions
}

// csrfRequestSecret is Django's _get_secret: the secret the request came
// with, unmasked ("" when it has none), or, when the stored value is not a
// well-formed secret, the reason (csrfReasonIncorrectLength, …). err is a
// session failure.
func csrfRequestSecret(r *manouche.Request, cookieName string, useSessions bool) (secret, bad string, err error) {
	var v string
	if useSessions {
		sess := SessionFrom(r)
		if sess == nil {
			return "", "", errCSRFNoSession
		}
		var ok bool
		if v, ok, err = sess.String(CSRFSessionKey); err != nil {
			return "", "", fmt.Errorf("CSRF: reading the secret from the session: %w", err)
		} else if !ok {
			return "", "", nil
		}
	} else {
		var ok bool
		if v, ok = r.Cookies()[cookieName]; !ok {
			return "", "", nil
		}
	}
	if bad = csrfCheckFormat(v); bad != "" {
		return "", bad, nil
	}
	if len(v) == csrfTokenLength {
		// Django before 4.0 masked the secret it stored.
		v = csrfUnmask(v)
	}
	return v, "", nil
}

// CSRFToken returns a CSRF token for a form or a script to send back,
// Django's get_token: the request's secret masked with a new random mask,
// so it differs on every call (which defeats BREACH-style compression
// attacks). A request without a secret gets a new one. Either way the CSRF
// middleware sends the cookie with the response (renewing its expiry) and
// adds "Cookie" to Vary, so call it only for pages that need the token.
//
// Call it before the response leaves the view (a template rendered by the
// handler for a view counts): the cookie is set in the CSRF layer's
// response phase. It fails when the request was not built by
// handler.Handler, and, with Settings.CSRF.UseSessions, when the request
// has no session or it cannot be read.
func CSRFToken(r *manouche.Request) (string, error) {
	st, err := csrfStateOf(r)
	if err != nil {
		return "", err
	}
	if st.secret == "" {
		st.secret = csrfNewSecret()
	}
	st.needsUpdate = true
	return csrfMask(st.secret), nil
}

// CSRFTokenFunc is CSRFToken for templates.CSRFProcessor, which gives
// templates a lazy "csrf_token":
//
//	templates.Config{ContextProcessors: []templates.ContextProcessor{
//		templates.CSRFProcessor(middleware.CSRFTokenFunc),
//	}}
//	<input type="hidden" name="csrfmiddlewaretoken" value="{{.csrf_token}}">
//
// When CSRFToken fails it logs the error at ERROR on r.Logger() (logger
// "manouche.security.csrf") and returns "", so the form posts no token and
// is refused with "CSRF token missing.".
func CSRFTokenFunc(r *manouche.Request) string {
	tok, err := CSRFToken(r)
	if err != nil {
		csrfLogTokenError(r, err)
		return ""
	}
	return tok
}

// RotateCSRFToken gives the request a new secret (Django's rotate_token):
// the tokens issued before no longer validate once the response has set
// it. Call it when a user logs in, so that a secret planted before the
// login (login CSRF, session fixation) is worthless. It does nothing for a
// request not built by handler.Handler, which no CSRF layer serves.
func RotateCSRFToken(r *manouche.Request) {
	s := manouche.ScopeFrom(r.Context())
	if s == nil {
		return
	}
	v, ok := s.LoadOrStore(csrfStateKey{}, func() any { return new(csrfState) })
	if !ok {
		return
	}
	st := v.(*csrfState)
	st.loaded = true // the request's own secret no longer matters
	st.secret, st.needsUpdate = csrfNewSecret(), true
}

// CSRFInput returns the hidden form field that carries a CSRF token,
// `<input type="hidden" name="csrfmiddlewaretoken" value="…">`, as
// template.HTML (Django's {% csrf_token %}). It uses CSRFToken, so the
// cookie is sent with the response; when that fails it logs the error as
// CSRFTokenFunc does and returns "". Templates use CSRFInputFunc.
func CSRFInput(r *manouche.Request) template.HTML {
	tok, err := CSRFToken(r)
	if err != nil {
		csrfLogTokenError(r, err)
		return ""
	}
	return csrfInputHTML(tok)
}

// CSRFInputFunc is CSRFInput as a request function of the templates
// package, Django's {% csrf_token %} tag:
//
//	templates.Config{RequestFuncs: map[string]func(*manouche.Request) (any, error){
//		"csrf_input": middleware.CSRFInputFunc,
//	}}
//	<form method="post">{{csrf_input}} … </form>
//
// The token is made, and the cookie sent, only for pages that print it. A
// failure (a request the handler did not build, an unreadable session)
// fails the render with its error.
func CSRFInputFunc(r *manouche.Request) (any, error) {
	tok, err := CSRFToken(r)
	if err != nil {
		return nil, err
	}
	return csrfInputHTML(tok), nil
}

func csrfInputHTML(token string) template.HTML {
	// The token is letters and digits only: nothing to escape.
	return template.HTML(`<input type="hidden" name="` + CSRFFormField + `" value="` + token + `">`)
}

func csrfLogTokenError(r *manouche.Request, err error) {
	r.Logger().LogAttrs(r.Context(), slog.LevelError, "CSRF token unavailable: "+err.Error(),
		slog.String("logger", csrfLoggerName), slog.String("path", r.Path))
}

// csrfNewSecret is Django's _get_new_csrf_string: 32 random letters and
// digits.
func csrfNewSecret() string {
	var b [csrfSecretLength]byte
	csrfRandom(b[:])
	return string(b[:])
}

// csrfRandom fills b with letters and digits chosen uniformly by
// crypto/rand (Django's get_random_string): bytes of 248 and more are
// dropped, so that the 62 characters are equally likely.
func csrfRandom(b []byte) {
	var buf [64]byte
	n := 0
	for n < len(b) {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24)
		for _, c := range buf {
			if c < 248 {
				b[n] = csrfAllowedChars[c%62]
				if n++; n == len(b) {
					return
				}
			}
		}
	}
}

// csrfMask is Django's _mask_cipher_secret: a random mask followed by the
// secret, each character shifted by the mask's in the alphabet. secret
// must be a well-formed 32-character secret.
func csrfMask(secret string) string {
	var out [csrfTokenLength]byte
	csrfRandom(out[:csrfSecretLength])
	for i := 0; i < csrfSecretLength; i++ {
		x := int(csrfIndex[secret[i]]) + int(csrfIndex[out[i]])
		out[csrfSecretLength+i] = csrfAllowedChars[x%len(csrfAllowedChars)]
	}
	return string(out[:])
}

// csrfUnmask is Django's _unmask_cipher_token: the secret of a
// well-formed 64-character token.
func csrfUnmask(token string) string {
	var out [csrfSecretLength]byte
	csrfUnmaskInto(&out, token)
	return string(out[:])
}

func csrfUnmaskInto(out *[csrfSecretLength]byte, token string) {
	for i := 0; i < csrfSecretLength; i++ {
		x := int(csrfIndex[token[csrfSecretLength+i]]) - int(csrfIndex[token[i]])
		if x < 0 {
			x += len(csrfAllowedChars)
		}
		out[i] = csrfAllowedChars[x]
	}
}

// csrfCheckFormat is Django's _check_token_format: "" for a token (or
// secret) of 32 or 64 letters and digits, else the reason.
func csrfCheckFormat(token string) string {
	if len(token) != csrfSecretLength && len(token) != csrfTokenLength {
		return csrfReasonIncorrectLength
	}
	for i := 0; i < len(token); i++ {
		if csrfIndex[token[i]] < 0 {
			return csrfReasonInvalidChars
		}
	}
	return ""
}

// csrfTokenMatches is Django's _does_token_match: whether token (well
// formed, masked or not) unmasks to secret (a well-formed secret),
// compared in constant time.
func csrfTokenMatches(token, secret string) bool {
	if csrfCheckFormat(token) != "" || len(secret) != csrfSecretLength || csrfCheckFormat(secret) != "" {
		return false
	}
	var got, want [csrfSecretLength]byte
	if len(token) == csrfTokenLength {
		csrfUnmaskInto(&got, token)
	} else {
		copy(got[:], token)
	}
	copy(want[:], secret)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// csrfSameDomain is Django's is_same_domain: host equals pattern, or
// pattern starts with "." and host is that domain or a subdomain of it.
// pattern is compared lower-cased, host as it is.
func csrfSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	pattern = strings.ToLower(pattern)
	return pattern[0] == '.' && (strings.HasSuffix(host, pattern) || host == pattern[1:]) || pattern == host
}

// csrfSplitURL returns the scheme (lower-cased) and the netloc of s as
// Python's urllib.parse.urlsplit finds them, which is what Django compares;
// ok is false where urlsplit raises ValueError (unbalanced or invalid
// brackets in the netloc).
func csrfSplitURL(s string) (scheme, netloc string, ok bool) {
	// urlsplit drops leading C0 controls and spaces, and every tab and
	// line break.
	s = strings.TrimLeft(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	}
	if i := strings.IndexByte(s, ':'); i > 0 && csrfIsAlpha(s[0]) {
		valid := true
		for j := 0; j < i; j++ {
			if c := s[j]; !csrfIsAlpha(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
				valid = false
				break
			}
		}
		if valid {
			scheme, s = strings.ToLower(s[:i]), s[i+1:]
		}
	}
	if !strings.HasPrefix(s, "//") {
		return scheme, "", true
	}
	s = s[2:]
	if end := strings.IndexAny(s, "/?#"); end >= 0 {
		s = s[:end]
	}
	netloc = s
	open, closed := strings.Contains(netloc, "["), strings.Contains(netloc, "]")
	if open != closed {
		return "", "", false
	}
	if open && !csrfBracketsValid(netloc) {
		return "", "", false
	}
	return scheme, netloc, true
}

// csrfBracketsValid is Python's _check_bracketed_netloc, for a netloc
// with brackets: they must hold an IPv6 address or an IPvFuture, right
// after the userinfo and before the port.
func csrfBracketsValid(netloc string) bool {
	hostport := netloc[strings.LastIndexByte(netloc, '@')+1:]
	before, bracketed, have := strings.Cut(hostport, "[")
	var host string
	if have {
		if before != "" {
			return false
		}
		var port string
		host, port, _ = strings.Cut(bracketed, "]")
		if port != "" && port[0] != ':' {
			return false
		}
	} else {
		host, _, _ = strings.Cut(hostport, ":")
	}
	if rest, ok := strings.CutPrefix(host, "v"); ok {
		// \Av[a-fA-F0-9]+\..+\z
		hex, tail, ok := strings.Cut(rest, ".")
		if !ok || hex == "" || tail == "" || strings.ContainsAny(tail, "\n") {
			return false
		}
		for i := 0; i < len(hex); i++ {
			if c := hex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Is6()
}

func csrfIsAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// csrfIsToken reports whether s is a non-empty RFC 9110 token: what a
// header or cookie name may be.
func csrfIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !csrfIsAlpha(c) && !('0' <= c && c <= '9') && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// csrfTitle is Python's str.title on an ASCII header name, which Django
// uses to name the header in reasons ("X-CSRFToken" → "X-Csrftoken").
func csrfTitle(s string) string {
	b := []byte(s)
	prevCased := false
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			if !prevCased {
				b[i] = c - 'a' + 'A'
			}
			prevCased = true
		case 'A' <= c && c <= 'Z':
			if prevCased {
				b[i] = c - 'A' + 'a'
			}
			prevCased = true
		default:
			prevCased = false
		}
	}
	return string(b)
}

// csrfFailurePage is Django's csrf_failure view (CSRF_FAILURE_TEMPLATE):
// a 403 page; with Debug, it gives the reason and help.
func csrfFailurePage(reason string, debug bool) *manouche.Response {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <meta name="robots" content="NONE,NOARCHIVE">
  <title>403 Forbidden</title>
  <style>
    html * { padding:0; margin:0; }
    body * { padding:10px 20px; }
    body * * { padding:0; }
    body { font:small sans-serif; background:#eee; color:#000; }
    body>div { border-bottom:1px solid #ddd; }
    h1 { font-weight:normal; margin-bottom:.4em; }
    h1 span { font-size:60%; color:#666; font-weight:normal; }
    #info { background:#f6f6f6; }
    #info ul { margin: 0.5em 4em; }
    #info p, #summary p { padding-top:10px; }
    #summary { background: #ffc; }
    #explanation { background:#eee; border-bottom: 0px none; }
  </style>
</head>
<body>
<div id="summary">
  <h1>Forbidden <span>(403)</span></h1>
  <p>CSRF verification failed. Request aborted.</p>
`)
	switch reason {
	case csrfReasonNoReferer:
		b.WriteString(`  <p>You are seeing this message because this HTTPS site requires a “Referer header” to be sent by your web browser, but none was sent. This header is required for security reasons, to ensure that your browser is not being hijacked by third parties.</p>
  <p>If you have configured your browser to disable “Referer” headers, please re-enable them, at least for this site, or for HTTPS connections, or for “same-origin” requests.</p>
  <p>If you are using the &lt;meta name="referrer" content="no-referrer"&gt; tag or including the “Referrer-Policy: no-referrer” header, please remove them. The CSRF protection requires the “Referer” header to do strict referer checking. If you’re concerned about privacy, use alternatives like &lt;a rel="noreferrer" …&gt; for links to third-party sites.</p>
`)
	case csrfReasonNoCookie:
		b.WriteString(`  <p>You are seeing this message because this site requires a CSRF cookie when submitting forms. This cookie is required for security reasons, to ensure that your browser is not being hijacked by third parties.</p>
  <p>If you have configured your browser to disable cookies, please re-enable them, at least for this site, or for “same-origin” requests.</p>
`)
	}
	b.WriteString("</div>\n")
	if debug {
		b.WriteString(`<div id="info">
  <h2>Help</h2>
`)
		if reason != "" {
			b.WriteString("  <p>Reason given for failure:</p>\n  <pre>\n    ")
			b.WriteString(html.EscapeString(reason))
			b.WriteString("\n  </pre>\n")
		}
		b.WriteString(`  <p>In general, this can occur when there is a genuine Cross Site Request Forgery, or when the CSRF middleware (middleware.CSRF) has not been used correctly. For POST forms, you need to ensure:</p>
  <ul>
    <li>Your browser is accepting cookies.</li>
    <li>The template is rendered for the request (templates.Engine.Response or Render with the request), with middleware.CSRFInputFunc among its RequestFuncs or templates.CSRFProcessor(middleware.CSRFTokenFunc) among its context processors.</li>
    <li>In the template, there is a <code>{{.csrf_input}}</code> (or a hidden <code>csrfmiddlewaretoken</code> field holding <code>{{.csrf_token}}</code>) inside each POST form that targets an internal URL.</li>
    <li>The form was not served from a page cached before the CSRF cookie was set, and the page that posts is not older than the last rotation of the token (a login rotates it).</li>
  </ul>
  <p>You’re seeing the help section of this page because you have Settings.Debug on. Turn it off, and only the initial error message will be displayed.</p>
  <p>You can customize this page with Settings.CSRF.FailureView.</p>
</div>
`)
	} else {
		b.WriteString(`<div id="explanation">
  <p><small>More information is available with Settings.Debug on.</small></p>
</div>
`)
	}
	b.WriteString("</body>\n</html>\n")
	return manouche.NewResponse(http.StatusForbidden, []byte(b.String()), "text/html; charset=utf-8")
}
