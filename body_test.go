package manouche_test

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/manouche/manouche"
)

const (
	prTooBig        = "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
	prTooManyFields = "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
	prTooManyFiles  = "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES."
	prMultipartCT   = "multipart/form-data; boundary=boundary"
)

// prJoin joins lines with CRLF, as Django's tests build payloads.
func prJoin(lines ...string) string { return strings.Join(lines, "\r\n") }

// prWantSuspicious checks err is the SuspiciousOperation kind with
// Django's message, mapped to 400.
func prWantSuspicious(t *testing.T, err error, kind, msg string) {
	t.Helper()
	var so *manouche.SuspiciousOperation
	if !errors.As(err, &so) || so.Kind != kind || so.Message != msg {
		t.Fatalf("got %v (%T), want %s %q", err, err, kind, msg)
	}
	if manouche.StatusFor(err) != 400 {
		t.Fatalf("status %d, want 400", manouche.StatusFor(err))
	}
}

// prWantMultipartError checks err is a MultiPartParserError (400) whose
// message starts with prefix, and that POST and FILES are empty after it.
func prWantMultipartError(t *testing.T, r *manouche.Request, err error, prefix string) {
	t.Helper()
	var mpe *manouche.MultiPartParserError
	if !errors.As(err, &mpe) || !strings.HasPrefix(mpe.Message, prefix) {
		t.Fatalf("got %v (%T), want MultiPartParserError %q…", err, err, prefix)
	}
	if manouche.StatusFor(err) != 400 {
		t.Fatalf("status %d, want 400", manouche.StatusFor(err))
	}
	prWantEmptyPost(t, r)
}

// prWantEmptyPost checks POST and FILES read as empty (SEMANTICS 93).
func prWantEmptyPost(t *testing.T, r *manouche.Request) {
	t.Helper()
	post, _ := r.POST()
	files, _ := r.FILES()
	if post == nil || files == nil || post.Len() != 0 || files.Len() != 0 {
		t.Fatalf("POST %v, FILES %v; want both empty", post, files)
	}
}

// prNoReadBody fails the test if it is read.
type prNoReadBody struct{ t *testing.T }

func (b prNoReadBody) Read([]byte) (int, error) {
	b.t.Error("the body was read")
	return 0, io.EOF
}

func TestBodyContentLengthLimit(t *testing.T) {
	// SEMANTICS 100: Content-Length over DATA_UPLOAD_MAX_MEMORY_SIZE is
	// refused before reading (DataUploadMaxMemorySizeGetTests).
	for _, tc := range []struct {
		limit   int64
		wantErr bool
	}{{2, true}, {3, false}, {-1, false}} {
		r := prRequest(t, "GET", "/", strings.NewReader("abc"), "", &manouche.Settings{DataUploadMaxMemorySize: tc.limit})
		if tc.wantErr {
			r.HTTP().Body = io.NopCloser(prNoReadBody{t})
		}
		body, err := r.Body()
		if tc.wantErr {
			prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
			continue
		}
		if err != nil || string(body) != "abc" {
			t.Errorf("limit %d: %q %v", tc.limit, body, err)
		}
	}
	// The default limit is 2.5 MiB.
	r := prRequest(t, "POST", "/", nil, "", nil)
	r.HTTP().ContentLength = 2621441
	r.HTTP().Body = io.NopCloser(prNoReadBody{t})
	_, err := r.Body()
	prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
}

func TestBodyChunked(t *testing.T) {
	// SEMANTICS 5, 100 (deviation): a body without Content-Length is read,
	// up to the limit.
	for _, tc := range []struct {
		body    string
		limit   int64
		wantErr bool
	}{{"abc", 3, false}, {"abcd", 3, true}, {"abcd", -1, false}, {"", 0, false}} {
		r := prRequest(t, "POST", "/", io.NopCloser(strings.NewReader(tc.body)), "", &manouche.Settings{DataUploadMaxMemorySize: tc.limit})
		if r.HTTP().ContentLength != -1 {
			t.Fatalf("ContentLength %d", r.HTTP().ContentLength)
		}
		body, err := r.Body()
		if tc.wantErr {
			prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
			continue
		}
		if err != nil || string(body) != tc.body {
			t.Errorf("%q: %q %v", tc.body, body, err)
		}
	}
}

