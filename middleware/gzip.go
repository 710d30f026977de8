package middleware

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/manouche/manouche"
)

// GZip is Django's GZipMiddleware (SEMANTICS 62): it compresses responses
// for clients that accept gzip. List it before (outside) every layer that
// reads or changes the body, ConditionalGet in particular, whose ETag must
// be the one of the uncompressed content.
//
// On the way out, as Django does, it leaves alone a buffered body under
// 200 bytes (not even Vary is added) and a response that already has
// Content-Encoding; and, for want of a body to compress, a status without
// one (1xx, 204, 304), a stream without a producer and a deferred
// response nobody rendered. It does not compress a partial answer (206,
// or any response with Content-Range), whose byte ranges count the bytes
// of the representation as it is, but adds Vary to it as below.
// Otherwise:
//
//   - Accept-Encoding is added to Vary (see patchVaryHeaders), even when
//     the client does not accept gzip;
//   - the body is compressed only when the request's Accept-Encoding
//     matches Django's `\bgzip\b`: "x-gzip" counts, "GZIP" does not, and
//     q-values are not read, so "gzip;q=0" counts too, as in Django;
//   - a buffered body is compressed at once and replaced only when that
//     does not make it longer, with Content-Length set to the compressed
//     length. A HEAD gets the headers a GET would get (SEMANTICS 60), so
//     its body is compressed too, to learn that length;
//   - a stream — a whole file response too — is compressed on the fly: its
//     producer writes through a gzip writer that is flushed after each of
//     its writes, so each chunk reaches the client when it is written
//     (Django's compress_sequence holds small chunks back until deflate
//     has a block). The writer the producer gets keeps the handler's
//     Flush, FlushError and SetWriteDeadline. Content-Length is removed,
//     and Accept-Ranges, since the compressed form has no ranges; the
//     producer's error is returned as it is, so the handler cuts the body;
//   - a strong ETag becomes weak (W/"…"), and Content-Encoding is gzip.
//
// Each compressed body carries 0 to 99 bytes of padding, at random, in the
// gzip header's file name field: Django's mitigation of BREACH (its
// max_random_bytes, after "Heal the Breach"), so that a response's length
// does not tell an attacker's right guess of a secret from a wrong one.
// Two compressions of one body therefore differ in length.
//
// Compression is at level 6, Django's, with gzip writers kept in a
// sync.Pool of the layer, which the garbage collector trims; a stream's
// writer goes back to the pool when its producer returns.
func GZip() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		g := &gzipLayer{next: next}
		g.pool.New = func() any { return new(gzipState) }
		return g, nil
	}
}

// gzipMinLength is Django's threshold: a buffered body shorter than this is
// not worth compressing.
const gzipMinLength = 200

// gzipPadding backs the random file name of BREACH padding: Django's
// b"a" * secrets.randbelow(100).
const gzipPadding = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 99

// gzipChunk is how much compressed output a stream holds before passing it
// on while one large write is being compressed.
const gzipChunk = 32 << 10

// gzipKeepBuffer bounds the output buffer a pooled state keeps.
const gzipKeepBuffer = 256 << 10

// gzipLayer is the built GZip layer.
type gzipLayer struct {
	next Handler
	pool sync.Pool // of *gzipState
}

// gzipState is what one compression uses: a gzip writer and the buffer
// it writes into. It is pooled.
type gzipState struct {
	zw  *gzip.Writer
	buf []byte    // compressed bytes not yet passed on
	out io.Writer // a stream's writer: buf is passed on to it; nil for a buffered body
}

