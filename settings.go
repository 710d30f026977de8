package manouche

import (
	"net/http"
	"time"
)

// Settings are the core settings of one handler, named after Django's. They
// are a value handed to the handler, never a global: two handlers in one
// process do not share them. Database settings live in package db.
//
// For the size limits, 0 means Django's default and a negative value means
// no limit (Django's None).
type Settings struct {
	// Debug turns on the technical 404 and 500 pages and the
	// ALLOWED_HOSTS defaults for local development. Never in production.
	Debug bool
	// AllowedHosts lists the host names this site serves: "example.com",
	// ".example.com" (the domain and its subdomains) or "*". With Debug and
	// an empty list, ".localhost", "127.0.0.1" and "[::1]" are allowed.
	AllowedHosts []string
	// SecretKey signs cookies and tokens. Required by the middleware that
	// sign; masked on the DEBUG 500 page.
	SecretKey string
	// SecretKeyFallbacks are former secret keys: signatures made with them
	// are still accepted, new ones use SecretKey, so keys can be rotated
	// without logging everyone out (SECRET_KEY_FALLBACKS). Remove old keys
	// once the signatures made with them have expired.
	SecretKeyFallbacks []string
	// UseXForwardedHost makes Host() prefer the X-Forwarded-Host header.
	UseXForwardedHost bool
	// ForceScriptName, when not nil, overrides the mount prefix found from
	// the request (Django's FORCE_SCRIPT_NAME).
	ForceScriptName *string
	// DataUploadMaxMemorySize caps the request body read into memory
	// (Content-Length is checked before reading); default 2.5 MiB. Multipart
	// file parts do not count.
	DataUploadMaxMemorySize int64
	// DataUploadMaxNumberFields caps the number of GET and POST parameters;
	// default 1000.
	DataUploadMaxNumberFields int
	// DataUploadMaxNumberFiles caps the number of uploaded files; default 100.
	DataUploadMaxNumberFiles int
	// FileUploadMaxMemorySize is the size above which an uploaded file is
	// spooled to a temporary file; default 2.5 MiB.
	FileUploadMaxMemorySize int64
	// FileUploadTempDir is where spooled uploads go; default os.TempDir().
	FileUploadTempDir string
	// StaticURL is the URL prefix of the static files (Django's
	// STATIC_URL), such as "/static/"; it ends with "/".
	StaticURL string
	// StaticRoot is the directory the static files are collected into and
	// served from (Django's STATIC_ROOT).
	StaticRoot string

	// DisableAppendSlash turns off the redirect of a slashless URL that
	// would resolve with a slash (Django's APPEND_SLASH = False); the
	// Common middleware does it by default.
	DisableAppendSlash bool
	// PrependWWW redirects requests for a host without "www." to the same
	// URL on "www."+host (Django's PREPEND_WWW).
	PrependWWW bool
	// DisallowedUserAgents are regular expressions (RE2) matched against
	// the User-Agent header; a match is a 403 (Django's
	// DISALLOWED_USER_AGENTS). The Common middleware compiles them when
	// the handler is built and refuses a bad one.
	DisallowedUserAgents []string
	// XFrameOptions is the X-Frame-Options value set by the XFrameOptions
	// middleware: "DENY" (the default, when empty) or "SAMEORIGIN"
	// (Django's X_FRAME_OPTIONS).
	XFrameOptions string

	// Secure are the settings of the Security middleware (SECURE_*).
	Secure SecureSettings
	// CSRF are the settings of the CSRF middleware (CSRF_*).
	CSRF CSRFSettings
	// Session are the settings of the session middleware (SESSION_*).
	Session SessionSettings
	// Messages are the settings of the messages middleware (MESSAGE_*).
	Messages MessageSettings
}

// Off is the value of a header setting (Settings.Secure.ReferrerPolicy,
// Settings.Secure.CrossOriginOpenerPolicy) that turns its header off:
// Django's None. The empty string means Django's default.
const Off = "off"

// SecureSettings are Django's SECURE_* settings, read by the Security
// middleware. The zero value is Django's default.
type SecureSettings struct {
	// HSTSSeconds is the max-age of the Strict-Transport-Security header
	// sent on secure requests; 0 sends none (SECURE_HSTS_SECONDS).
	HSTSSeconds int
	// HSTSIncludeSubdomains adds "includeSubDomains"
	// (SECURE_HSTS_INCLUDE_SUBDOMAINS).
	HSTSIncludeSubdomains bool
	// HSTSPreload adds "preload" (SECURE_HSTS_PRELOAD).
	HSTSPreload bool
	// DisableContentTypeNosniff stops the "X-Content-Type-Options:
	// nosniff" header (SECURE_CONTENT_TYPE_NOSNIFF = False).
	DisableContentTypeNosniff bool
	// SSLRedirect redirects every plain-HTTP request to HTTPS
	// (SECURE_SSL_REDIRECT).
	SSLRedirect bool
	// SSLHost, when set, is the host HTTPS redirects go to
	// (SECURE_SSL_HOST).
	SSLHost string
	// RedirectExempt are regular expressions (RE2) matched against the
	// path without its leading slash; a match is never redirected to HTTPS
	// (SECURE_REDIRECT_EXEMPT).
	RedirectExempt []string
	// ReferrerPolicy is the Referrer-Policy header: "" means Django's
	// default "same-origin", Off sends none; several policies are
	// separated by commas (SECURE_REFERRER_POLICY).
	ReferrerPolicy string
	// CrossOriginOpenerPolicy is the Cross-Origin-Opener-Policy header:
	// "" means "same-origin", Off sends none
	// (SECURE_CROSS_ORIGIN_OPENER_POLICY).
	CrossOriginOpenerPolicy string
	// ProxySSLHeader is a header name and value that a trusted proxy sets
	// on requests that reached it over HTTPS, such as
	// {"X-Forwarded-Proto", "https"} (SECURE_PROXY_SSL_HEADER). When the
	// name is set, Request.IsSecure believes it and nothing else: set it
	// only behind a proxy that always sets or strips that header.
	ProxySSLHeader [2]string
}