func TestBodyUnreadable(t *testing.T) {
	// SEMANTICS 104: a read error mid-body is UnreadablePostError → 500
	// (test_POST_connection_error).
	kaboom := errors.New("kaboom!")
	r := prRequest(t, "POST", "/", nil, "application/x-www-form-urlencoded", nil)
	r.HTTP().Body = io.NopCloser(io.MultiReader(strings.NewReader("name=va"), iotest.ErrReader(kaboom)))
	r.HTTP().ContentLength = 10
	_, err := r.Body()
	var upe *manouche.UnreadablePostError
	if !errors.As(err, &upe) || !errors.Is(err, kaboom) || manouche.StatusFor(err) != 500 {
		t.Fatalf("got %v (%T)", err, err)
	}
	// POST after that is silently empty, as in Django (the stream was
	// read and there is no body).
	if post, err := r.POST(); err != nil || post.Len() != 0 {
		t.Fatalf("POST: %v %v", post, err)
	}

	// An http.MaxBytesReader cut is RequestDataTooBig.
	r = prRequest(t, "POST", "/", nil, "", &manouche.Settings{DataUploadMaxMemorySize: -1})
	r.HTTP().Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("0123456789")), 4)
	_, err = r.Body()
	prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
}

func TestBodyStreamRules(t *testing.T) {
	// SEMANTICS 104: read() then body fails; body then read() reads the copy;
	// read() then POST is silently empty.
	r := prRequest(t, "POST", "/", strings.NewReader("a=1&b=2"), "application/x-www-form-urlencoded", nil)
	p := make([]byte, 2)
	if n, err := r.Read(p); n != 2 || err != nil {
		t.Fatalf("Read: %d %v", n, err)
	}
	if _, err := r.Body(); !errors.Is(err, manouche.ErrBodyAfterRead) {
		t.Fatalf("Body after Read: %v", err)
	}
	if err := manouche.ErrBodyAfterRead; err.Error() != "You cannot access body after reading from request's data stream" || manouche.StatusFor(err) != 500 {
		t.Fatal("ErrBodyAfterRead message or status")
	}
	post, err := r.POST()
	if err != nil || post.Len() != 0 {
		t.Fatalf("POST after Read: %v %v", post, err)
	}

	r = prRequest(t, "POST", "/", strings.NewReader("a=1&b=2"), "application/x-www-form-urlencoded", nil)
	if body, err := r.Body(); err != nil || string(body) != "a=1&b=2" {
		t.Fatalf("Body: %q %v", body, err)
	}
	post, err = r.POST()
	if err != nil || post.Get("a") != "1" || post.Get("b") != "2" {
		t.Fatalf("POST after Body: %v %v", post, err)
	}
	if all, err := io.ReadAll(r); err != nil || string(all) != "a=1&b=2" {
		t.Fatalf("Read after Body: %q %v", all, err)
	}
}