// Write collects the gzip writer's output, passing it on to out (a
// stream) when it grows past gzipChunk.
func (s *gzipState) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	if s.out != nil && len(s.buf) >= gzipChunk {
		if err := s.pass(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// pass writes what was collected to out, in one write.
func (s *gzipState) pass() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.out.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

// get returns a state whose gzip writer writes into it, with a fresh
// random padding.
func (g *gzipLayer) get(out io.Writer) *gzipState {
	s := g.pool.Get().(*gzipState)
	s.buf, s.out = s.buf[:0], out
	if s.zw == nil {
		s.zw, _ = gzip.NewWriterLevel(s, 6) // a valid level: no error
	} else {
		s.zw.Reset(s)
	}
	s.zw.Name = gzipPadding[:rand.IntN(len(gzipPadding)+1)]
	return s
}

// put returns s to the pool; nothing may use it afterwards.
func (g *gzipLayer) put(s *gzipState) {
	s.out = nil
	if cap(s.buf) > gzipKeepBuffer {
		s.buf = nil
	}
	g.pool.Put(s)
}

// Name names the layer in messages.
func (g *gzipLayer) Name() string { return "middleware.GZip" }

// Serve calls the next layer and compresses its response.
func (g *gzipLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	resp := g.next(r)
	g.process(r, resp)
	return resp, nil
}

// process is Django's GZipMiddleware.process_response, changing resp in
// place.
func (g *gzipLayer) process(r *manouche.Request, resp *manouche.Response) {
	if s := resp.StatusCode; s < 200 || s == http.StatusNoContent || s == http.StatusNotModified {
		return
	}
	var body []byte
	switch resp.Kind() {
	case manouche.Buffered:
		body, _ = resp.Content()
		if len(body) < gzipMinLength {
			return
		}
	case manouche.Streaming:
		if resp.Stream() == nil {
			return
		}
	default: // Deferred: the handler renders it before this layer sees it
		return
	}
	if resp.HasHeader("Content-Encoding") {
		return
	}
	// Vary is the resource's, not the answer's: a 206 of a file whose
	// whole is sent compressed carries it too, so that a cache keeps the
	// two apart.
	patchVaryHeaders(resp, "Accept-Encoding")
	if resp.HasHeader("Content-Range") || resp.StatusCode == http.StatusPartialContent {
		return
	}
	if !gzipAccepted(r.Header()["Accept-Encoding"]) {
		return
	}
	if resp.Kind() == manouche.Streaming {
		resp.SetStream(g.wrap(resp.Stream()))
		resp.DelHeader("Content-Length")
	} else {
		z := g.compress(body)
		if z == nil {
			return
		}
		resp.SetContent(z)
		resp.SetHeader("Content-Length", strconv.Itoa(len(z)))
	}
	resp.DelHeader("Accept-Ranges") // ranges count the identity's bytes
	if etag := resp.GetHeader("Etag"); strings.HasPrefix(etag, `"`) {
		resp.SetHeader("Etag", "W/"+etag)
	}
	resp.SetHeader("Content-Encoding", "gzip")
}

// compress returns body compressed, or nil when that is longer than body.
func (g *gzipLayer) compress(body []byte) []byte {
	s := g.get(nil)
	defer g.put(s)
	// Writing into a gzipState without out cannot fail.
	_, _ = s.zw.Write(body)
	_ = s.zw.Close()
	if len(s.buf) > len(body) {
		return nil
	}
	return append([]byte(nil), s.buf...)
}

// errGZipStreamDone is what a write to a compressing writer gets after its
// stream's producer returned.
var errGZipStreamDone = errors.New("middleware.GZip: write after the stream's producer returned")

// wrap returns a producer that runs inner with a writer that compresses.
// The gzip writer comes from the pool when the producer runs (never for
// HEAD, whose body is not sent) and goes back when inner returns, with or
// without an error; the writer inner got no longer reaches it then. After
// a panic it is not reused.
func (g *gzipLayer) wrap(inner manouche.StreamFunc) manouche.StreamFunc {
	return func(ctx context.Context, w io.Writer) error {
		s := g.get(w)
		zw := &gzipStreamWriter{s: s, w: w}
		returned := false
		defer func() {
			if !returned { // a panic: the state may be half-way through a write
				zw.mu.Lock()
				zw.s = nil
				zw.mu.Unlock()
			}
		}()
		err := inner(ctx, zw)
		returned = true
		zw.mu.Lock()
		zw.s = nil
		if err == nil {
			// The gzip trailer; an error here (the client went away) also
			// truncates the body.
			if err = s.zw.Close(); err == nil {
				err = s.pass()
			}
		}
		zw.mu.Unlock()
		g.put(s)
		return err
	}
}

// gzipStreamWriter is the writer a compressed stream's producer gets. Each
// Write is compressed, flushed through the gzip writer and passed on to
// the handler's writer in one write, which sends it to the client. It has
// the handler writer's Flush, FlushError and SetWriteDeadline, so a
// producer reaches them through interface assertions as it would without
// compression. It is safe for concurrent use.
type gzipStreamWriter struct {
	mu sync.Mutex
	s  *gzipState // nil once the producer returned
	w  io.Writer  // the handler's writer
}

// Write compresses p and sends it on.
func (z *gzipStreamWriter) Write(p []byte) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.s == nil {
		return 0, errGZipStreamDone
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := z.s.zw.Write(p)
	if err != nil {
		return n, err
	}
	if err := z.s.zw.Flush(); err != nil {
		return n, err
	}
	return n, z.s.pass()
}

// FlushError sends what was written so far and flushes the handler's
// writer. Every Write already flushed the gzip writer, so nothing
// compressed is held back.
func (z *gzipStreamWriter) FlushError() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.s == nil {
		return errGZipStreamDone
	}
	if err := z.s.pass(); err != nil {
		return err
	}
	switch f := z.w.(type) {
	case interface{ FlushError() error }:
		return f.FlushError()
	case http.Flusher:
		f.Flush()
	}
	return nil
}

// Flush is FlushError without its error.
func (z *gzipStreamWriter) Flush() { _ = z.FlushError() }

// SetWriteDeadline sets the handler writer's write deadline; it returns
// http.ErrNotSupported when that writer cannot.
func (z *gzipStreamWriter) SetWriteDeadline(t time.Time) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.s == nil {
		// The response is over: its connection may serve another now.
		return errGZipStreamDone
	}
	if d, ok := z.w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		return d.SetWriteDeadline(t)
	}
	return http.ErrNotSupported
}

