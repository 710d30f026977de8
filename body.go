package manouche

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	msgDataTooBig    = "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
	msgTooManyFiles  = "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES."
	msgFormNotUTF8   = "HTTP requests with the 'application/x-www-form-urlencoded' content type must be UTF-8 encoded."
	msgHeaderTooBig  = "Request max total header size exceeded."
	msgBadBase64     = "Could not decode base64 data."
	uploadTempPrefix = "manouche-upload-"
)

func errDataTooBig() error {
	return &SuspiciousOperation{Kind: "RequestDataTooBig", Message: msgDataTooBig}
}

// settingsOrDefault returns the request's settings, or the defaults when
// it has none.
func (r *Request) settingsOrDefault() *Settings {
	if r.Settings != nil {
		return r.Settings
	}
	return &Settings{}
}

// readBody reads the whole body for Body() (Django's request.body,
// SEMANTICS 100 and 104). With a limit (DATA_UPLOAD_MAX_MEMORY_SIZE), a
// Content-Length over it is refused before anything is read. A body
// without Content-Length (chunked) is read, which Django's WSGI handler
// would not do (it reads a missing Content-Length as an empty body), but
// never more than the limit + 1 bytes: past the limit it is refused too.
// A read that fails part-way (the client went away) is an
// *UnreadablePostError; an http.MaxBytesReader cut is RequestDataTooBig.
func (r *Request) readBody() ([]byte, error) {
	limit := r.settingsOrDefault().MaxMemorySize()
	if limit >= 0 && r.hr.ContentLength > limit {
		return nil, errDataTooBig()
	}
	if r.hr.Body == nil {
		return []byte{}, nil
	}
	// From here on the stream is consumed: a POST parse that finds no body
	// cannot go back to it (see parsePost).
	r.streamRead = true
	var src io.Reader = r.hr.Body
	if limit >= 0 {
		src = io.LimitReader(src, limit+1)
	}
	body, err := io.ReadAll(src)
	if err != nil {
		return nil, bodyReadError(err)
	}
	if limit >= 0 && int64(len(body)) > limit {
		return nil, errDataTooBig()
	}
	return body, nil
}

// bodyReadError turns an error of the body stream into Django's kind.
func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errDataTooBig()
	}
	return &UnreadablePostError{Err: err}
}

// parsePost is Django's _load_post_and_files (SEMANTICS 100–104). Only a
// POST is parsed, and only an application/x-www-form-urlencoded body
// (through Body(), so the memory limit applies to it whole) or a
// multipart/form-data body (streamed; only the non-file fields count
// against the memory limit). Anything else gives an empty QueryDict and
// Files and leaves the body unread. When the raw stream was already read
// with Read, POST is silently empty, as in Django.
func (r *Request) parsePost() (*QueryDict, *Files, error) {
	if r.Method != http.MethodPost {
		return &QueryDict{}, &Files{}, nil
	}
	haveBody := r.bodyDone && r.bodyErr == nil
	if r.streamRead && !haveBody {
		return &QueryDict{}, &Files{}, nil
	}
	rawType := r.hr.Header.Get("Content-Type")
	ctype, params, _ := parseHeaderParameters(rawType)
	switch ctype {
	case "multipart/form-data":
		return r.parseMultipart(rawType, params)
	case "application/x-www-form-urlencoded":
		// RFC 1866: this content type is always UTF-8. Django refuses any
		// other charset Python knows; we refuse any other charset.
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			return nil, nil, &BadRequest{Message: msgFormNotUTF8}
		}
		body, err := r.Body()
		if err != nil {
			return nil, nil, err
		}
		q, err := ParseQuery(string(body), r.settingsOrDefault().MaxNumberFields())
		if err != nil {
			return nil, nil, err
		}
		return q, &Files{}, nil
	}
	return &QueryDict{}, &Files{}, nil
}

// Files is Django's request.FILES: the uploaded files of a multipart POST,
// as an ordered multi-map from field name to files. The reading methods
// are safe on a nil *Files.
type Files struct {
	keys  []string
	files map[string][]*UploadedFile
}