func TestPostUrlencoded(t *testing.T) {
	// SEMANTICS 100, 101: DataUploadMaxMemorySizeFormPostTests and
	// DataUploadMaxNumberOfFieldsFormPost.
	const payload = "a=1&a=2&a=3\r\n"
	for _, tc := range []struct {
		s       manouche.Settings
		kind    string
		message string
	}{
		{manouche.Settings{DataUploadMaxMemorySize: 12}, "RequestDataTooBig", prTooBig},
		{manouche.Settings{DataUploadMaxMemorySize: 13}, "", ""},
		{manouche.Settings{DataUploadMaxMemorySize: -1}, "", ""},
		{manouche.Settings{DataUploadMaxNumberFields: 2}, "TooManyFieldsSent", prTooManyFields},
		{manouche.Settings{DataUploadMaxNumberFields: 3}, "", ""},
		{manouche.Settings{DataUploadMaxNumberFields: -1}, "", ""},
	} {
		s := tc.s
		r := prRequest(t, "POST", "/", strings.NewReader(payload), "application/x-www-form-urlencoded", &s)
		post, err := r.POST()
		if tc.kind != "" {
			prWantSuspicious(t, err, tc.kind, tc.message)
			prWantEmptyPost(t, r)
			continue
		}
		if err != nil || !reflect.DeepEqual(post.GetList("a"), []string{"1", "2", "3\r\n"}) {
			t.Errorf("%+v: %q %v", tc.s, post.GetList("a"), err)
		}
		if files, err := r.FILES(); err != nil || files.Len() != 0 {
			t.Errorf("FILES %v %v", files, err)
		}
	}
}

func TestPostContentTypes(t *testing.T) {
	// SEMANTICS 102: only POST, only the two form types; charset must be
	// UTF-8.
	for _, tc := range []struct {
		method, ctype string
		want          string // value of a, "" for an empty POST
		badCharset    bool
	}{
		{"POST", "application/x-www-form-urlencoded", "1", false},
		{"POST", "Application/X-WWW-Form-Urlencoded ; charset=UTF-8", "1", false},
		{"POST", "application/x-www-form-urlencoded; charset=utf-8", "1", false},
		{"POST", "application/x-www-form-urlencoded; charset=latin-1", "", true},
		{"POST", "application/x-www-form-urlencoded; charset=utf8", "", true},
		{"POST", "application/x-www-form-urlencoded; charset=", "1", false},
		{"PUT", "application/x-www-form-urlencoded", "", false},
		{"PATCH", "application/x-www-form-urlencoded", "", false},
		{"GET", "application/x-www-form-urlencoded", "", false},
		{"POST", "text/plain", "", false},
		{"POST", "application/json", "", false},
		{"POST", "", "", false},
		{"POST", "application/x-www-form-urlencodedx", "", false},
	} {
		r := prRequest(t, tc.method, "/", strings.NewReader("a=1"), tc.ctype, nil)
		post, err := r.POST()
		if tc.badCharset {
			var br *manouche.BadRequest
			if !errors.As(err, &br) || br.Message != "HTTP requests with the 'application/x-www-form-urlencoded' content type must be UTF-8 encoded." || manouche.StatusFor(err) != 400 {
				t.Errorf("%s %q: %v", tc.method, tc.ctype, err)
			}
			prWantEmptyPost(t, r)
			continue
		}
		if err != nil || post.Get("a") != tc.want || (tc.want == "" && post.Len() != 0) {
			t.Errorf("%s %q: POST %v, %v", tc.method, tc.ctype, prPairs(post), err)
		}
		if tc.want == "" {
			// The body is left raw, still readable.
			if body, err := r.Body(); err != nil || string(body) != "a=1" {
				t.Errorf("%s %q: Body %q %v", tc.method, tc.ctype, body, err)
			}
		}
	}
}

