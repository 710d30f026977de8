package middleware

import (
	"errors"
	"fmt"

	"github.com/manouche/manouche"
)

// Handler is the next layer of the onion, Django's get_response. It always
// returns a response: an error or panic inside it has already been turned
// into one (SEMANTICS 17).
type Handler func(r *manouche.Request) *manouche.Response

// Middleware is one built layer of the onion, Django's middleware instance
// (its __call__). Serve either answers itself or calls the next Handler,
// and may change the response it gets back. An error (or panic) it returns
// is turned into a response at its own boundary, so the layers outside it
// see a response, and it does not see its own error (SEMANTICS 17–18).
//
// A Middleware may also implement ViewProcessor, ExceptionProcessor and
// TemplateResponseProcessor; the handler finds them when it is built.
type Middleware interface {
	Serve(r *manouche.Request) (*manouche.Response, error)
}

// Func adapts a function to Middleware.
type Func func(r *manouche.Request) (*manouche.Response, error)

// Serve calls f.
func (f Func) Serve(r *manouche.Request) (*manouche.Response, error) { return f(r) }

// Factory builds a layer, Django's middleware factory: the handler calls it
// once, when it is built, with the next layer (SEMANTICS 2). Returning an
// error that wraps ErrNotUsed leaves the layer out (SEMANTICS 3); any other
// error fails the handler's construction.
type Factory func(next Handler) (Middleware, error)

// ErrNotUsed is Django's MiddlewareNotUsed: a factory returns it (or an
// error wrapping it, whose text explains why) to be left out of the chain.
var ErrNotUsed = errors.New("MiddlewareNotUsed")

// ViewProcessor is Django's process_view: called after the URL is resolved,
// in MIDDLEWARE order, before the view. A non-nil response skips the other
// view hooks and the view (SEMANTICS 19). Its errors do not reach
// process_exception (SEMANTICS 20).
type ViewProcessor interface {
	ProcessView(r *manouche.Request, view manouche.View, args []any, kwargs map[string]any) (*manouche.Response, error)
}

// ExceptionProcessor is Django's process_exception: called, in reverse
// order, for an error from the view or from rendering a deferred response;
// the first non-nil response wins (SEMANTICS 21).
type ExceptionProcessor interface {
	ProcessException(r *manouche.Request, err error) (*manouche.Response, error)
}

// TemplateResponseProcessor is Django's process_template_response: called,
// in reverse order, for a deferred-render response before it is rendered.
// It must return a response (SEMANTICS 25).
type TemplateResponseProcessor interface {
	ProcessTemplateResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error)
}

// RequestProcessor is the process_request hook of a hook-style middleware
// (see Hooks): a non-nil response answers early.
type RequestProcessor interface {
	ProcessRequest(r *manouche.Request) (*manouche.Response, error)
}

// ResponseProcessor is the process_response hook of a hook-style
// middleware (see Hooks). It must return a response.
type ResponseProcessor interface {
	ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error)
}

// Initializer is implemented by hook-style middleware that set themselves
// up when the handler is built; returning ErrNotUsed leaves them out.
type Initializer interface {
	Init() error
}

// Configurer is implemented by layers that read the handler's settings.
// The handler calls Configure once, right after the factory built the
// layer and before any request, with the Settings it serves with (the same
// value Request.Settings points to); an error fails the handler's
// construction, as Django's system checks stop a misconfigured project at
// start-up. A layer keeps what it derives from s (compiled patterns,
// header values) and must not change s.
type Configurer interface {
	Configure(s *manouche.Settings) error
}

// Configure calls m's Configure method, looking through the Hooks adapter
// to the value it wraps; m without one is left as it is.
func Configure(m Middleware, s *manouche.Settings) error {
	var target any = m
	if h, ok := m.(*hooks); ok {
		target = h.h
	}
	if c, ok := target.(Configurer); ok {
		return c.Configure(s)
	}
	return nil
}

// Processors returns the optional hooks m has, looking through the Hooks
// adapter to the hook value it wraps.
func Processors(m Middleware) (ViewProcessor, ExceptionProcessor, TemplateResponseProcessor) {
	var target any = m
	if h, ok := m.(*hooks); ok {
		target = h.h
	}
	v, _ := target.(ViewProcessor)
	e, _ := target.(ExceptionProcessor)
	t, _ := target.(TemplateResponseProcessor)
	return v, e, t
}

// Name returns the name used for m in messages: its Name method if it has
// one, else its type, else the factory's function name.
func Name(f Factory, m Middleware) string {
	if n, ok := m.(interface{ Name() string }); ok {
		return n.Name()
	}
	if _, isFunc := m.(Func); m == nil || isFunc {
		return manouche.FuncName(f)
	}
	return fmt.Sprintf("%T", m)
}

// NilResponseError is returned when a hook or layer returns neither a
// response nor an error; it names the culprit (SEMANTICS 24–25).
type NilResponseError struct {
	// Culprit names the view or hook, e.g. "*app.Timing.ProcessResponse".
	Culprit string
	// View is true for a view, false for a middleware hook.
	View bool
}

func (e *NilResponseError) Error() string {
	if e.View {
		return fmt.Sprintf("The view %s didn't return a *manouche.Response. It returned nil instead.", e.Culprit)
	}
	return fmt.Sprintf("%s didn't return a *manouche.Response. It returned nil instead.", e.Culprit)
}
