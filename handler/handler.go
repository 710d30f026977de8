package handler

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/signals"
)

// Config is what a Handler is built from.
type Config struct {
	// Settings are the core settings (DEBUG, ALLOWED_HOSTS, limits, …).
	Settings manouche.Settings
	// URLConf is the root URLconf (ROOT_URLCONF); required.
	URLConf manouche.URLConf
	// Middleware is the MIDDLEWARE list, outermost first.
	Middleware []middleware.Factory
	// Logger receives the request log lines ("Not Found: /x", …); nil
	// means slog.Default().
	Logger *slog.Logger
	// Signals are the lifecycle signals to send; nil means a fresh set,
	// available from Handler.Signals. Pass your own to connect receivers
	// (the db package's, for one) before the handler is built.
	Signals *signals.Lifecycle
	// ViewWrappers wrap the resolved view just before it is called, after
	// the process_view hooks, in order (the last one outermost): Django's
	// make_view_atomic. db.Manager.MakeViewAtomic is the one that gives
	// ATOMIC_REQUESTS. A wrapper returns view itself when it has nothing to
	// add, and is called on every request, so it must be cheap.
	ViewWrappers []func(r *manouche.Request, view manouche.View) manouche.View
}

// Handler is Django's BaseHandler as an http.Handler: built once, it runs
// every request through request_started, request building, the middleware
// onion around the resolver and the view, writing the response, and
// closing it exactly once (which sends request_finished). It is safe for
// concurrent use and mounts anywhere: at a server's root, in a chi router
// with Mount, or behind http.StripPrefix, reverse() staying correct.
type Handler struct {
	settings manouche.Settings
	conf     manouche.URLConf
	log      *slog.Logger
	sig      *signals.Lifecycle

	chain     middleware.Handler
	wrappers  []func(*manouche.Request, manouche.View) manouche.View
	view      []middleware.ViewProcessor
	exception []middleware.ExceptionProcessor
	template  []middleware.TemplateResponseProcessor
	names     map[any]string // template hook → "<middleware name>.ProcessTemplateResponse", for messages
}

// New builds a Handler: the middleware chain is built here, once, and
// configuration errors are returned here, never per request (SEMANTICS 2–3).
func New(cfg Config) (*Handler, error) {
	if cfg.URLConf == nil {
		return nil, manouche.Improperlyf("handler: Config.URLConf is required (the ROOT_URLCONF)")
	}
	h := &Handler{
		settings: cfg.Settings,
		conf:     cfg.URLConf,
		log:      cfg.Logger,
		sig:      cfg.Signals,
		names:    map[any]string{},
	}
	for i, w := range cfg.ViewWrappers {
		if w == nil {
			return nil, manouche.Improperlyf("handler: Config.ViewWrappers[%d] is nil.", i)
		}
	}
	h.wrappers = cfg.ViewWrappers
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.sig == nil {
		h.sig = signals.NewLifecycle(h.log)
	}
	if err := h.loadMiddleware(cfg.Middleware); err != nil {
		return nil, err
	}
	return h, nil
}

// Signals returns the handler's lifecycle signals.
func (h *Handler) Signals() *signals.Lifecycle { return h.sig }

// Settings returns a copy of the handler's settings.
func (h *Handler) Settings() manouche.Settings { return h.settings }

