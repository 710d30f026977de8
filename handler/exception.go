package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/signals"
)

// StatusClientClosedRequest is the status of a request whose view stopped
// because the client went away (its context was cancelled): 499, as
// proxies log it. The client never sees it.
const StatusClientClosedRequest = 499

// convert wraps a layer in Django's convert_exception_to_response: an error
// or panic leaving the layer becomes a response right there, so the layer
// outside always gets a response (SEMANTICS 17). Every response that crosses
// the boundary is kept, so one that an outer layer replaces is still closed.
func (h *Handler) convert(m middleware.Middleware, name string) middleware.Handler {
	// The recover sits in this closure rather than in a helper it calls:
	// two frames a layer on the stack (this and the layer's Serve)
	// instead of three, seven fewer calls through the default stack. It
	// recovers a panic of the layer (and what it calls) only, as the
	// helper did: served is set once Serve has returned.
	return func(r *manouche.Request) (resp *manouche.Response) {
		served := false
		defer func() {
			if served {
				return
			}
			if p := recover(); p != nil {
				resp = h.responseForError(r, &PanicError{Value: p, Stack: debug.Stack()})
				r.KeepResponse(resp)
			}
		}()
		resp, err := m.Serve(r)
		served = true
		if err == nil && resp == nil {
			err = &middleware.NilResponseError{Culprit: name}
		}
		if err != nil {
			resp = h.responseForError(r, err)
		}
		r.KeepResponse(resp)
		return resp
	}
}

// responseForError is Django's response_for_exception (SEMANTICS 92): it
// maps err to a status, logs it once, sends got_request_exception for the
// 500s only, and builds the page: the URLconf's error view, the default
// page, or with Debug the technical page.
func (h *Handler) responseForError(r *manouche.Request, err error) *manouche.Response {
	var (
		nf *manouche.Http404
		pd *manouche.PermissionDenied
		mp *manouche.MultiPartParserError
		br *manouche.BadRequest
		so *manouche.SuspiciousOperation
	)
	ctx := r.Context()
	if errors.As(err, &mp) || errors.Is(err, manouche.ErrRequestDataTooBig) ||
		errors.Is(err, manouche.ErrTooManyFieldsSent) || errors.Is(err, manouche.ErrTooManyFilesSent) {
		r.MarkPostParseError() // error views read an empty POST (SEMANTICS 93)
	}
	var resp *manouche.Response
	switch {
	case errors.As(err, &nf):
		if h.settings.Debug {
			resp = h.technical404(r, nf)
		} else {
			resp = h.errorView(r, 404, err)
		}
		h.logRequest(r, slog.LevelWarn, "Not Found: "+r.Path, 404, nil)
	case errors.As(err, &pd):
		resp = h.errorView(r, 403, err)
		h.logRequest(r, slog.LevelWarn, "Forbidden (Permission denied): "+r.Path, 403, err)
	case errors.As(err, &mp):
		resp = h.errorView(r, 400, err)
		h.logRequest(r, slog.LevelWarn, "Bad request (Unable to parse request body): "+r.Path, 400, err)
	case errors.As(err, &br):
		if h.settings.Debug {
			resp = h.technical500(r, err, 400)
		} else {
			resp = h.errorView(r, 400, err)
		}
		h.logRequest(r, slog.LevelWarn, fmt.Sprintf("%s: %s", err.Error(), r.Path), 400, err)
	case errors.As(err, &so):
		if h.settings.Debug {
			resp = h.technical500(r, err, 400)
		} else {
			resp = h.errorView(r, 400, err)
		}
		// Suspicious operations go to the security logger only.
		h.log.LogAttrs(ctx, slog.LevelError, so.Message,
			slog.String("logger", "manouche.security."+so.Kind),
			slog.Int("status", 400), slog.String("path", r.Path))
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away and the view gave up (SEMANTICS 14): no one
		// reads this answer. It is no server error: no
		// got_request_exception, no 500 page, a debug line only. 499 is
		// the status proxies log for a client that closed the request.
		resp = manouche.NewResponse(StatusClientClosedRequest, nil, "text/plain; charset=utf-8")
		h.log.LogAttrs(ctx, slog.LevelDebug, "client went away before the response: "+r.Path,
			slog.String("logger", "manouche.request"), slog.String("error", err.Error()))
	default:
		resp = h.serverError(r, err)
	}
	resp.MarkLogged()
	return resp
}

// serverError answers an unexpected error: got_request_exception, an
// ERROR log line with the error and its stack, then the 500 page.
func (h *Handler) serverError(r *manouche.Request, err error) *manouche.Response {
	// SendRobust: a failing error reporter must not turn a 500 into a crash.
	_ = h.sig.GotRequestException.SendRobust(r.Context(), h, signals.GotRequestException{Request: r.HTTP(), Err: err})
	h.logRequest(r, slog.LevelError, "Internal Server Error: "+r.Path, 500, err)
	if h.settings.Debug {
		return h.technical500(r, err, 500)
	}
	return h.errorView(r, 500, err)
}

// errorView calls the URLconf's view for status, or builds the default
// page. A 4xx view that fails is reported and replaced by the 500 view; a
// failing 500 view gives a plain-text 500 (SEMANTICS 94).
func (h *Handler) errorView(r *manouche.Request, status int, err error) *manouche.Response {
	conf := r.URLConf
	if conf == nil {
		conf = h.conf
	}
	v := conf.ErrorView(status)
	if v == nil {
		return manouche.DefaultErrorPage(status)
	}
	resp, verr := callErrorView(v, r, err)
	if verr == nil && resp == nil {
		verr = &middleware.NilResponseError{Culprit: manouche.FuncName(v), View: true}
	}
	if verr == nil {
		// Error pages are rendered at once (SEMANTICS 26).
		if resp, verr = resp.Render(r.Context()); verr == nil {
			r.KeepResponse(resp)
			return resp
		}
	}
	if status != 500 {
		return h.serverError(r, verr)
	}
	_ = h.sig.GotRequestException.SendRobust(r.Context(), h, signals.GotRequestException{Request: r.HTTP(), Err: verr})
	h.logRequest(r, slog.LevelError, "Internal Server Error: "+r.Path+" (the 500 error view failed)", 500, verr)
	return manouche.NewResponse(500, []byte("A server error occurred.  Please contact the administrator."), "text/plain; charset=utf-8")
}

func callErrorView(v manouche.ErrorView, r *manouche.Request, err error) (resp *manouche.Response, verr error) {
	defer func() {
		if p := recover(); p != nil {
			resp, verr = nil, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return v(r, err)
}

// logRequest writes one request log line (Django's log_response).
func (h *Handler) logRequest(r *manouche.Request, level slog.Level, msg string, status int, err error) {
	attrs := []slog.Attr{
		slog.String("logger", "manouche.request"),
		slog.Int("status", status),
		slog.String("method", r.Method),
		slog.String("path", r.Path),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		var pe *PanicError
		if errors.As(err, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
		}
	}
	h.log.LogAttrs(r.Context(), level, msg, attrs...)
}

// logResponse logs a final 4xx or 5xx response once, unless the error path
// already did (SEMANTICS 11).
func (h *Handler) logResponse(r *manouche.Request, resp *manouche.Response) {
	if resp.StatusCode < 400 || resp.Logged() {
		return
	}
	level := slog.LevelWarn
	if resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	h.logRequest(r, level, resp.ReasonPhrase()+": "+r.Path, resp.StatusCode, nil)
	resp.MarkLogged()
}