// Get returns the last file uploaded under key, or nil.
func (f *Files) Get(key string) *UploadedFile {
	if f == nil {
		return nil
	}
	v := f.files[key]
	if len(v) == 0 {
		return nil
	}
	return v[len(v)-1]
}

// GetList returns a copy of the files uploaded under key, in order, or nil.
func (f *Files) GetList(key string) []*UploadedFile {
	if f == nil {
		return nil
	}
	v, ok := f.files[key]
	if !ok {
		return nil
	}
	return append([]*UploadedFile{}, v...)
}

// Keys returns the field names in first-seen order (a copy).
func (f *Files) Keys() []string {
	if f == nil {
		return nil
	}
	return append([]string(nil), f.keys...)
}

// Len returns the number of distinct field names.
func (f *Files) Len() int {
	if f == nil {
		return 0
	}
	return len(f.keys)
}

func (f *Files) add(key string, u *UploadedFile) {
	if f.files == nil {
		f.files = make(map[string][]*UploadedFile)
	}
	v, ok := f.files[key]
	if !ok {
		f.keys = append(f.keys, key)
	}
	f.files[key] = append(v, u)
}

// UploadedFile is one uploaded file (Django's InMemoryUploadedFile or
// TemporaryUploadedFile). Small files are held in memory; larger ones are
// spooled to a temporary file in Settings.FileUploadTempDir, which is
// removed when the request is closed (SEMANTICS 10): Open it before that.
type UploadedFile struct {
	// Name is the client's file name, sanitized as Django does: HTML
	// entities decoded, everything up to the last '/' or '\' dropped,
	// non-printable characters removed, at most 255 characters (the
	// extension kept). It is never "", "." or "..". It is still untrusted.
	Name string
	// ContentType is the part's Content-Type without parameters,
	// lower-cased; "" when the part had none.
	ContentType string
	// Size is the length of the content in bytes.
	Size int64
	// Header is the part's MIME header.
	Header textproto.MIMEHeader

	data []byte
	tmp  *uploadTempFile
}

// Open returns a reader of the file's content, from the start. Each call
// gives an independent reader, which the caller closes. For a spooled
// file it fails once the request was closed (the temporary file is gone).
func (u *UploadedFile) Open() (io.ReadSeekCloser, error) {
	if u.tmp != nil {
		return os.Open(u.tmp.path)
	}
	return memFile{bytes.NewReader(u.data)}, nil
}

type memFile struct{ *bytes.Reader }

// Close does nothing: the content stays in memory.
func (memFile) Close() error { return nil }

// uploadTempFile removes a spooled upload, once.
type uploadTempFile struct {
	path string
	once sync.Once
	err  error
}

// Close removes the file; later calls return the first result.
func (t *uploadTempFile) Close() error {
	t.once.Do(func() {
		if err := os.Remove(t.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.err = err
		}
	})
	return t.err
}

// boundaryRE is Django's MultiPartParser.boundary_re: 1 to 201 printable
// ASCII characters, the last one not a space.
var boundaryRE = regexp.MustCompile(`^[ -~]{0,200}[!-~]$`)

// multipartParse holds the state of one multipart parse.
type multipartParse struct {
	r         *Request
	src       *trackingReader
	maxFields int
	maxFiles  int
	maxMemory int64 // DATA_UPLOAD_MAX_MEMORY_SIZE, for the fields
	fileMem   int64 // in-memory budget of all files together
	memUsed   int64
	temps     []*uploadTempFile
}

