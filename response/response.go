package response

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/manouche/manouche"
)

// Content types of the responses built here.
const (
	// ContentTypeHTML is Django's default content type (DEFAULT_CHARSET utf-8).
	ContentTypeHTML = "text/html; charset=utf-8"
	// ContentTypeText is the content type of Text.
	ContentTypeText = "text/plain; charset=utf-8"
	// ContentTypeJSON is JsonResponse's content type.
	ContentTypeJSON = "application/json"
)

// ErrInvalidStatus is Django's error for a status outside 100–599
// (SEMANTICS 12). JSONStatus returns it wrapped; Bytes panics with an error
// wrapping it.
var ErrInvalidStatus = errors.New("HTTP status code must be an integer from 100 to 599.")

func checkStatus(status int) error {
	if !manouche.ValidStatus(status) {
		return fmt.Errorf("%w (got %d)", ErrInvalidStatus, status)
	}
	return nil
}

// Bytes returns a buffered response with the given status, body and
// Content-Type; an empty contentType means "text/html; charset=utf-8", as
// Django's HttpResponse. The response holds body itself, not a copy.
//
// Bytes panics if status is not from 100 to 599 (SEMANTICS 12): a status
// computed at run time should be checked with manouche.ValidStatus first.
func Bytes(status int, body []byte, contentType string) *manouche.Response {
	if err := checkStatus(status); err != nil {
		panic(fmt.Errorf("response.Bytes: %w", err))
	}
	return manouche.NewResponse(status, body, contentType)
}

// HTML returns a 200 response with body and Content-Type
// "text/html; charset=utf-8" (Django's HttpResponse(body)).
func HTML(body string) *manouche.Response {
	return manouche.NewResponse(200, []byte(body), ContentTypeHTML)
}

// Text returns a 200 response with body and Content-Type
// "text/plain; charset=utf-8".
func Text(body string) *manouche.Response {
	return manouche.NewResponse(200, []byte(body), ContentTypeText)
}

// JSON returns a 200 response whose body is v encoded as JSON, with
// Content-Type "application/json" (Django's JsonResponse). An encoding error
// (a channel, a NaN, a failing MarshalJSON) is returned, wrapped. <, > and &
// are not escaped; see the package documentation.
func JSON(v any) (*manouche.Response, error) {
	return JSONStatus(200, v)
}

// JSONStatus is JSON with another status. It fails with ErrInvalidStatus
// when status is not from 100 to 599.
func JSONStatus(status int, v any) (*manouche.Response, error) {
	if err := checkStatus(status); err != nil {
		return nil, fmt.Errorf("response.JSONStatus: %w", err)
	}
	e := jsonEncoders.Get().(*jsonEncoder)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, fmt.Errorf("response.JSON: %w", err) // e is dropped
	}
	// The body is the response's own: copied out, exactly its length.
	body := bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
	if e.buf.Cap() <= maxPooledJSON {
		jsonEncoders.Put(e)
	}
	return manouche.NewResponse(status, body, ContentTypeJSON), nil
}

// jsonEncoder is an encoder and the buffer it writes into, reused from
// one response to the next as encoding/json reuses its own state: JSON
// then costs one allocation, the body. A buffer grown past maxPooledJSON
// by a large document is left to the collector, so the pool holds at most
// that much per entry.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

const maxPooledJSON = 64 << 10

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// NotModified returns a 304 response with no Content-Type and no body
// (Django's HttpResponseNotModified). The handler never writes a body for a
// 304, so content set on it later is dropped; Django refuses it outright.
func NotModified() *manouche.Response {
	r := manouche.NewResponse(304, nil, ContentTypeHTML)
	r.DelHeader("Content-Type")
	return r
}

// BadRequest returns a 400 HTML response with body (Django's
// HttpResponseBadRequest). To have the handler build the 400 page, return a
// *manouche.BadRequest error instead.
func BadRequest(body string) *manouche.Response { return status(400, body) }

// Forbidden returns a 403 HTML response with body (Django's
// HttpResponseForbidden). To have the handler build the 403 page, return a
// *manouche.PermissionDenied error instead.
func Forbidden(body string) *manouche.Response { return status(403, body) }

// NotFound returns a 404 HTML response with body (Django's
// HttpResponseNotFound). To have the handler build the 404 page, return a
// *manouche.Http404 error instead.
func NotFound(body string) *manouche.Response { return status(404, body) }

// Gone returns a 410 HTML response with body (Django's HttpResponseGone).
func Gone(body string) *manouche.Response { return status(410, body) }

// ServerError returns a 500 HTML response with body (Django's
// HttpResponseServerError).
func ServerError(body string) *manouche.Response { return status(500, body) }

// NotAllowed returns a 405 response with an empty body and an Allow header
// listing the permitted methods, comma-separated in the order given
// (Django's HttpResponseNotAllowed): NotAllowed("GET", "POST") has
// "Allow: GET, POST".
func NotAllowed(permitted ...string) *manouche.Response {
	r := status(405, "")
	r.SetHeader("Allow", strings.Join(permitted, ", "))
	return r
}

func status(code int, body string) *manouche.Response {
	return manouche.NewResponse(code, []byte(body), ContentTypeHTML)
}
