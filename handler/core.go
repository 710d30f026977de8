package handler

import (
	"fmt"
	"runtime/debug"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
)

// getResponse is the innermost layer, Django's _get_response: resolve, the
// view hooks, the view, the exception hooks for a view error, the
// template-response hooks and the render of a deferred response.
func (h *Handler) getResponse(r *manouche.Request) (*manouche.Response, error) {
	conf := r.URLConf
	if conf == nil {
		conf = h.conf
	}
	match, err := r.Resolve(conf)
	if err != nil {
		// Resolution errors never reach process_exception (SEMANTICS 20).
		return nil, err
	}
	view := match.View

	var resp *manouche.Response
	for _, vp := range h.view {
		if resp, err = vp.ProcessView(r, view, match.Args, match.Kwargs); err != nil {
			return nil, err
		}
		if resp != nil {
			break
		}
	}
	if resp == nil {
		wrapped := view
		for _, w := range h.wrappers {
			wrapped = w(r, wrapped)
		}
		resp, err = callView(wrapped, r)
		if err != nil {
			// A response returned with an error is not the answer, but
			// it may hold files: it is closed with the discarded ones.
			r.KeepResponse(resp)
			if resp, err = h.processException(r, err); err != nil {
				return nil, err
			}
		}
		if resp == nil {
			return nil, &middleware.NilResponseError{Culprit: manouche.FuncName(view), View: true}
		}
	}
	r.KeepResponse(resp)

	if resp.Renderer() != nil {
		for _, tp := range h.template {
			out, err := tp.ProcessTemplateResponse(r, resp)
			if err != nil {
				return nil, err
			}
			if out == nil {
				return nil, &middleware.NilResponseError{Culprit: h.names[tp]}
			}
			resp = out
			r.KeepResponse(resp)
		}
		rendered, err := resp.Render(r.Context())
		if err != nil {
			// A render error goes through process_exception like a view's.
			if rendered, err = h.processException(r, err); err != nil {
				return nil, err
			}
		}
		resp = rendered
		r.KeepResponse(resp)
	}
	return resp, nil
}

// processException is Django's process_exception_by_middleware: the hooks
// in reverse order, the first response wins; with none, the original error
// goes on (SEMANTICS 21). A response from a hook also goes through the
// template-response phase, which getResponse runs after it (SEMANTICS 22).
func (h *Handler) processException(r *manouche.Request, viewErr error) (*manouche.Response, error) {
	for _, ep := range h.exception {
		resp, err := ep.ProcessException(r, viewErr)
		if err != nil {
			return nil, err // replaces the original (SEMANTICS 23)
		}
		if resp != nil {
			return resp, nil
		}
	}
	return nil, viewErr
}

// PanicError is a recovered panic, turned into an error where it happened
// (a view, a middleware, a stream producer), with the stack of the panic.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func callView(view manouche.View, r *manouche.Request) (resp *manouche.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return view(r)
}