// parseMultipart is Django's MultiPartParser (SEMANTICS 101, 103). See
// parsePost.
func (r *Request) parseMultipart(rawType string, params map[string]string) (*QueryDict, *Files, error) {
	if !isASCII(rawType) {
		return nil, nil, &MultiPartParserError{Message: "Invalid non-ASCII Content-Type in multipart: " + latin1ToUTF8(rawType)}
	}
	boundary, ok := params["boundary"]
	if !ok || boundary == "" || !boundaryRE.MatchString(boundary) {
		shown := boundary
		if !ok {
			shown = "None"
		}
		return nil, nil, &MultiPartParserError{Message: "Invalid boundary in multipart: " + shown}
	}

	var src io.Reader
	switch {
	case r.bodyDone && r.bodyErr == nil:
		src = bytes.NewReader(r.body)
		if len(r.body) == 0 {
			return &QueryDict{}, &Files{}, nil
		}
	case r.hr.Body == nil || r.hr.ContentLength == 0:
		return &QueryDict{}, &Files{}, nil
	default:
		// Like Django reading from the request stream: afterwards Body()
		// fails with ErrBodyAfterRead.
		r.streamRead = true
		src = r.hr.Body
	}

	s := r.settingsOrDefault()
	mp := &multipartParse{
		r:         r,
		src:       &trackingReader{r: src},
		maxFields: s.MaxNumberFields(),
		maxFiles:  s.MaxNumberFiles(),
		maxMemory: s.MaxMemorySize(),
		fileMem:   s.FileMemorySize(),
	}
	post, files, err := mp.parse(boundary)
	if err != nil {
		for _, t := range mp.temps {
			_ = t.Close()
		}
		return nil, nil, err
	}
	return post, files, nil
}

func (mp *multipartParse) parse(boundary string) (*QueryDict, *Files, error) {
	post, files := &QueryDict{}, &Files{}
	reader := multipart.NewReader(mp.src, boundary)
	var numFields, numFiles int
	var fieldBytes int64
	for {
		part, err := reader.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, mp.fail(err)
		}

		_, dparams, isPart := lastHeader(part.Header, "Content-Disposition")
		isFile := isPart && dparams["filename"] != ""

		if !isFile {
			// Django counts fields and the parts without a
			// Content-Disposition (its raw parts, less the preamble and the
			// epilogue it allows for).
			numFields++
			if mp.maxFields >= 0 && numFields > mp.maxFields {
				return nil, nil, errTooManyFields()
			}
		} else {
			numFiles++
			if mp.maxFiles >= 0 && numFiles > mp.maxFiles {
				return nil, nil, &SuspiciousOperation{Kind: "TooManyFilesSent", Message: msgTooManyFiles}
			}
		}
		if !isPart {
			continue
		}
		rawName, ok := dparams["name"]
		if !ok {
			continue
		}
		fieldName := strings.Trim(rawName, " \t\n\r\v\f")
		transferEncoding, _, _ := lastHeader(part.Header, "Content-Transfer-Encoding")
		isBase64 := pyStrip(transferEncoding) == "base64"

		if !isFile {
			var src io.Reader = part
			if mp.maxMemory >= 0 {
				// One byte more than allowed tells "too big" apart.
				src = io.LimitReader(part, mp.maxMemory-fieldBytes+1)
			}
			data, err := io.ReadAll(src)
			if err != nil {
				return nil, nil, mp.fail(err)
			}
			fieldBytes += int64(len(data))
			// Two more, as Django, for the "&" and "=" of the
			// urlencoded equivalent.
			fieldBytes += int64(utf8.RuneCountInString(fieldName)) + 2
			if mp.maxMemory >= 0 && fieldBytes > mp.maxMemory {
				return nil, nil, errDataTooBig()
			}
			if isBase64 {
				data = decodeBase64Field(data)
			}
			post.Append(fieldName, decodeUTF8Replace(data))
			continue
		}

		fileName := sanitizeFileName(dparams["filename"])
		if fileName == "" {
			continue
		}
		contentType, _, _ := lastHeader(part.Header, "Content-Type")
		u := &UploadedFile{
			Name:        fileName,
			ContentType: pyStrip(contentType),
			Header:      part.Header,
		}
		var content io.Reader = part
		if isBase64 {
			content = base64.NewDecoder(base64.StdEncoding, asciiSpaceFilter{part})
		}
		if err := mp.readFile(content, u); err != nil {
			return nil, nil, err
		}
		files.add(fieldName, u)
	}
	return post, files, nil
}

