package manouche

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind says how a response carries its body. Middleware switch on it; every
// built-in middleware handles every kind (DESIGN promise 5).
type Kind uint8

const (
	// Buffered: the body is a byte slice, readable and replaceable
	// (Django's HttpResponse).
	Buffered Kind = iota
	// Streaming: the body is produced by a StreamFunc while it is written,
	// after the onion (Django's StreamingHttpResponse). It is never read by
	// middleware, only wrapped.
	Streaming
	// Deferred: the body is rendered late by a Renderer, after the view and
	// the process_template_response hooks (Django's TemplateResponse). Once
	// rendered it is Buffered.
	Deferred
)

func (k Kind) String() string {
	switch k {
	case Buffered:
		return "buffered"
	case Streaming:
		return "streaming"
	case Deferred:
		return "deferred"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// StreamFunc produces a streaming body. It runs once, after every middleware
// has seen the response, while the handler writes it: each Write on w is
// sent (and flushed) to the client. ctx is the request's context: it is
// cancelled, and writes fail, when the client goes away, and the producer
// must then stop. An error after the first byte truncates the body
// (SEMANTICS 52); the response is still closed once.
//
// Besides Write, the writer the handler passes has the methods that
// http.ResponseController reaches on a server's writer: Flush(),
// FlushError() error and SetWriteDeadline(time.Time) error, which a
// producer finds with an interface assertion. A middleware that wraps a
// stream (compression) passes them on.
type StreamFunc func(ctx context.Context, w io.Writer) error

// Renderer renders the body of a deferred response (a template response).
// The templates package provides one; middleware that know its concrete type
// may change its template or context before it renders.
type Renderer interface {
	Render(ctx context.Context) ([]byte, error)
}

// Response is the response object that a view returns and that middleware
// read and change: status, headers, cookies and body, of one of the Kinds.
// It is not safe for concurrent use, except Close, and it belongs to one
// request: a view builds a new one per request (the handler closes it, and
// that close finishes the request), never returns a shared one.
//
// Close runs the closers once each, in order, then the after-close hooks;
// the handler sends request_finished right after its Close returns. Every
// further call does nothing: closing is idempotent (DESIGN promise 1;
// Django's is not, SEMANTICS 48).
type Response struct {
	// StatusCode is the HTTP status, 100 to 599.
	StatusCode int

	hdr     headers
	cookies []*http.Cookie

	content    []byte
	stream     StreamFunc
	renderer   Renderer
	postRender []func(*Response) (*Response, error)

	mu         sync.Mutex // guards closed, closers and afterClose
	closers    []io.Closer
	afterClose []func()
	// The first backing arrays of closers and afterClose: most responses
	// have a closer or two (the request, a file) and the handler's one
	// after-close hook, so these cost no allocation of their own.
	closerBuf [2]io.Closer
	afterBuf  [1]func()

	// The one-byte fields, together so that they share one word: a
	// Response must fit the 512-byte size class (TestResponseSize).
	kind       Kind
	ownContent bool // content's array was allocated by Write: appending in place is safe
	closed     bool
	logged     bool
}

// NewResponse returns a buffered response with the given status, body and
// Content-Type (text/html; charset=utf-8 when contentType is empty).
func NewResponse(status int, body []byte, contentType string) *Response {
	if contentType == "" {
		contentType = "text/html; charset=utf-8"
	}
	r := &Response{StatusCode: status, content: body}
	r.hdr.set("Content-Type", contentType)
	return r
}

// NewStreamingResponse returns a streaming response whose body f produces.
func NewStreamingResponse(status int, f StreamFunc, contentType string) *Response {
	r := NewResponse(status, nil, contentType)
	r.kind = Streaming
	r.stream = f
	return r
}

// NewDeferredResponse returns a response rendered late by rd (a template
// response). Its content cannot be read before Render.
func NewDeferredResponse(status int, rd Renderer, contentType string) *Response {
	r := NewResponse(status, nil, contentType)
	r.kind = Deferred
	r.renderer = rd
	return r
}

// Header returns the response headers as an http.Header (case-insensitive,
// as Django's response.headers), live: what is set in it is the response's.
// Cookies are kept apart: see SetCookie.
//
// The first call builds the map. The header methods (SetHeader, GetHeader,
// HasHeader, SetDefaultHeader, AddHeader, DelHeader, CopyHeader) work
// before and after it, and until then cost no map: the built-in
// middleware use them, and so should a layer that runs on every request.
func (r *Response) Header() http.Header { return r.hdr.header() }

// Kind reports how the response carries its body.
func (r *Response) Kind() Kind { return r.kind }

// IsStreaming reports whether the body is streamed (Django's .streaming).
func (r *Response) IsStreaming() bool { return r.kind == Streaming }

// Charset returns the charset named in Content-Type, or "utf-8".
func (r *Response) Charset() string {
	ct := r.GetHeader("Content-Type")
	for _, part := range strings.Split(ct, ";")[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "charset") {
			// Django: `;\s*charset=([^\s;]+)`, then quotes removed.
			if i := strings.IndexAny(v, " \t\r\n\v\f"); i >= 0 {
				v = v[:i]
			}
			if v = strings.ReplaceAll(v, `"`, ""); v != "" {
				return v
			}
		}
	}
	return "utf-8"
}

// Content returns the body of a buffered (or rendered) response. It fails
// with ErrStreamingContent for a streaming response and with
// ErrContentNotRendered for a deferred one not yet rendered.
func (r *Response) Content() ([]byte, error) {
	switch r.kind {
	case Streaming:
		return nil, ErrStreamingContent
	case Deferred:
		return nil, ErrContentNotRendered
	}
	// Clipped, so that a caller's append never lands in the spare
	// capacity that Write appends into.
	return slices.Clip(r.content), nil
}

// SetContent replaces the body. The response becomes buffered: a deferred
// response counts as rendered (SEMANTICS 64), a streaming one loses its
// producer (its closers stay and still run on Close).
func (r *Response) SetContent(b []byte) {
	r.kind = Buffered
	r.stream = nil
	r.renderer = nil
	r.content = b
	r.ownContent = false
}

// Write appends to the body of a buffered response, as Django's
// response.write. It fails on the other kinds.
func (r *Response) Write(p []byte) (int, error) {
	if _, err := r.Content(); err != nil {
		return 0, err
	}
	if !r.ownContent {
		// The body may share its array with the caller's slice or another
		// response's body: the first append must copy it.
		r.content = slices.Clip(r.content)
		r.ownContent = true
	}
	r.content = append(r.content, p...)
	return len(p), nil
}

// Stream returns the producer of a streaming response, or nil.
func (r *Response) Stream() StreamFunc { return r.stream }

// SetStream makes the response streaming with producer f. Middleware wrap
// a stream by calling SetStream with a producer that calls the old one.
func (r *Response) SetStream(f StreamFunc) {
	r.kind = Streaming
	r.content = nil
	r.ownContent = false
	r.renderer = nil
	r.stream = f
}

// Renderer returns the renderer of a deferred response not yet rendered,
// or nil.
func (r *Response) Renderer() Renderer {
	if r.kind != Deferred {
		return nil
	}
	return r.renderer
}

// IsRendered reports whether the body is available: false only for a
// deferred response before Render.
func (r *Response) IsRendered() bool { return r.kind != Deferred }

// Render renders a deferred response once: the body becomes the renderer's
// output and the post-render callbacks run in order; a callback that
// returns a non-nil response replaces the result. Render on a response
// that is already rendered (or was never deferred) does nothing and
// returns r (SEMANTICS 64).
func (r *Response) Render(ctx context.Context) (*Response, error) {
	if r.kind != Deferred {
		return r, nil
	}
	if r.renderer == nil {
		return r, errors.New("manouche: a deferred response has no Renderer")
	}
	b, err := r.renderer.Render(ctx)
	if err != nil {
		return r, err
	}
	r.SetContent(b)
	out := r
	callbacks := r.postRender
	r.postRender = nil
	for _, cb := range callbacks {
		nr, err := cb(out)
		if err != nil {
			return out, err
		}
		if nr != nil {
			out = nr
		}
	}
	return out, nil
}

// AddPostRenderCallback registers f to run after rendering. On a response
// already rendered it runs at once (SEMANTICS 64); its result is then
// ignored except for the error.
func (r *Response) AddPostRenderCallback(f func(*Response) (*Response, error)) error {
	if r.kind != Deferred {
		_, err := f(r)
		return err
	}
	r.postRender = append(r.postRender, f)
	return nil
}

// SetCookie sets a cookie, replacing any cookie of the same name set before
// (Django's response.set_cookie). Path defaults to "/". With MaxAge > 0 and
// no Expires, Expires is computed from MaxAge, and with Expires but no
// MaxAge, MaxAge is computed from Expires, as Django does.
func (r *Response) SetCookie(c *http.Cookie) {
	c2 := *c
	if c2.Path == "" {
		c2.Path = "/"
	}
	now := time.Now()
	switch {
	case c2.MaxAge > 0 && c2.Expires.IsZero():
		c2.Expires = now.Add(time.Duration(c2.MaxAge) * time.Second).UTC()
	case c2.MaxAge == 0 && !c2.Expires.IsZero():
		if d := c2.Expires.Sub(now); d > 0 {
			c2.MaxAge = int((d + time.Second - 1) / time.Second)
		} else {
			c2.MaxAge = -1
		}
	}
	for i, old := range r.cookies {
		if old.Name == c2.Name {
			r.cookies[i] = &c2
			return
		}
	}
	r.cookies = append(r.cookies, &c2)
}

// DeleteCookie tells the client to drop a cookie (Django's
// response.delete_cookie): empty value, Max-Age 0 and an expiry in 1970.
// A "__Secure-" or "__Host-" cookie, or one with SameSite=None, is marked
// Secure, as browsers require.
func (r *Response) DeleteCookie(name, path, domain string, sameSite http.SameSite) {
	secure := strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") || sameSite == http.SameSiteNoneMode
	r.SetCookie(&http.Cookie{
		Name: name, Path: path, Domain: domain, SameSite: sameSite, Secure: secure,
		MaxAge: -1, Expires: time.Unix(0, 0).UTC(),
	})
}

// Cookies returns the cookies set on the response, in the order first set.
func (r *Response) Cookies() []*http.Cookie { return r.cookies }

// AddCloser registers c to be closed, once, when the response is closed,
// after the closers registered before it (Django's resource_closers). On a
// response already closed, c is closed at once.
func (r *Response) AddCloser(c io.Closer) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = safeClose(c)
		return
	}
	if r.closers == nil {
		r.closers = r.closerBuf[:0]
	}
	r.closers = append(r.closers, c)
	r.mu.Unlock()
}

