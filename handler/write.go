package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/manouche/manouche"
)

// write sends resp: status, headers, one Set-Cookie per cookie, then the
// body — none for HEAD, 1xx, 204 and 304, the headers staying those of GET
// (SEMANTICS 60). A stream is produced now, each write flushed. It reports
// whether the connection must be cut because a stream failed half way.
func (h *Handler) write(w http.ResponseWriter, r *manouche.Request, resp *manouche.Response) (abort bool) {
	status := resp.StatusCode // valid: ServeHTTP replaced an invalid one
	noBody := r.Method == http.MethodHead || status == http.StatusNoContent ||
		status == http.StatusNotModified || status < 200
	var body []byte
	if resp.Kind() != manouche.Streaming {
		// A deferred response nobody rendered has no content: ServeHTTP
		// renders it first.
		body, _ = resp.Content()
		if status == http.StatusNoContent || status < 200 {
			resp.DelHeader("Content-Length")
		} else if status != http.StatusNotModified && (r.Method == http.MethodHead || resp.HasHeader("Content-Length")) {
			// The body is known: its true length. A response without one
			// is left to net/http, as any Go handler's (it counts a body
			// it holds whole, else sends it chunked), but a HEAD, whose
			// body net/http never sees, gets it here.
			resp.SetHeader("Content-Length", strconv.Itoa(len(body)))
		}
	}
	// One copy into net/http's map, the value slices shared: the
	// response's inline headers cost no map of their own.
	hdr := w.Header()
	resp.CopyHeader(hdr)
	for _, c := range resp.Cookies() {
		if v := c.String(); v != "" {
			hdr.Add("Set-Cookie", v)
		}
	}

	if resp.Kind() == manouche.Streaming {
		w.WriteHeader(status)
		if noBody || resp.Stream() == nil {
			return false
		}
		return h.stream(w, r, resp.Stream())
	}
	if status == http.StatusNoContent || status < 200 {
		delete(hdr, "Content-Length")
	}
	w.WriteHeader(status)
	if !noBody && len(body) > 0 {
		_, _ = w.Write(body)
	}
	return false
}

// stream runs a producer after the onion, flushing each write. A client
// that goes away cancels the context and fails the writes, which stops the
// producer. Any other error or panic truncates the body: it is logged and
// the connection cut (SEMANTICS 52–53).
func (h *Handler) stream(w http.ResponseWriter, r *manouche.Request, f manouche.StreamFunc) (abort bool) {
	ctx := r.Context()
	fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
	err := runProducer(ctx, f, fw)
	if err == nil {
		return false
	}
	if ctx.Err() != nil {
		h.log.LogAttrs(ctx, slog.LevelDebug, "client went away during a stream: "+r.Path,
			slog.String("logger", "manouche.request"), slog.String("error", err.Error()))
		return false
	}
	h.logRequest(r, slog.LevelError, "Error while streaming the response: "+r.Path, 500, err)
	return true
}

func runProducer(ctx context.Context, f manouche.StreamFunc, w *flushWriter) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return f(ctx, w)
}

// flushWriter sends each write to the client at once. It is the writer a
// StreamFunc gets, and offers what http.ResponseController reaches on the
// server's writer: Flush, FlushError and SetWriteDeadline (a producer of a
// long stream extends its deadline before each slow write).
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// Flush sends what was written so far; each Write already does.
func (f *flushWriter) Flush() { _ = f.FlushError() }

// FlushError is Flush reporting its error.
func (f *flushWriter) FlushError() error { return f.rc.Flush() }

// SetWriteDeadline sets the connection's write deadline, as
// http.ResponseController does.
func (f *flushWriter) SetWriteDeadline(t time.Time) error { return f.rc.SetWriteDeadline(t) }

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		return n, err
	}
	if err := f.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return n, err
	}
	return n, nil
}
