package templates

import (
	"sync"

	"github.com/manouche/manouche"
)

// ContextProcessor adds values to the context of a template rendered for a
// request (Django's context processors): it stores them in ctx. The
// processors of Config.ContextProcessors run in order before each render
// for a request; the view's own data is added last and wins. An error
// fails the render (a deferred response's render error goes to the
// process_exception hooks).
type ContextProcessor func(r *manouche.Request, ctx map[string]any) error

// RequestProcessor adds the request as "request" (Django's
// context_processors.request).
func RequestProcessor(r *manouche.Request, ctx map[string]any) error {
	ctx["request"] = r
	return nil
}

// DebugProcessor adds "debug": true when the request's Settings.Debug is
// on (Django's context_processors.debug, without INTERNAL_IPS and
// sql_queries).
func DebugProcessor(r *manouche.Request, ctx map[string]any) error {
	if r.Settings != nil && r.Settings.Debug {
		ctx["debug"] = true
	}
	return nil
}

// StaticProcessor adds "STATIC_URL": the request's Settings.StaticURL
// (Django's context_processors.static).
func StaticProcessor(r *manouche.Request, ctx map[string]any) error {
	if r.Settings != nil {
		ctx["STATIC_URL"] = r.Settings.StaticURL
	}
	return nil
}

// CSRFProcessor returns Django's context_processors.csrf: it adds
// "csrf_token", the request's CSRF token as token returns it (the CSRF
// middleware provides token). The value is lazy: token is called once, the
// first time a template prints {{.csrf_token}}, so a page that shows no
// form does not touch the CSRF cookie. With a nil token nothing is added.
func CSRFProcessor(token func(r *manouche.Request) string) ContextProcessor {
	return func(r *manouche.Request, ctx map[string]any) error {
		if token != nil {
			ctx["csrf_token"] = &lazyToken{token: token, r: r}
		}
		return nil
	}
}

// lazyToken is the csrf_token value: it asks for the token when printed.
type lazyToken struct {
	once  sync.Once
	token func(*manouche.Request) string
	r     *manouche.Request
	value string
}

// String returns the token, asking for it the first time.
func (t *lazyToken) String() string {
	t.once.Do(func() { t.value = t.token(t.r) })
	return t.value
}