func TestMultipartFieldsAndFiles(t *testing.T) {
	// SEMANTICS 100–103: a multipart form with fields and files.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("name", "value")
	_ = w.WriteField("name", "café")
	_ = w.WriteField("other", "")
	fw, _ := w.CreateFormFile("doc", "report.txt")
	_, _ = fw.Write([]byte("hello"))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="doc"; filename="../../etc/passwd"`)
	h.Set("Content-Type", "Text/Plain; charset=utf-8")
	pw, _ := w.CreatePart(h)
	_, _ = pw.Write([]byte("second"))
	_ = w.Close()

	r := prRequest(t, "POST", "/", &buf, w.FormDataContentType(), nil)
	post, err := r.POST()
	if err != nil {
		t.Fatal(err)
	}
	if got := prPairs(post); !reflect.DeepEqual(got, []prPair{{"name", "value"}, {"name", "café"}, {"other", ""}}) {
		t.Errorf("POST %q", got)
	}
	files, err := r.FILES()
	if err != nil {
		t.Fatal(err)
	}
	if files.Len() != 1 || !reflect.DeepEqual(files.Keys(), []string{"doc"}) {
		t.Fatalf("FILES keys %q", files.Keys())
	}
	list := files.GetList("doc")
	if len(list) != 2 || files.Get("doc") != list[1] {
		t.Fatalf("GetList %v", list)
	}
	for i, want := range []struct{ name, ctype, content string }{
		{"report.txt", "application/octet-stream", "hello"},
		{"passwd", "text/plain", "second"},
	} {
		f := list[i]
		if f.Name != want.name || f.ContentType != want.ctype || f.Size != int64(len(want.content)) {
			t.Errorf("file %d: %+v", i, f)
		}
		if f.Header.Get("Content-Disposition") == "" {
			t.Errorf("file %d: no header", i)
		}
		if got := prReadUpload(t, f); got != want.content {
			t.Errorf("file %d: content %q", i, got)
		}
	}
	if files.Get("missing") != nil || files.GetList("missing") != nil {
		t.Error("missing key")
	}
	var nilFiles *manouche.Files
	if nilFiles.Get("a") != nil || nilFiles.GetList("a") != nil || nilFiles.Keys() != nil || nilFiles.Len() != 0 {
		t.Error("nil Files")
	}
	// SEMANTICS 104: the stream was read by the parser, so body is gone.
	if _, err := r.Body(); !errors.Is(err, manouche.ErrBodyAfterRead) {
		t.Errorf("Body after multipart POST: %v", err)
	}
}

func prReadUpload(t *testing.T, f *manouche.UploadedFile) string {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if _, err := rc.Seek(0, io.SeekStart); err != nil {
		t.Fatalf("seek: %v", err)
	}
	return string(b)
}

func TestMultipartAfterBody(t *testing.T) {
	// SEMANTICS 104: once body was read, POST parses the buffered copy.
	payload := prJoin("--boundary", `Content-Disposition: form-data; name="name"`, "", "value", "--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT, nil)
	if body, err := r.Body(); err != nil || string(body) != payload {
		t.Fatalf("Body: %v", err)
	}
	post, err := r.POST()
	if err != nil || post.Get("name") != "value" {
		t.Fatalf("POST: %v %v", prPairs(post), err)
	}

	// A body refused for its size before reading leaves the stream for the
	// multipart parser, as in Django.
	r = prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT, &manouche.Settings{DataUploadMaxMemorySize: 20})
	if _, err := r.Body(); !errors.Is(err, manouche.ErrRequestDataTooBig) {
		t.Fatalf("Body: %v", err)
	}
	post, err = r.POST()
	if err != nil || post.Get("name") != "value" {
		t.Fatalf("POST: %v %v", prPairs(post), err)
	}
}

func TestMultipartMemoryLimit(t *testing.T) {
	// SEMANTICS 100: DataUploadMaxMemorySizeMultipartPostTests: only field
	// bytes count, plus the name and 2.
	field := prJoin("--boundary", `Content-Disposition: form-data; name="name"`, "", "value", "--boundary--")
	for _, tc := range []struct {
		limit   int64
		wantErr bool
	}{{10, true}, {11, false}, {-1, false}} {
		r := prRequest(t, "POST", "/", strings.NewReader(field), prMultipartCT, &manouche.Settings{DataUploadMaxMemorySize: tc.limit})
		post, err := r.POST()
		if tc.wantErr {
			prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
			prWantEmptyPost(t, r)
			continue
		}
		if err != nil || post.Get("name") != "value" {
			t.Errorf("limit %d: %v %v", tc.limit, prPairs(post), err)
		}
	}
	// test_file_passes: files do not count.
	file := prJoin("--boundary", `Content-Disposition: form-data; name="file1"; filename="test.file"`, "", "value", "--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(file), prMultipartCT, &manouche.Settings{DataUploadMaxMemorySize: 1})
	files, err := r.FILES()
	if err != nil || files.Get("file1") == nil {
		t.Fatalf("file1: %v %v", files, err)
	}
	// A big field is cut off at the limit, not read whole.
	big := prJoin("--boundary", `Content-Disposition: form-data; name="f"`, "", prRepeat("x", 1<<20), "--boundary--")
	r = prRequest(t, "POST", "/", strings.NewReader(big), prMultipartCT, &manouche.Settings{DataUploadMaxMemorySize: 1000})
	_, err = r.POST()
	prWantSuspicious(t, err, "RequestDataTooBig", prTooBig)
}

func TestMultipartCounts(t *testing.T) {
	// SEMANTICS 101: DataUploadMaxNumberOfFieldsMultipartPost and
	// DataUploadMaxNumberOfFilesMultipartPost.
	fields := prJoin("--boundary", `Content-Disposition: form-data; name="name1"`, "", "value1",
		"--boundary", `Content-Disposition: form-data; name="name2"`, "", "value2", "--boundary--")
	files := prJoin("--boundary", `Content-Disposition: form-data; name="name1"; filename="name1.txt"`, "", "value1",
		"--boundary", `Content-Disposition: form-data; name="name2"; filename="name2.txt"`, "", "value2", "--boundary--")
	for _, tc := range []struct {
		payload string
		s       manouche.Settings
		kind    string
		message string
	}{
		{fields, manouche.Settings{DataUploadMaxNumberFields: 1}, "TooManyFieldsSent", prTooManyFields},
		{fields, manouche.Settings{DataUploadMaxNumberFields: 2}, "", ""},
		{fields, manouche.Settings{DataUploadMaxNumberFields: -1}, "", ""},
		{files, manouche.Settings{DataUploadMaxNumberFiles: 1}, "TooManyFilesSent", prTooManyFiles},
		{files, manouche.Settings{DataUploadMaxNumberFiles: 2}, "", ""},
		{files, manouche.Settings{DataUploadMaxNumberFiles: -1}, "", ""},
		// Files do not count as fields.
		{files, manouche.Settings{DataUploadMaxNumberFields: 1}, "", ""},
	} {
		s := tc.s
		r := prRequest(t, "POST", "/", strings.NewReader(tc.payload), prMultipartCT, &s)
		post, err := r.POST()
		if tc.kind != "" {
			prWantSuspicious(t, err, tc.kind, tc.message)
			prWantEmptyPost(t, r)
			continue
		}
		files, _ := r.FILES()
		if err != nil || post.Len()+files.Len() != 2 {
			t.Errorf("%+v: %v %v %v", tc.s, prPairs(post), files.Keys(), err)
		}
	}
	// Parts without a Content-Disposition, or without a name, count as
	// fields but are skipped.
	odd := prJoin("--boundary", "X-Other: 1", "", "raw",
		"--boundary", `Content-Disposition: form-data; filename=""`, "", "noname",
		"--boundary", `Content-Disposition: form-data; name="a"`, "", "1", "--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(odd), prMultipartCT, &manouche.Settings{DataUploadMaxNumberFields: 3})
	if post, err := r.POST(); err != nil || !reflect.DeepEqual(prPairs(post), []prPair{{"a", "1"}}) {
		t.Errorf("odd parts: %v %v", prPairs(post), err)
	}
	r = prRequest(t, "POST", "/", strings.NewReader(odd), prMultipartCT, &manouche.Settings{DataUploadMaxNumberFields: 2})
	_, err := r.POST()
	prWantSuspicious(t, err, "TooManyFieldsSent", prTooManyFields)
}

func TestMultipartBadInput(t *testing.T) {
	// SEMANTICS 103: bad multipart → MultiPartParserError → 400, POST and
	// FILES empty.
	good := prJoin("--boundary", `Content-Disposition: form-data; name="a"`, "", "1", "--boundary--")
	for _, tc := range []struct {
		name, ctype, body, prefix string
	}{
		{"bad boundary", "multipart/form-data; boundary=WRONG\x07", good, "Invalid boundary in multipart: WRONG\x07"},
		{"no boundary", "multipart/form-data", good, "Invalid boundary in multipart: None"},
		{"empty boundary", "multipart/form-data; boundary=", good, "Invalid boundary in multipart: "},
		{"long boundary", "multipart/form-data; boundary=" + prRepeat("b", 202), good, "Invalid boundary in multipart: "},
		{"space last", `multipart/form-data; boundary="b "`, good, "Invalid boundary in multipart: b "},
		{"non-ascii content type", "multipart/form-data; boundary=boundary; x=\xe9", good, "Invalid non-ASCII Content-Type in multipart: multipart/form-data; boundary=boundary; x=é"},
		{"no final boundary", prMultipartCT, prJoin("--boundary", `Content-Disposition: form-data; name="a"`, "", "1"), "Malformed multipart body: "},
		{"garbage", prMultipartCT, "this is not multipart", "Malformed multipart body: "},
		{"bad header line", prMultipartCT, prJoin("--boundary", "no colon here", "", "1", "--boundary--"), "Malformed multipart body: "},
		{"bad base64 file", prMultipartCT, prJoin("--boundary", `Content-Disposition: form-data; name="f"; filename="f.bin"`,
			"Content-Transfer-Encoding: base64", "", "!!!!", "--boundary--"), "Could not decode base64 data."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := prRequest(t, "POST", "/", strings.NewReader(tc.body), tc.ctype, nil)
			_, err := r.POST()
			prWantMultipartError(t, r, err, tc.prefix)
			if _, err2 := r.FILES(); err2 != err {
				t.Errorf("FILES error %v, want the same as POST", err2)
			}
		})
	}
}

func TestMultipartHeaderTooLarge(t *testing.T) {
	// SEMANTICS 103: test_multipart_with_header_fields_too_large (Go's
	// limit is net/textproto's, 10 MiB per part).
	payload := prJoin("--boundary", `Content-Disposition: form-data; name="name"`,
		"X-Long-Header: "+prRepeat("-", 10<<20+1), "", "value", "--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT, nil)
	_, err := r.POST()
	prWantMultipartError(t, r, err, "Request max total header size exceeded.")
}

func TestMultipartClientGone(t *testing.T) {
	// SEMANTICS 104: the client vanishing mid-body is UnreadablePostError
	// (500), not the body's fault.
	gone := errors.New("connection reset by peer")
	start := prJoin("--boundary", `Content-Disposition: form-data; name="f"; filename="f.bin"`, "", "partial data")
	r := prRequest(t, "POST", "/", nil, prMultipartCT, nil)
	r.HTTP().Body = io.NopCloser(io.MultiReader(strings.NewReader(start), iotest.ErrReader(gone)))
	r.HTTP().ContentLength = 1000
	_, err := r.POST()
	var upe *manouche.UnreadablePostError
	if !errors.As(err, &upe) || !errors.Is(err, gone) || manouche.StatusFor(err) != 500 {
		t.Fatalf("got %v (%T)", err, err)
	}
	prWantEmptyPost(t, r)
}

func TestMultipartEmptyAndOtherMethods(t *testing.T) {
	// SEMANTICS 102: no body → empty; PUT multipart → empty, body raw.
	r := prRequest(t, "POST", "/", strings.NewReader(""), prMultipartCT, nil)
	if post, err := r.POST(); err != nil || post.Len() != 0 {
		t.Fatalf("empty: %v %v", post, err)
	}
	payload := prJoin("--boundary", `Content-Disposition: form-data; name="a"`, "", "1", "--boundary--")
	r = prRequest(t, "PUT", "/", strings.NewReader(payload), prMultipartCT, nil)
	if post, err := r.POST(); err != nil || post.Len() != 0 {
		t.Fatalf("PUT: %v %v", post, err)
	}
	if body, err := r.Body(); err != nil || string(body) != payload {
		t.Fatalf("PUT body: %v", err)
	}
	// Chunked (no Content-Length): parsed (a deviation: Django's WSGI
	// reads nothing).
	r = prRequest(t, "POST", "/", io.NopCloser(strings.NewReader(payload)), prMultipartCT, nil)
	if post, err := r.POST(); err != nil || post.Get("a") != "1" {
		t.Fatalf("chunked: %v %v", prPairs(post), err)
	}
}

func TestMultipartSpooledTempFile(t *testing.T) {
	// SEMANTICS 10: a file over FILE_UPLOAD_MAX_MEMORY_SIZE goes to a
	// temporary file, removed when the request is closed.
	dir := t.TempDir()
	big := prRepeat("0123456789", 10)
	payload := prJoin("--boundary",
		`Content-Disposition: form-data; name="small"; filename="s.txt"`, "", "tiny",
		"--boundary",
		`Content-Disposition: form-data; name="big"; filename="b.txt"`, "", big,
		"--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT,
		&manouche.Settings{FileUploadMaxMemorySize: 50, FileUploadTempDir: dir})
	files, err := r.FILES()
	if err != nil {
		t.Fatal(err)
	}
	small, bigFile := files.Get("small"), files.Get("big")
	if small == nil || bigFile == nil || bigFile.Size != 100 || small.Size != 4 {
		t.Fatalf("files %v %v", small, bigFile)
	}
	spooled, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(spooled) != 1 || !strings.HasSuffix(spooled[0], ".upload") {
		t.Fatalf("temp dir holds %q, want one spooled upload", spooled)
	}
	if got := prReadUpload(t, bigFile); got != big {
		t.Fatalf("spooled content %q", got)
	}
	if got := prReadUpload(t, small); got != "tiny" {
		t.Fatalf("in-memory content %q", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spooled[0]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp file still there after Close: %v", err)
	}
	if _, err := bigFile.Open(); err == nil {
		t.Error("Open of a spooled file after Close succeeded")
	}
	if got := prReadUpload(t, small); got != "tiny" {
		t.Errorf("in-memory file after Close: %q", got)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestMultipartSpoolBudget(t *testing.T) {
	// SEMANTICS 10 (deviation): files share one in-memory budget of
	// FILE_UPLOAD_MAX_MEMORY_SIZE; a Content-Length within it keeps every
	// file in memory, as Django does.
	dir := t.TempDir()
	payload := prJoin("--boundary",
		`Content-Disposition: form-data; name="a"; filename="a.txt"`, "", prRepeat("a", 30),
		"--boundary",
		`Content-Disposition: form-data; name="b"; filename="b.txt"`, "", prRepeat("b", 30),
		"--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT,
		&manouche.Settings{FileUploadMaxMemorySize: 50, FileUploadTempDir: dir})
	if _, err := r.FILES(); err != nil {
		t.Fatal(err)
	}
	if spooled, _ := filepath.Glob(filepath.Join(dir, "*")); len(spooled) != 1 {
		t.Fatalf("spooled %q, want the second file only", spooled)
	}
	_ = r.Close()
	r = prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT,
		&manouche.Settings{FileUploadMaxMemorySize: int64(len(payload)), FileUploadTempDir: dir})
	if _, err := r.FILES(); err != nil {
		t.Fatal(err)
	}
	if spooled, _ := filepath.Glob(filepath.Join(dir, "*")); len(spooled) != 0 {
		t.Fatalf("spooled %q, want none", spooled)
	}
}

func TestMultipartTempFileRemovedOnError(t *testing.T) {
	// SEMANTICS 10, 103: an error after a spooled file removes it at once.
	dir := t.TempDir()
	payload := prJoin("--boundary",
		`Content-Disposition: form-data; name="big"; filename="b.txt"`, "", prRepeat("x", 200),
		"--boundary",
		`Content-Disposition: form-data; name="big2"; filename="c.txt"`, "", "y",
		"--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT,
		&manouche.Settings{FileUploadMaxMemorySize: 10, FileUploadTempDir: dir, DataUploadMaxNumberFiles: 1})
	_, err := r.FILES()
	prWantSuspicious(t, err, "TooManyFilesSent", prTooManyFiles)
	if spooled, _ := filepath.Glob(filepath.Join(dir, "*")); len(spooled) != 0 {
		t.Fatalf("temp files left: %q", spooled)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMultipartFileNames(t *testing.T) {
	// SEMANTICS 103: MultiPartParser.sanitize_file_name.
	long := prRepeat("n", 300) + ".txt"
	for _, tc := range []struct{ raw, want string }{
		{"report.txt", "report.txt"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\photo.jpg`, "photo.jpg"},
		{"a&#47;b.txt", "b.txt"},
		{"x&amp;y.txt", "x&y.txt"},
		{"tab\there.txt", "tabhere.txt"},
		{"caf\xc3\xa9.txt", "café.txt"},
		{"..", ""},
		{"dir/.", ""},
		{"/", ""},
		{long, prRepeat("n", 251) + ".txt"},
		{prRepeat("é", 300), prRepeat("é", 255)},
	} {
		payload := prJoin("--boundary", `Content-Disposition: form-data; name="f"; filename="`+tc.raw+`"`, "", "data", "--boundary--")
		r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT, nil)
		files, err := r.FILES()
		if err != nil {
			t.Fatalf("%q: %v", tc.raw, err)
		}
		f := files.Get("f")
		if tc.want == "" {
			if f != nil {
				t.Errorf("%q: kept as %q", tc.raw, f.Name)
			}
			continue
		}
		if f == nil || f.Name != tc.want {
			t.Errorf("%q: got %v, want %q", tc.raw, f, tc.want)
		}
	}
}

