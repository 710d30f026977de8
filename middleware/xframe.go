package middleware

import (
	"errors"
	"strings"

	"github.com/manouche/manouche"
)

// XFrameOptions returns Django's XFrameOptionsMiddleware: it sets the
// X-Frame-Options header, which tells browsers whether the page may be
// shown in a frame (clickjacking protection), to Settings.XFrameOptions
// upper-cased: "DENY" (the default, when empty) or "SAMEORIGIN" (Django's
// X_FRAME_OPTIONS). The handler refuses to start with any other value.
//
// The header is set in the response phase on every response, error pages
// included, except:
//
//   - a response that already has the header: a view may set its own
//     value (Django's xframe_options_deny and xframe_options_sameorigin);
//   - the responses of a route carrying the XFrameExempt attribute
//     (Django's xframe_options_exempt).
//
// The layer touches one header only, never a body, so it serves every
// kind of response alike: buffered, streaming, files and byte ranges,
// HEAD and 304 answers. A view that writes through
// Request.ResponseWriter sends its own headers.
func XFrameOptions() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		return &xframeLayer{next: next, value: "DENY"}, nil
	}
}

// xframeExemptKey is the route attribute key of XFrameExempt.
type xframeExemptKey struct{}

// XFrameExempt returns the route attribute, key and value for urls.Attr,
// that keeps the XFrameOptions middleware from setting X-Frame-Options on
// a route's responses, so the page may be framed: Django's
// @xframe_options_exempt, the Go way.
//
//	urls.Path("widget/", widget, urls.Attr(middleware.XFrameExempt()))
//
// The exemption covers every response of the route, the error pages of
// an error its view returns included (Django's decorator marks only the
// view's own response). Set on an include, it covers every route under
// it; an inner route can take the exemption back with the same key and
// the value false:
//
//	key, _ := middleware.XFrameExempt()
//	urls.Path("admin/", admin, urls.Attr(key, false))
func XFrameExempt() (key, value any) { return xframeExemptKey{}, true }

// xframeLayer is the built XFrameOptions layer.
type xframeLayer struct {
	next  Handler
	value string // "DENY" or "SAMEORIGIN"
}

// Name returns "middleware.XFrameOptions".
func (l *xframeLayer) Name() string { return "middleware.XFrameOptions" }

// Configure reads Settings.XFrameOptions and refuses a value other than
// DENY or SAMEORIGIN (in any case). The handler calls it once, when it is
// built.
func (l *xframeLayer) Configure(s *manouche.Settings) error {
	v := strings.ToUpper(s.XFrameOptions)
	switch v {
	case "":
		v = "DENY"
	case "DENY", "SAMEORIGIN":
	default:
		return manouche.Improperlyf("Settings.XFrameOptions is %q: it must be \"DENY\" (the default) or \"SAMEORIGIN\" (X_FRAME_OPTIONS).", s.XFrameOptions)
	}
	l.value = v
	return nil
}

// Serve calls the next layer and sets X-Frame-Options on its response
// unless it has one or the route is exempt.
func (l *xframeLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	resp := l.next(r)
	if resp.HasHeader("X-Frame-Options") {
		return resp, nil
	}
	if v, ok := r.ResolverMatch.Attr(xframeExemptKey{}); ok {
		if exempt, _ := v.(bool); exempt {
			return resp, nil
		}
	}
	resp.SetHeader("X-Frame-Options", l.value)
	return resp, nil
}
