package response

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/manouche/manouche"
)

// FileOption configures File.
type FileOption func(*fileOptions)

type fileOptions struct {
	size         int64 // -1: unknown
	contentType  string
	lastModified time.Time
	etag         string
	disposition  string // "", "inline", "attachment"
	filename     string
}

// Size gives the content's size in bytes, from f's current position to
// its end; without it File asks f (Stat, then Seek).
func Size(n int64) FileOption { return func(o *fileOptions) { o.size = n } }

// ContentType sets the Content-Type; without it, it is guessed from the
// file name.
func ContentType(ct string) FileOption { return func(o *fileOptions) { o.contentType = ct } }

// LastModified sets the Last-Modified header, which an If-Range date is
// compared with.
func LastModified(t time.Time) FileOption { return func(o *fileOptions) { o.lastModified = t } }

// ETag sets the ETag header, quoted as it is sent (`"abc"` or `W/"abc"`);
// an If-Range entity tag is compared with it.
func ETag(tag string) FileOption { return func(o *fileOptions) { o.etag = tag } }

// Attachment makes the browser save the content (Django's
// as_attachment=True): "Content-Disposition: attachment", with
// filename when it is not empty.
func Attachment(filename string) FileOption {
	return func(o *fileOptions) { o.disposition, o.filename = "attachment", filename }
}

// Inline names the content for a browser that shows it:
// "Content-Disposition: inline; filename=…".
func Inline(filename string) FileOption {
	return func(o *fileOptions) { o.disposition, o.filename = "inline", filename }
}

// maxRanges bounds the ranges of a multipart/byteranges answer; a request
// for more, or for overlapping ranges that add up to more than the file,
// gets the whole file instead (RFC 9110 §14.2 allows it; it defeats
// ranges used to amplify work).
const maxRanges = 16

// File returns a response that sends f, Django's FileResponse with byte
// ranges added (Django has none; WhiteNoise's rules are followed):
//
//   - Content-Length is the bytes from f's current position to its end,
//     and Accept-Ranges is "bytes". When the size cannot be known (f
//     cannot Stat or Seek) both are left out and Range is ignored.
//   - Content-Type is the ContentType option, else guessed from the file
//     name (Attachment or Inline, else f's Name or Stat): a compressed
//     ".gz", ".br", ".bz2", ".xz" or ".Z" file is application/gzip,
//     application/x-brotli, … with no Content-Encoding (SEMANTICS 54); a
//     nameless one is application/octet-stream.
//   - Content-Disposition as Django's content_disposition_header: the
//     name quoted with \ and " escaped, or as an RFC 5987 filename* (UTF-8, percent-encoded) when it
//     is not ASCII; a bare "attachment" without a name.
//   - For GET and HEAD a Range header is honoured: one satisfiable range
//     gives 206 with Content-Range; several give 206 multipart/byteranges
//     (more than 16, or overlapping ones adding up to more than the file,
//     give the whole file); none satisfiable gives 416 with
//     "Content-Range: bytes */size"; a malformed header is ignored. An
//     If-Range that does not match the ETag (strongly) or the
//     Last-Modified date (exactly) gives the whole file.
//
// The response is of the Streaming kind: the handler sends the body after
// every middleware has run, and sends none for HEAD. If f is an
// io.Closer it is closed when the response is closed, exactly once,
// however the request ends: written, replaced by middleware, failed, or
// abandoned by the client.
func File(r *manouche.Request, f io.ReadSeeker, opts ...FileOption) *manouche.Response {
	o := fileOptions{size: -1}
	for _, opt := range opts {
		opt(&o)
	}
	start, size := contentSize(f, o.size)
	name := o.filename
	if name == "" {
		name = fileName(f)
	}
	ct := o.contentType
	if ct == "" {
		ct = guessType(name)
	}

	resp := manouche.NewStreamingResponse(http.StatusOK, nil, ct)
	if c, ok := f.(io.Closer); ok {
		resp.AddCloser(c)
	}
	if !o.lastModified.IsZero() {
		resp.SetHeader("Last-Modified", o.lastModified.UTC().Format(http.TimeFormat))
	}
	if o.etag != "" {
		resp.SetHeader("Etag", o.etag)
	}
	if o.disposition != "" {
		resp.SetHeader("Content-Disposition", contentDisposition(o.disposition, o.filename))
	}
	if size < 0 {
		resp.SetStream(func(ctx context.Context, w io.Writer) error {
			_, err := copyCtx(ctx, w, f)
			return err
		})
		return resp
	}
	resp.SetHeader("Accept-Ranges", "bytes")

	var ranges []manouche.ByteRange
	if hdr := r.Header().Get("Range"); hdr != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && ifRange(r, &o) {
		var err error
		ranges, err = manouche.ParseRange(hdr, size)
		switch {
		case errors.Is(err, manouche.ErrRangeUnsatisfiable):
			resp.StatusCode = http.StatusRequestedRangeNotSatisfiable
			resp.SetHeader("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			resp.SetHeader("Content-Length", "0")
			resp.DelHeader("Content-Type")
			resp.SetStream(nil)
			return resp
		case err != nil || !reasonable(ranges, size):
			ranges = nil
		}
	}

	switch len(ranges) {
	case 0:
		resp.SetHeader("Content-Length", strconv.FormatInt(size, 10))
		resp.SetStream(section(f, start, size))
	case 1:
		br := ranges[0]
		resp.StatusCode = http.StatusPartialContent
		resp.SetHeader("Content-Range", br.ContentRange(size))
		resp.SetHeader("Content-Length", strconv.FormatInt(br.Length, 10))
		resp.SetStream(section(f, start+br.Start, br.Length))
	default:
		boundary := newBoundary()
		parts, total := multipartHeads(ranges, size, ct, boundary)
		resp.StatusCode = http.StatusPartialContent
		resp.SetHeader("Content-Type", "multipart/byteranges; boundary="+boundary)
		resp.SetHeader("Content-Length", strconv.FormatInt(total, 10))
		resp.SetStream(func(ctx context.Context, w io.Writer) error {
			for i, br := range ranges {
				if _, err := io.WriteString(w, parts[i]); err != nil {
					return err
				}
				if err := section(f, start+br.Start, br.Length)(ctx, w); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, "\r\n--"+boundary+"--\r\n")
			return err
		})
	}
	return resp
}

// contentSize returns f's current position and the bytes from it to the
// end (the size option when given); size is -1 when it cannot be known.
func contentSize(f io.ReadSeeker, given int64) (start, size int64) {
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, -1
	}
	if given >= 0 {
		return pos, given
	}
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			return pos, max(fi.Size()-pos, 0)
		}
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return pos, -1
	}
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		return pos, -1
	}
	return pos, max(end-pos, 0)
}

