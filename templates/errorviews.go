package templates

import (
	"errors"
	"fmt"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/urls"
)

// ErrorView returns the error view for status 400, 403, 404 or 500
// (Django's django.views.defaults): it renders the template "<status>.html"
// when a loader has it, and Django's default page otherwise
// (SEMANTICS 95). For any other status it returns nil.
//
// The contexts are Django's:
//
//	404.html  request_path (the request's path, percent-encoded) and
//	          exception (the *manouche.Http404's message; "Http404"
//	          without one, "Resolver404" when no pattern matched), with
//	          the context processors
//	403.html  exception (the *manouche.PermissionDenied's message), with
//	          the context processors
//	400.html  an empty context, no processors: nothing about the bad
//	          request leaks
//	500.html  an empty context, no processors: the page must render
//	          however broken the application is
//
// The url and static functions work in all four.
//
// The page is rendered at once (a buffered response). A template that
// exists but fails (a syntax error, a missing layout) is the view's error:
// the handler answers a failing 4xx view with the 500 view.
func (e *Engine) ErrorView(status int) manouche.ErrorView {
	switch status {
	case 400, 500:
		return func(r *manouche.Request, err error) (*manouche.Response, error) {
			return e.errorPage(r, status, nil, false)
		}
	case 403:
		return func(r *manouche.Request, err error) (*manouche.Response, error) {
			return e.errorPage(r, status, map[string]any{"exception": permissionMessage(err)}, true)
		}
	case 404:
		return func(r *manouche.Request, err error) (*manouche.Response, error) {
			path := ""
			if r != nil {
				path = r.Path
			}
			return e.errorPage(r, status, map[string]any{
				"request_path": quote(path, "/"),
				"exception":    notFoundMessage(err),
			}, true)
		}
	}
	return nil
}

// ErrorHandlers returns the options of urls.New that make ErrorView the
// URLconf's handler400, handler403, handler404 and handler500.
func (e *Engine) ErrorHandlers() []urls.ConfOption {
	return []urls.ConfOption{
		urls.Handler400(e.ErrorView(400)),
		urls.Handler403(e.ErrorView(403)),
		urls.Handler404(e.ErrorView(404)),
		urls.Handler500(e.ErrorView(500)),
	}
}

// errorPage renders "<status>.html" for r with data, and the context
// processors' values when processors is true, or builds the default page
// when the template does not exist. The url and static functions see r
// either way.
func (e *Engine) errorPage(r *manouche.Request, status int, data map[string]any, processors bool) (*manouche.Response, error) {
	en, _, err := e.get(fmt.Sprintf("%d.html", status))
	if err != nil {
		return nil, err
	}
	if en == nil {
		return manouche.DefaultErrorPage(status), nil
	}
	ctx := data
	if processors {
		if ctx, err = e.context(r, data); err != nil {
			return nil, err
		}
	}
	body, err := en.execute(e, r, ctx)
	if err != nil {
		return nil, err
	}
	return manouche.NewResponse(status, body, ""), nil
}

// notFoundMessage is the 404 page's exception: the Http404's message when
// it has one, else the name of its kind (Django's exception_repr: the
// message only when it is a string, never Resolver404's dict).
func notFoundMessage(err error) string {
	var nf *manouche.Http404
	switch {
	case errors.As(err, &nf) && nf.Resolver:
		return "Resolver404"
	case errors.As(err, &nf) && nf.Message != "":
		return nf.Message
	case errors.As(err, &nf) || err == nil:
		return "Http404"
	}
	return err.Error()
}

// permissionMessage is the 403 page's exception: str(exception), which is
// empty for a PermissionDenied without a message.
func permissionMessage(err error) string {
	var pd *manouche.PermissionDenied
	switch {
	case errors.As(err, &pd):
		return pd.Message
	case err == nil:
		return ""
	}
	return err.Error()
}