// readFile stores one file's content: in memory while all the files held
// in memory fit in FILE_UPLOAD_MAX_MEMORY_SIZE together, else in a
// temporary file, which the request removes when it is closed.
func (mp *multipartParse) readFile(src io.Reader, u *UploadedFile) error {
	var (
		mem  bytes.Buffer
		f    *os.File
		size int64
		buf  = make([]byte, 32<<10)
	)
	fail := func(err error) error {
		if f != nil {
			_ = f.Close()
		}
		return err
	}
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			size += int64(n)
			if f == nil && (mp.fileMem < 0 || mp.memUsed+int64(mem.Len()+n) <= mp.fileMem) {
				mem.Write(buf[:n])
			} else {
				if f == nil {
					var err error
					if f, err = mp.createTemp(); err != nil {
						return err
					}
					u.tmp = mp.temps[len(mp.temps)-1]
					if _, err := f.Write(mem.Bytes()); err != nil {
						return fail(err)
					}
					mem = bytes.Buffer{}
				}
				if _, err := f.Write(buf[:n]); err != nil {
					return fail(err)
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(mp.fail(rerr))
		}
	}
	u.Size = size
	if f != nil {
		return f.Close()
	}
	u.data = mem.Bytes()
	mp.memUsed += int64(len(u.data))
	return nil
}

// createTemp creates a spool file and registers its removal with the
// request at once, so it goes away with the request whatever happens.
func (mp *multipartParse) createTemp() (*os.File, error) {
	f, err := os.CreateTemp(mp.r.settingsOrDefault().FileUploadTempDir, uploadTempPrefix+"*.upload")
	if err != nil {
		return nil, err
	}
	t := &uploadTempFile{path: f.Name()}
	mp.temps = append(mp.temps, t)
	mp.r.AddCloser(t)
	return f, nil
}

// fail classifies an error met while parsing: the body stream itself
// failing is UnreadablePostError (or RequestDataTooBig for an
// http.MaxBytesReader cut); anything else is the body's fault, a
// MultiPartParserError.
func (mp *multipartParse) fail(err error) error {
	if mp.src.err != nil {
		return bodyReadError(mp.src.err)
	}
	var ce base64.CorruptInputError
	switch {
	case errors.As(err, &ce):
		return &MultiPartParserError{Message: msgBadBase64}
	case errors.Is(err, multipart.ErrMessageTooLarge):
		return &MultiPartParserError{Message: msgHeaderTooBig}
	}
	return &MultiPartParserError{Message: "Malformed multipart body: " + err.Error()}
}

// trackingReader remembers the first error, other than io.EOF, of the body
// stream, so a client that went away is not blamed on the body's format.
type trackingReader struct {
	r   io.Reader
	err error
}

// Read reads from the body and keeps its first real error.
func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// asciiSpaceFilter drops ASCII white space, as Django does before decoding
// a base64 file chunk.
type asciiSpaceFilter struct{ r io.Reader }