// fileName returns f's base name, if it has one.
func fileName(f io.ReadSeeker) string {
	if n, ok := f.(interface{ Name() string }); ok {
		return path.Base(strings.ReplaceAll(n.Name(), "\\", "/"))
	}
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			return fi.Name()
		}
	}
	return ""
}

// compressedTypes are Django's types for compressed files, which are sent
// as they are, without Content-Encoding.
var compressedTypes = map[string]string{
	".gz":  "application/gzip",
	".br":  "application/x-brotli",
	".bz2": "application/x-bzip",
	".xz":  "application/x-xz",
	".Z":   "application/x-compress",
}

func guessType(name string) string {
	ext := path.Ext(name)
	if ct, ok := compressedTypes[ext]; ok {
		return ct
	}
	if ext != "" {
		if ct := mime.TypeByExtension(ext); ct != "" {
			return ct
		}
	}
	return "application/octet-stream"
}

// contentDisposition is Django's content_disposition_header.
func contentDisposition(disposition, filename string) string {
	if filename == "" {
		if disposition == "attachment" {
			return "attachment"
		}
		return "inline"
	}
	ascii := true
	for i := 0; i < len(filename); i++ {
		if filename[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filename)
		return disposition + `; filename="` + quoted + `"`
	}
	return disposition + "; filename*=utf-8''" + strings.ReplaceAll(url.PathEscape(filename), "+", "%2B")
}

// ifRange reports whether the ranges apply: no If-Range, or one that
// matches the ETag strongly or the Last-Modified date exactly.
func ifRange(r *manouche.Request, o *fileOptions) bool {
	ir := strings.TrimSpace(r.Header().Get("If-Range"))
	if ir == "" {
		return true
	}
	if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
		return o.etag != "" && !strings.HasPrefix(o.etag, "W/") && ir == o.etag
	}
	t, err := http.ParseTime(ir)
	return err == nil && !o.lastModified.IsZero() && t.Equal(o.lastModified.UTC().Truncate(time.Second))
}

// reasonable reports whether several ranges are worth a multipart answer:
// at most maxRanges, adding up to no more than the file.
func reasonable(ranges []manouche.ByteRange, size int64) bool {
	if len(ranges) <= 1 {
		return true
	}
	if len(ranges) > maxRanges {
		return false
	}
	var sum int64
	for _, br := range ranges {
		sum += br.Length
	}
	return sum <= size
}

func newBoundary() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// multipartHeads returns the head of each part and the exact length of the
// whole multipart/byteranges body.
func multipartHeads(ranges []manouche.ByteRange, size int64, ct, boundary string) ([]string, int64) {
	heads := make([]string, len(ranges))
	var total int64
	for i, br := range ranges {
		heads[i] = fmt.Sprintf("\r\n--%s\r\nContent-Type: %s\r\nContent-Range: %s\r\n\r\n", boundary, ct, br.ContentRange(size))
		total += int64(len(heads[i])) + br.Length
	}
	total += int64(len("\r\n--" + boundary + "--\r\n"))
	return heads, total
}

// section returns a producer that sends n bytes of f from offset off.
func section(f io.ReadSeeker, off, n int64) manouche.StreamFunc {
	return func(ctx context.Context, w io.Writer) error {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("response: file seek: %w", err)
		}
		m, err := copyCtx(ctx, w, io.LimitReader(f, n))
		if err == nil && m < n {
			err = fmt.Errorf("response: file ended after %d of %d bytes: %w", m, n, io.ErrUnexpectedEOF)
		}
		return err
	}
}

// bufPool holds the copy buffers of file responses.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyCtx copies src to dst until EOF, an error, or ctx's end.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