// CSRFSettings are Django's CSRF_* settings, read by the CSRF middleware.
// The zero value is Django's default.
type CSRFSettings struct {
	// CookieName is the name of the cookie holding the secret; default
	// "csrftoken" (CSRF_COOKIE_NAME).
	CookieName string
	// CookieAge is the cookie's lifetime; 0 means Django's default, 52
	// weeks; negative makes it a browser-session cookie (CSRF_COOKIE_AGE).
	CookieAge time.Duration
	// CookieDomain, CookiePath ("/" when empty), CookieSecure,
	// CookieHTTPOnly and CookieSameSite (Lax when zero) are the cookie's
	// attributes (CSRF_COOKIE_*).
	CookieDomain   string
	CookiePath     string
	CookieSecure   bool
	CookieHTTPOnly bool
	CookieSameSite http.SameSite
	// HeaderName is the request header an AJAX client sends the token in;
	// default "X-CSRFToken" (CSRF_HEADER_NAME, in its HTTP form).
	HeaderName string
	// TrustedOrigins are origins ("https://example.com",
	// "https://*.example.com") allowed to post besides the request's own
	// host (CSRF_TRUSTED_ORIGINS).
	TrustedOrigins []string
	// UseSessions keeps the secret in the session instead of a cookie; the
	// session middleware must come before the CSRF middleware
	// (CSRF_USE_SESSIONS).
	UseSessions bool
	// FailureView answers a rejected request; nil means Django's default
	// 403 page. err is a *CSRFError of package middleware carrying the
	// reason (CSRF_FAILURE_VIEW).
	FailureView ErrorView
}

// SessionSettings are Django's SESSION_* settings, read by the session
// middleware. The zero value is Django's default.
type SessionSettings struct {
	// CookieName is the session cookie's name; default "sessionid"
	// (SESSION_COOKIE_NAME).
	CookieName string
	// CookieAge is the session lifetime; 0 means Django's default, two
	// weeks (SESSION_COOKIE_AGE).
	CookieAge time.Duration
	// CookieDomain, CookiePath ("/" when empty), CookieSecure and
	// CookieSameSite (Lax when zero) are the cookie's attributes
	// (SESSION_COOKIE_*).
	CookieDomain   string
	CookiePath     string
	CookieSecure   bool
	CookieSameSite http.SameSite
	// DisableCookieHTTPOnly lets scripts read the session cookie
	// (SESSION_COOKIE_HTTPONLY = False). Leave it off.
	DisableCookieHTTPOnly bool
	// SaveEveryRequest saves the session, and renews its cookie, on every
	// request (SESSION_SAVE_EVERY_REQUEST).
	SaveEveryRequest bool
	// ExpireAtBrowserClose makes the cookie a browser-session cookie
	// (SESSION_EXPIRE_AT_BROWSER_CLOSE).
	ExpireAtBrowserClose bool
}

// MessageSettings are Django's MESSAGE_* settings, read by the messages
// middleware.
type MessageSettings struct {
	// Storage is where messages wait for the next request: "session"
	// (the default when empty; the session middleware must come first) or
	// "cookie" (a signed cookie) (MESSAGE_STORAGE).
	Storage string
	// CookieName is the cookie of the cookie storage; default "messages".
	CookieName string
	// Level is the minimum level of the messages recorded; 0 means
	// Django's default, INFO (20), so DEBUG messages are dropped
	// (MESSAGE_LEVEL). A request may change it with SetLevel.
	Level int
}

const (
	defaultMaxMemory = 2621440
	defaultMaxFields = 1000
	defaultMaxFiles  = 100
)

// limit applies Django's defaults: 0 means def, negative means no limit
// (-1).
func limit[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// MaxMemorySize returns DataUploadMaxMemorySize with the default applied;
// -1 means no limit.
func (s *Settings) MaxMemorySize() int64 { return limit(s.DataUploadMaxMemorySize, defaultMaxMemory) }

// MaxNumberFields returns DataUploadMaxNumberFields with the default
// applied; -1 means no limit.
func (s *Settings) MaxNumberFields() int { return limit(s.DataUploadMaxNumberFields, defaultMaxFields) }

// MaxNumberFiles returns DataUploadMaxNumberFiles with the default applied;
// -1 means no limit.
func (s *Settings) MaxNumberFiles() int { return limit(s.DataUploadMaxNumberFiles, defaultMaxFiles) }

// FileMemorySize returns FileUploadMaxMemorySize with the default applied.
func (s *Settings) FileMemorySize() int64 {
	return limit(s.FileUploadMaxMemorySize, defaultMaxMemory)
}