// AfterClose registers f to run once, after the closers, when the response
// is closed; at once if it already is. On the response a request ends
// with, the hooks run before request_finished is sent.
func (r *Response) AfterClose(f func()) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		f()
		return
	}
	if r.afterClose == nil {
		r.afterClose = r.afterBuf[:0]
	}
	r.afterClose = append(r.afterClose, f)
	r.mu.Unlock()
}

// Close closes the response: each closer once, in registration order, with
// their errors (and panics) collected into the returned error, then the
// after-close hooks (a panic in either becomes an error and the rest still
// run). Every further call, from any goroutine or from a closer itself,
// does nothing and returns nil.
func (r *Response) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	closers, after := r.closers, r.afterClose
	r.closers, r.afterClose = nil, nil
	r.mu.Unlock()

	var errs []error
	for _, c := range closers {
		if err := safeClose(c); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range after {
		if err := safeCall(f); err != nil {
			errs = append(errs, err)
		}
	}
	// Nothing else touches the arrays once closed: drop what they hold.
	clear(r.closerBuf[:])
	r.afterBuf[0] = nil
	return errors.Join(errs...)
}

// Closed reports whether Close has been called.
func (r *Response) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// MarkLogged records that the response was already logged (with the error
// that produced it), so the handler does not log it a second time
// (SEMANTICS 11).
func (r *Response) MarkLogged() { r.logged = true }

// Logged reports whether MarkLogged was called.
func (r *Response) Logged() bool { return r.logged }

// ReasonPhrase returns the reason phrase for the status, or
// "Unknown Status Code" (SEMANTICS 12).
func (r *Response) ReasonPhrase() string {
	if t := http.StatusText(r.StatusCode); t != "" {
		return t
	}
	return "Unknown Status Code"
}

// ValidStatus reports whether code is an HTTP status Django accepts:
// an integer from 100 to 599 (SEMANTICS 12).
func ValidStatus(code int) bool { return code >= 100 && code <= 599 }

// CloserFunc adapts a function to io.Closer.
type CloserFunc func() error

// Close calls f.
func (f CloserFunc) Close() error { return f() }

func safeCall(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("after-close hook panicked: %v", p)
		}
	}()
	f()
	return nil
}

func safeClose(c io.Closer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("closer %T panicked: %v", c, p)
		}
	}()
	return c.Close()
}
