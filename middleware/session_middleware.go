package middleware

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/manouche/manouche"
)

const (
	sessionDefaultCookieName = "sessionid"
	sessionDefaultCookieAge  = 14 * 24 * time.Hour // SESSION_COOKIE_AGE, two weeks
)

// Sessions returns Django's SessionMiddleware with store as the session
// engine: it gives every request a lazy Session (SessionFrom) and saves it
// in the response phase. List it before the layers that use the session
// (CSRF with Settings.CSRF.UseSessions, Messages).
//
// When the handler is built it reads Settings.Session and hands the
// settings to the store if the store implements Configurer (the
// signed-cookie store refuses an empty Settings.SecretKey there).
//
// The request phase only makes the session reachable; nothing is read
// until the request uses it. The response phase, Django's
// process_response, changes nothing but headers and cookies, so it serves
// every kind of response (buffered, streaming, file, rendered template,
// HEAD, 304):
//
//   - a used (accessed) session adds "Cookie" to Vary;
//   - when the request had a session cookie and the session is now empty
//     (flushed, or its stored session gone), the cookie is deleted;
//   - else, when the session was changed (or with
//     Settings.Session.SaveEveryRequest) and is not empty, it is saved and
//     the cookie set: Settings.Session.CookieName ("sessionid"), with
//     Max-Age and Expires from ExpiryAge unless
//     Settings.Session.ExpireAtBrowserClose or SetExpiry(0) make it a
//     browser-session cookie, Path (default "/"), Domain, Secure,
//     HttpOnly (unless Settings.Session.DisableCookieHTTPOnly) and
//     SameSite (Lax when zero; http.SameSiteDefaultMode sends none). A
//     response with a status of 500 or more saves nothing (Django).
//
// The save runs with the request's context without its cancellation, so
// that a client going away does not leave a login or logout half done. A
// store error while saving is the layer's error: the handler answers 500,
// or 400 for ErrSessionInterrupted (the session was deleted by a
// concurrent request, a logout for one).
func Sessions(store SessionStore) Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		if store == nil {
			return nil, manouche.Improperlyf("middleware.Sessions: the session store is nil (use middleware.SignedCookies() or sessiondb.New(...))")
		}
		l := &sessionLayer{next: next, store: store, validKey: ValidSessionKey}
		if v, ok := store.(SessionKeyValidator); ok {
			l.validKey = v.ValidSessionKey
		}
		l.self = func() any { return l }
		l.configure(&manouche.Settings{})
		return l, nil
	}
}

// sessionLayer is the built session middleware.
type sessionLayer struct {
	next     Handler
	store    SessionStore
	validKey func(string) bool
	// self returns the layer, for the request's scope: built once, so that
	// storing it costs no allocation per request.
	self func() any

	cookieName, path, domain string
	age                      time.Duration
	secure, httpOnly         bool
	sameSite                 http.SameSite
	saveEvery, browserClose  bool
}

// Name names the layer in messages.
func (l *sessionLayer) Name() string { return "middleware.Sessions" }

// configure applies Settings.Session with Django's defaults.
func (l *sessionLayer) configure(s *manouche.Settings) {
	c := s.Session
	l.cookieName = c.CookieName
	if l.cookieName == "" {
		l.cookieName = sessionDefaultCookieName
	}
	l.age = c.CookieAge
	if l.age == 0 {
		l.age = sessionDefaultCookieAge
	}
	l.path = c.CookiePath
	if l.path == "" {
		l.path = "/"
	}
	l.domain = c.CookieDomain
	l.secure = c.CookieSecure
	l.httpOnly = !c.DisableCookieHTTPOnly
	l.sameSite = c.CookieSameSite
	if l.sameSite == 0 {
		l.sameSite = http.SameSiteLaxMode
	}
	l.saveEvery = c.SaveEveryRequest
	l.browserClose = c.ExpireAtBrowserClose
}

// Configure reads Settings.Session and configures the store when it
// implements Configurer.
func (l *sessionLayer) Configure(s *manouche.Settings) error {
	if s.Session.CookieAge < 0 {
		return manouche.Improperlyf("Settings.Session.CookieAge is negative (%s): the session lifetime must be positive, or 0 for the default of two weeks (SESSION_COOKIE_AGE).", s.Session.CookieAge)
	}
	l.configure(s)
	if c, ok := l.store.(Configurer); ok {
		if err := c.Configure(s); err != nil {
			return err
		}
	}
	return nil
}

// Serve makes the session reachable, calls the next layer, and runs the
// response phase.
func (l *sessionLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	scope := manouche.ScopeFrom(r.Context())
	if scope != nil {
		scope.LoadOrStore(sessionLayerKey{}, l.self)
	}
	resp := l.next(r)
	if scope == nil {
		return resp, nil
	}
	return l.processResponse(r, scope, resp)
}

// processResponse is Django's SessionMiddleware.process_response.
func (l *sessionLayer) processResponse(r *manouche.Request, scope *manouche.Scope, resp *manouche.Response) (*manouche.Response, error) {
	var s *Session
	if v, ok := scope.Load(sessionKey{}); ok && v != sessionsDone {
		s = v.(*Session)
	}
	if s == nil {
		// The request never used its session. Only SaveEveryRequest, or a
		// malformed cookie (which Django deletes), need one now.
		if !l.saveEvery && !l.malformedCookie(r) {
			scope.LoadOrStore(sessionKey{}, sessionsDoneValue)
			return resp, nil
		}
		v, ok := scope.LoadOrStore(sessionKey{}, func() any { return l.newSession(r) })
		if !ok || v == sessionsDone {
			return resp, nil
		}
		s = v.(*Session)
	}
	if s.l != l {
		// Another session layer (listed twice) owns it.
		return resp, nil
	}
	defer func() { s.done = true }()

	accessed := s.accessed
	save := (s.modified || l.saveEvery) && resp.StatusCode < 500
	if save {
		// Loading first: a stored session found gone makes the session
		// empty, to be deleted rather than saved.
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	empty := s.IsEmpty()
	_, hadCookie := r.Cookies()[l.cookieName]
	if hadCookie && empty {
		resp.DeleteCookie(l.cookieName, l.path, l.domain, l.sameSite)
		patchVaryHeaders(resp, "Cookie")
		return resp, nil
	}
	if accessed {
		patchVaryHeaders(resp, "Cookie")
	}
	if !save || empty {
		return resp, nil
	}
	// The save completes even if the client went away meanwhile: a logout
	// or a login must not be half done.
	if err := s.save(context.WithoutCancel(r.Context())); err != nil {
		return nil, err
	}
	c := &http.Cookie{
		Name: l.cookieName, Value: s.key, Path: l.path, Domain: l.domain,
		Secure: l.secure, HttpOnly: l.httpOnly, SameSite: l.sameSite,
	}
	if !s.expireAtBrowserClose() {
		if age := s.ExpiryAge(); age > 0 {
			c.MaxAge = int((age + time.Second - 1) / time.Second)
		} else {
			c.MaxAge = -1
		}
	}
	resp.SetCookie(c)
	return resp, nil
}

// malformedCookie reports whether r has a session cookie that cannot be a
// key; it parses the cookies only when there is a Cookie header.
func (l *sessionLayer) malformedCookie(r *manouche.Request) bool {
	if len(r.Header()["Cookie"]) == 0 {
		return false
	}
	v, ok := r.Cookies()[l.cookieName]
	return ok && !l.validKey(v)
}
