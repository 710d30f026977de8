package middleware

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/manouche/manouche"
)

// FromHTTP places a net/http middleware (chi's, for one) inside the onion.
// mw is called once, when the handler is built, as net/http middleware
// expect. Per request, mw runs with the request and a writer; when it calls
// its next handler, the rest of the onion runs and its response object goes
// on outwards, with the headers mw set on its writer added where the
// response lacks them. When mw answers by itself (writes without calling
// next, or writes after next returned, as a timeout does), what it wrote
// becomes a buffered response.
//
// The writer mw gets, and wraps, reaches the server's writer: Flush,
// Hijack, and http.ResponseController (SetWriteDeadline, …) work through
// it, and views reach mw's wrapped writer through Request.ResponseWriter.
// Middleware that rewrite the body as it is written (compression,
// byte-counting loggers) see no body here, because the response object is
// written after the onion: wrap the whole manouche handler in those, or use
// the native middleware. The same holds for http.TimeoutHandler, which
// always writes after its next handler returns: wrap the handler in it.
func FromHTTP(mw func(http.Handler) http.Handler) Factory {
	return func(next Handler) (Middleware, error) {
		l := &httpLayer{next: next, name: manouche.FuncName(mw)}
		l.built = mw(http.HandlerFunc(l.inner))
		return l, nil
	}
}

type httpLayer struct {
	next  Handler
	built http.Handler
	name  string
}

// Name returns the wrapped middleware's function name.
func (l *httpLayer) Name() string { return l.name }

type httpState struct {
	r      *manouche.Request
	resp   *manouche.Response
	called bool
}

func (l *httpLayer) inner(w http.ResponseWriter, hr *http.Request) {
	st, _ := hr.Context().Value(l).(*httpState)
	if st == nil {
		http.Error(w, "manouche: net/http middleware called next with a request not derived from the one it was given", http.StatusInternalServerError)
		return
	}
	st.called = true
	st.r.SetHTTP(hr)
	prev := st.r.SetResponseWriter(w)
	st.resp = l.next(st.r)
	st.r.SetResponseWriter(prev)
}

// Serve runs the net/http middleware around the rest of the onion.
func (l *httpLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	st := &httpState{r: r}
	cw := &captureWriter{under: r.ResponseWriter(), header: http.Header{}}
	// One copy of net/http's request, carrying the layer's state: the
	// request's context is given the state first, and HTTP copies once.
	r.SetContext(context.WithValue(r.Context(), l, st))
	hr := r.HTTP()
	l.built.ServeHTTP(cw, hr)
	if !st.called || cw.wrote {
		r.KeepResponse(st.resp)
		return cw.response(), nil
	}
	h := st.resp.Header()
	for k, v := range cw.header {
		if _, ok := h[k]; !ok {
			h[k] = v
		}
	}
	return st.resp, nil
}

// captureWriter is the writer a net/http middleware gets: it records what
// the middleware writes itself and passes Flush, Hijack and the
// ResponseController methods to the server's writer.
type captureWriter struct {
	under  http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.wrote = true
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.wrote = true
	return c.body.Write(p)
}

func (c *captureWriter) ReadFrom(src io.Reader) (int64, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.wrote = true
	return c.body.ReadFrom(src)
}

// Flush flushes the server's writer.
func (c *captureWriter) Flush() { _ = http.NewResponseController(c.under).Flush() }

// Hijack hijacks the server's connection.
func (c *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(c.under).Hijack()
}

// SetWriteDeadline sets the server connection's write deadline.
func (c *captureWriter) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(c.under).SetWriteDeadline(t)
}

// SetReadDeadline sets the server connection's read deadline.
func (c *captureWriter) SetReadDeadline(t time.Time) error {
	return http.NewResponseController(c.under).SetReadDeadline(t)
}

// Unwrap returns the server's writer, for http.ResponseController.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.under }

func (c *captureWriter) response() *manouche.Response {
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	ct := c.header.Get("Content-Type")
	if ct == "" && c.body.Len() > 0 {
		ct = http.DetectContentType(c.body.Bytes())
	}
	resp := manouche.NewResponse(status, c.body.Bytes(), ct)
	for k, v := range c.header {
		resp.Header()[k] = v
	}
	if ct == "" {
		resp.Header().Del("Content-Type")
	}
	return resp
}