func TestMultipartHeaderParameters(t *testing.T) {
	// SEMANTICS 103: part headers as Django's parse_header_parameters reads
	// them: RFC 2231 names, quoted values, base64 fields.
	payload := prJoin("--boundary",
		`Content-Disposition: form-data; name*=UTF-8''na%C3%AFve; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`, "", "cv",
		"--boundary",
		`Content-Disposition: form-data; name="semi;colon"`, "", "1",
		"--boundary",
		`Content-Disposition: form-data; name=" spaced "`, "", "2",
		"--boundary",
		`Content-Disposition: form-data; name="b64"`, "Content-Transfer-Encoding: BASE64", "", "Y2Fm\r\nw6k=",
		"--boundary",
		`Content-Disposition: form-data; name="b64file"; filename="x.bin"`, "Content-Transfer-Encoding: base64", "", "aGVs\r\nbG8=",
		"--boundary",
		`Content-Disposition: form-data; name="notb64"`, "Content-Transfer-Encoding: base64", "", "a",
		"--boundary",
		`Content-Disposition: form-data; name="bad"`, "", "caf\xe9",
		"--boundary--")
	r := prRequest(t, "POST", "/", strings.NewReader(payload), prMultipartCT, nil)
	post, err := r.POST()
	if err != nil {
		t.Fatal(err)
	}
	want := []prPair{{"semi;colon", "1"}, {"spaced", "2"}, {"b64", "café"}, {"notb64", "a"}, {"bad", "caf\ufffd"}}
	if got := prPairs(post); !reflect.DeepEqual(got, want) {
		t.Errorf("POST %q", got)
	}
	files, _ := r.FILES()
	if f := files.Get("naïve"); f == nil || f.Name != "résumé.pdf" {
		t.Errorf("RFC 2231 file: %v (keys %q)", f, files.Keys())
	}
	if f := files.Get("b64file"); f == nil || prReadUpload(t, f) != "hello" || f.Size != 5 {
		t.Errorf("base64 file: %v", f)
	}
}