// gzipAccepted reports whether an Accept-Encoding value matches Django's
// re_accepts_gzip, `\bgzip\b`: "gzip" not inside a longer word,
// case-sensitive, whatever its q-value.
func gzipAccepted(values []string) bool {
	for _, v := range values {
		for i := 0; ; {
			j := strings.Index(v[i:], "gzip")
			if j < 0 {
				break
			}
			j += i
			if (j == 0 || !gzipWordByte(v[j-1])) && (j+4 == len(v) || !gzipWordByte(v[j+4])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

// gzipWordByte reports whether c is a word character of Python's `\w` for
// a header byte, which WSGI decodes as Latin-1: ASCII letters, digits and
// "_", and the Latin-1 letters and digits (ª ² ³ µ ¹ º ¼ ½ ¾ À–ÿ but × ÷).
func gzipWordByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		return true
	case c < 0xAA:
		return false
	case c >= 0xC0:
		return c != 0xD7 && c != 0xF7
	}
	switch c {
	case 0xAA, 0xB2, 0xB3, 0xB5, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE:
		return true
	}
	return false
}

// patchVaryHeaders adds names to the Vary header of resp, Django's
// patch_vary_headers: a name already listed (compared case-insensitively)
// is not added again, and when "*" is listed, or added, Vary is "*" alone.
// Vary becomes one comma-separated value ("Cookie, Accept-Encoding"), the
// existing names first; several Vary lines are merged into it. It does
// not allocate when every name is already listed.
func patchVaryHeaders(resp *manouche.Response, names ...string) {
	old := resp.HeaderValues("Vary")
	missing, star := 0, gzipVaryListed(old, "*")
	for i, name := range names {
		if gzipVaryMissing(old, names, i) {
			missing++
			star = star || name == "*"
		}
	}
	switch {
	case star:
		if !(len(old) == 1 && old[0] == "*") {
			resp.SetHeader("Vary", "*")
		}
		return
	case missing == 0:
		return
	case len(old) == 0 && len(names) == 1:
		resp.SetHeader("Vary", names[0])
		return
	}
	var b strings.Builder
	for _, v := range old {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(part)
			}
		}
	}
	for i, name := range names {
		if gzipVaryMissing(old, names, i) {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name)
		}
	}
	resp.SetHeader("Vary", b.String())
}

// gzipVaryMissing reports whether names[i] is to be added: listed neither in
// the Vary values nor earlier in names.
func gzipVaryMissing(old, names []string, i int) bool {
	if gzipVaryListed(old, names[i]) {
		return false
	}
	for _, n := range names[:i] {
		if strings.EqualFold(n, names[i]) {
			return false
		}
	}
	return true
}

// gzipVaryListed reports whether name is one of the comma-separated names of
// the Vary values, ignoring case.
func gzipVaryListed(values []string, name string) bool {
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(part), name) {
				return true
			}
		}
	}
	return false
}