// Read reads from the part without its ASCII white space.
func (f asciiSpaceFilter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			switch c {
			case ' ', '\t', '\n', '\r', '\v', '\f':
			default:
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// decodeBase64Field decodes a base64 field value leniently, as Python's
// b64decode: characters outside the alphabet are dropped; when it still
// does not decode, the raw data is kept (as Django does).
func decodeBase64Field(data []byte) []byte {
	clean := make([]byte, 0, len(data))
	for _, c := range data {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return data
	}
	return out[:n]
}

// lastHeader parses the last usable value of a part header as Django
// does (a later line of the same name wins; a line that is not UTF-8 or
// whose parameters cannot be decoded is skipped). ok is false when there
// is none.
func lastHeader(h textproto.MIMEHeader, key string) (value string, params map[string]string, ok bool) {
	vals := h.Values(key)
	for i := len(vals) - 1; i >= 0; i-- {
		if !utf8.ValidString(vals[i]) {
			continue
		}
		v, p, good := parseHeaderParameters(vals[i])
		if good {
			return v, p, true
		}
	}
	return "", nil, false
}

// parseHeaderParameters is Django's parse_header_parameters (the
// _parseparam version): it splits "value; a=b; c=\"d\"" into the
// lower-cased value and its parameters (names lower-cased, quotes removed,
// RFC 2231 "name*=charset'lang'text" decoded). ok is false when a parameter
// could not be decoded (Python would raise); that parameter is left out.
func parseHeaderParameters(line string) (key string, params map[string]string, ok bool) {
	parts := splitHeaderParams(";" + line)
	key = strings.ToLower(parts[0])
	params = make(map[string]string)
	ok = true
	for _, p := range parts[1:] {
		i := strings.IndexByte(p, '=')
		if i < 0 {
			continue
		}
		hasEncoding := false
		name := strings.ToLower(pyStrip(p[:i]))
		if strings.HasSuffix(name, "*") {
			name = name[:len(name)-1]
			if strings.Count(p, "'") == 2 {
				hasEncoding = true
			}
		}
		value := pyStrip(p[i+1:])
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
			value = strings.ReplaceAll(value, `\\`, `\`)
			value = strings.ReplaceAll(value, `\"`, `"`)
		}
		if hasEncoding {
			segs := strings.Split(value, "'")
			if len(segs) != 3 {
				ok = false
				continue
			}
			decode := charsetDecoder(segs[0])
			if decode == nil {
				ok = false
				continue
			}
			value = unquoteText(segs[2], decode)
		}
		params[name] = value
	}
	return key, params, ok
}

// splitHeaderParams is Django's _parseparam: s (starting with ';') is split
// on the semicolons that are not inside double quotes (a quote preceded by
// a backslash does not count), each piece stripped. It is linear in s.
func splitHeaderParams(s string) []string {
	var out []string
	for len(s) > 0 && s[0] == ';' {
		s = s[1:]
		end := len(s)
		quotes := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '"':
				if i == 0 || s[i-1] != '\\' {
					quotes++
				}
			case ';':
				if i == 0 || quotes%2 == 0 {
					end = i
				}
			}
			if end != len(s) {
				break
			}
		}
		out = append(out, pyStrip(s[:end]))
		s = s[end:]
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// charsetDecoder returns the decoder for the charsets Python's unquote
// is commonly given in RFC 2231 values, or nil for any other (Python's
// LookupError).
func charsetDecoder(name string) func([]byte) string {
	n := strings.ToLower(pyStrip(name))
	n = strings.NewReplacer("-", "_", " ", "_").Replace(n)
	switch n {
	case "utf_8", "utf8", "u8", "utf", "cp65001":
		return decodeUTF8Replace[[]byte]
	case "latin_1", "latin1", "l1", "iso_8859_1", "iso8859_1", "8859", "cp819", "latin", "iso_ir_100", "csisolatin1":
		return latin1BytesToUTF8
	case "ascii", "us_ascii", "646", "us":
		return asciiReplace
	}
	return nil
}

// sanitizeFileName is Django's MultiPartParser.sanitize_file_name followed
// by the 255-character cut of UploadedFile's name; "" means the file is
// skipped.
func sanitizeFileName(name string) string {
	name = html.UnescapeString(decodeUTF8Replace(name))
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, name)
	if name == "" || name == "." || name == ".." {
		return ""
	}
	if runes := []rune(name); len(runes) > 255 {
		base, ext := splitExt(runes)
		if len(ext) > 255 {
			ext = ext[:255]
		}
		name = string(base[:255-len(ext)]) + string(ext)
	}
	return name
}

// splitExt is Python's os.path.splitext on a base name: the extension
// starts at the last dot, unless only dots come before it.
func splitExt(name []rune) (base, ext []rune) {
	dot := -1
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			dot = i
			break
		}
	}
	for i := 0; i < dot; i++ {
		if name[i] != '.' {
			return name[:dot], name[dot:]
		}
	}
	return name, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