// loadMiddleware is Django's load_middleware: it walks the list from the
// innermost, calling each factory once with the layer inside it, and
// collects the view, template-response and exception hooks.
func (h *Handler) loadMiddleware(factories []middleware.Factory) error {
	next := h.convert(middleware.Func(h.getResponse), "the handler's core")
	for i := len(factories) - 1; i >= 0; i-- {
		f := factories[i]
		if f == nil {
			return manouche.Improperlyf("Middleware factory at index %d is nil.", i)
		}
		m, err := f(next)
		if errors.Is(err, middleware.ErrNotUsed) {
			if h.settings.Debug {
				name := middleware.Name(f, nil)
				if msg := err.Error(); msg != middleware.ErrNotUsed.Error() {
					h.log.Debug(fmt.Sprintf("MiddlewareNotUsed('%s'): %s", name, msg), "logger", "manouche.request")
				} else {
					h.log.Debug(fmt.Sprintf("MiddlewareNotUsed: '%s'", name), "logger", "manouche.request")
				}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("building middleware %s: %w", middleware.Name(f, nil), err)
		}
		if m == nil {
			return manouche.Improperlyf("Middleware factory %s returned nil.", middleware.Name(f, nil))
		}
		name := middleware.Name(f, m)
		if err := middleware.Configure(m, &h.settings); err != nil {
			return fmt.Errorf("configuring middleware %s: %w", name, err)
		}
		v, e, t := middleware.Processors(m)
		if v != nil {
			h.view = append([]middleware.ViewProcessor{v}, h.view...)
		}
		if t != nil {
			h.template = append(h.template, t)
			h.names[t] = name + ".ProcessTemplateResponse"
		}
		if e != nil {
			h.exception = append(h.exception, e)
		}
		next = h.convert(m, name)
	}
	h.chain = next
	return nil
}

// ServeHTTP handles one request: request_started, build the request, the
// onion, write, close. The response is closed exactly once whatever
// happens — a panic, a client that goes away, a stream that fails — and
// request_finished is sent once, from that close.
func (h *Handler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	// What belongs to this request alone (its database connections, …)
	// hangs off its context from the start (DESIGN promise 2).
	st := h.begin(hr)
	if err := h.sig.RequestStarted.Send(&st.ctx, h, signals.RequestStarted{Request: hr}); err != nil {
		// The request was never built (SEMANTICS 70). Answer, and still
		// finish it so that started and finished pair up.
		h.log.ErrorContext(&st.ctx, "request_started receiver failed: "+err.Error(), "logger", "manouche.request", "path", hr.URL.Path)
		http.Error(w, "A server error occurred.  Please contact the administrator.", http.StatusInternalServerError)
		st.finish()
		return
	}

	r := h.build(st, w)

	var resp *manouche.Response
	abort := false
	defer func() {
		p := recover()
		if resp != nil {
			if err := r.CloseDiscarded(resp); err != nil {
				h.log.Error("closing a replaced response: "+err.Error(), "logger", "manouche.request", "path", r.Path)
			}
			if err := resp.Close(); err != nil {
				h.log.Error("closing the response: "+err.Error(), "logger", "manouche.request", "path", r.Path)
			}
		} else {
			_ = r.CloseDiscarded(nil)
			_ = r.Close()
		}
		// request_finished follows the close: after the closers and the
		// response's after-close hooks, once, even if a layer closed the
		// response early.
		st.finish()
		if p != nil {
			panic(p)
		}
		if abort {
			// Cut the connection so the client sees a truncated body, not a
			// complete-looking short one (SEMANTICS 52).
			panic(http.ErrAbortHandler)
		}
	}()

	// The host is validated while the request is built: a request for a
	// host outside ALLOWED_HOSTS is answered 400 before any middleware
	// (stricter than Django, which checks lazily; SEMANTICS 98).
	if _, err := r.Host(); err != nil {
		resp = h.responseForError(r, err)
	} else {
		resp = h.chain(r)
	}
	if resp.Kind() == manouche.Deferred {
		// A deferred response that a response phase returned: render it
		// now rather than fail at write time.
		r.KeepResponse(resp)
		if rendered, err := resp.Render(r.Context()); err != nil {
			resp = h.responseForError(r, err)
		} else {
			resp = rendered
		}
		r.KeepResponse(resp)
	}
	if !manouche.ValidStatus(resp.StatusCode) {
		// Django refuses such a status when the response is made, so the
		// view fails: a 500, logged once as a server error (SEMANTICS 12).
		// The refused response is still closed, as a replaced one.
		r.KeepResponse(resp)
		resp = h.responseForError(r, fmt.Errorf("%w (got %d)", response.ErrInvalidStatus, resp.StatusCode))
		r.KeepResponse(resp)
	}
	resp.AddCloser(r)
	h.logResponse(r, resp)
	if r.TookOver() {
		// The view wrote, flushed or hijacked through Request.ResponseWriter:
		// the response object is closed, not written.
		return
	}
	abort = h.write(w, r, resp)
}

// begin allocates the request's block, with the context carrying its new
// scope. net/http's request is not copied to carry that context: the
// request's HTTP method makes the copy when something asks for it.
func (h *Handler) begin(hr *http.Request) *inflight {
	st := &inflight{h: h, hr: hr}
	st.ctx.Init(hr.Context())
	return st
}

// build builds the request in st's block (its path split at the mount
// point), after request_started, with the scope's context as its context.
// Not inlined: Init's temporary is the size of a Request, and would
// otherwise live in ServeHTTP's frame, which stays on the stack under the
// whole onion.
//
//go:noinline
func (h *Handler) build(st *inflight, w http.ResponseWriter) *manouche.Request {
	scriptName, pathInfo := h.splitPath(st.hr)
	r := st.req.Init(w, st.hr, &h.settings, h.conf, scriptName, pathInfo)
	r.SetContext(&st.ctx)
	r.SetLogger(h.log)
	return r
}

// inflight is what the handler keeps for one request, in one allocation:
// the context carrying its scope, the request itself (with its resolver
// match), and what finishing it needs.
type inflight struct {
	h    *Handler
	hr   *http.Request // net/http's request, as the server passed it
	ctx  manouche.ScopeContext
	done atomic.Bool // request_finished was sent
	req  manouche.Request
}

// finish sends request_finished, once per request.
func (st *inflight) finish() {
	if !st.done.CompareAndSwap(false, true) {
		return
	}
	// Nothing new may be taken for the request once it ends; its
	// request_finished receivers then release what its scope holds.
	manouche.ScopeFrom(&st.ctx).Finish()
	// Every receiver runs, even after one fails: a failing receiver must not
	// stop another's cleanup (database connections; SEMANTICS 70).
	_ = st.h.sig.RequestFinished.SendRobust((*cleanupContext)(st), st.h, signals.RequestFinished{Request: st.hr})
}

// cleanupContext is the block's context without its cancellation: the
// scope's values (every Value is the block context's), never done, so
// that cleanup runs even when the client has gone. Unlike
// context.WithoutCancel it does not hide the server context's cancel
// cause from context.Cause, as the embedding type it replaced did not.
// It is the block itself under another type, so it costs neither an
// allocation nor a field.
type cleanupContext inflight

func (*cleanupContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (*cleanupContext) Done() <-chan struct{}       { return nil }
func (*cleanupContext) Err() error                  { return nil }
func (c *cleanupContext) Value(key any) any         { return c.ctx.Value(key) }
