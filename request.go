package manouche

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Request is the framework's request (Django's HttpRequest), built by the
// handler from a net/http request once per request. The query string,
// cookies, body and form are parsed lazily, when first asked for, and the
// limits of Settings apply then (SEMANTICS 100–101). It is not safe for
// concurrent use.
type Request struct {
	// Method is the upper-case HTTP method.
	Method string
	// Path is the full path: ScriptName + PathInfo.
	Path string
	// PathInfo is the path below the mount prefix, starting with "/"; it is
	// what the URLconf resolves.
	PathInfo string
	// ScriptName is the mount prefix without a trailing slash ("" at the
	// root); reverse() puts it in front of every URL.
	ScriptName string
	// ResolverMatch is nil until the path is resolved, so process_request
	// hooks see nil and process_view hooks see the match (SEMANTICS 8).
	ResolverMatch *ResolverMatch
	// URLConf resolves this request; a middleware may replace it for the
	// rest of the request (SEMANTICS 9). The handler sets it to its own.
	URLConf URLConf
	// Settings are the handler's settings; read only.
	Settings *Settings

	// hr is net/http's request, its fields read in place. Its context is
	// ctx only when synced: the handler gives the request a context of its
	// own (the one carrying its Scope), and the copy of hr that carries it
	// is made by HTTP, when something asks for it, not for every request.
	hr     *http.Request
	ctx    context.Context
	logger *slog.Logger
	w      http.ResponseWriter

	query    *QueryDict
	queryErr error

	body    []byte
	bodyErr error
	bodyOff int // how much of body Read has returned

	post    *QueryDict
	files   *Files
	postErr error

	cookies map[string]string

	host    string
	hostErr error

	kept    []*Response
	keptBuf [1]*Response // kept's first backing array: a request keeps one response unless a layer replaces it
	closers []io.Closer

	match ResolverMatch // the first match's storage (Resolve)

	// The flags, together so that they share two words rather than take
	// one each: the handler allocates the request in one block with its
	// scope, and the block, with the allocator's 8-byte header, must fit
	// the 768-byte size class (the handler's TestBlockSize).
	synced     bool // hr.Context() is ctx
	wroteRaw   bool // a view wrote or flushed through ResponseWriter
	hijacked   bool // a view hijacked the connection
	queryDone  bool
	bodyDone   bool
	streamRead bool
	postDone   bool
	hostDone   bool
	matchUsed  bool
}

// NewRequest builds the request for hr. scriptName is the mount prefix and
// pathInfo the path below it (the handler finds them). Nothing is parsed
// here.
func NewRequest(w http.ResponseWriter, hr *http.Request, s *Settings, conf URLConf, scriptName, pathInfo string) *Request {
	return new(Request).Init(w, hr, s, conf, scriptName, pathInfo)
}

// Init builds r in place as NewRequest builds a new one, and returns it:
// for a handler that allocates the request together with its other
// per-request state. Whatever r held before is dropped. The request's
// context is hr's; a handler that gives it another calls SetContext.
func (r *Request) Init(w http.ResponseWriter, hr *http.Request, s *Settings, conf URLConf, scriptName, pathInfo string) *Request {
	if pathInfo == "" {
		pathInfo = "/"
	}
	if s == nil {
		s = &Settings{}
	}
	for len(scriptName) > 0 && scriptName[len(scriptName)-1] == '/' {
		scriptName = scriptName[:len(scriptName)-1]
	}
	*r = Request{
		hr:         hr,
		ctx:        hr.Context(),
		synced:     true,
		Method:     hr.Method,
		Path:       scriptName + pathInfo,
		PathInfo:   pathInfo,
		ScriptName: scriptName,
		URLConf:    conf,
		Settings:   s,
		w:          w,
	}
	r.kept = r.keptBuf[:0]
	return r
}

// Logger returns the logger of the handler serving the request
// (handler.Config.Logger), or slog.Default() for a request built without
// one. Middleware and views log through it, so an application that gives
// the handler a logger gets their lines there too.
func (r *Request) Logger() *slog.Logger {
	if r.logger == nil {
		return slog.Default()
	}
	return r.logger
}

// SetLogger sets the logger Logger returns; the handler sets its own.
func (r *Request) SetLogger(l *slog.Logger) { r.logger = l }

// Resolve resolves the request's PathInfo with conf and sets ResolverMatch
// to the match: Django's resolver.resolve(request.path_info), the
// handler's step between the request and the view phases. When conf is a
// MatchWriter (urls.Conf is), the request's first match lives in the
// request's own memory; a later call allocates its own, leaving the first
// as it was. On an error ResolverMatch is left as it was; a nil conf is
// an ImproperlyConfigured error.
func (r *Request) Resolve(conf URLConf) (*ResolverMatch, error) {
	if conf == nil {
		return nil, Improperlyf("Request.Resolve: no URLconf to resolve %q with.", r.PathInfo)
	}
	if mw, ok := conf.(MatchWriter); ok && !r.matchUsed {
		if err := mw.ResolveInto(r.PathInfo, &r.match); err != nil {
			return nil, err
		}
		r.matchUsed = true
		r.ResolverMatch = &r.match
		return &r.match, nil
	}
	m, err := conf.Resolve(r.PathInfo)
	if err != nil {
		return nil, err
	}
	r.ResolverMatch = m
	return m, nil
}

// Context returns the request's context: the one that carries the
// request's Scope (its database connections, …) and the values middleware
// attached with SetContext. It is cancelled when the client goes away or
// the handler returns.
func (r *Request) Context() context.Context { return r.ctx }

// SetContext replaces the request's context, for middleware that attach
// values to it. It costs no copy of the net/http request: HTTP makes one
// when it is next called.
func (r *Request) SetContext(ctx context.Context) {
	if ctx == nil {
		panic("manouche: Request.SetContext with a nil context")
	}
	r.ctx = ctx
	r.synced = false
}

// HTTP returns the underlying net/http request, with the request's context
// (Context) as its context: what to hand to net/http code, such as
// http.ServeContent. Its Header is the request's (Header returns the same
// map), and it is the request the Request reads: a field set on it (Host,
// Body, …) is the request's, also after a later SetContext, whose copy
// starts from it.
//
// The handler gives each request a context of its own; the copy of
// net/http's request that carries it is made on the first call after
// each SetContext, so a request that never calls HTTP costs none, and
// the server's own *http.Request is never changed through it.
func (r *Request) HTTP() *http.Request {
	if !r.synced {
		r.hr = r.hr.WithContext(r.ctx)
		r.synced = true
	}
	return r.hr
}

// SetHTTP replaces the underlying net/http request, and with it the
// request's context (hr's): for an adapter that runs net/http middleware
// inside the onion, whose next handler receives the request the
// middleware passes on.
func (r *Request) SetHTTP(hr *http.Request) {
	r.hr, r.ctx, r.synced = hr, hr.Context(), true
}

// Header returns the request headers (Django's request.headers), as net/http
// parsed them: keys in canonical form, read with Get or by key. It is
// hr.Header of the net/http request, without a copy of anything.
func (r *Request) Header() http.Header { return r.hr.Header }

// RemoteAddr returns the network address of the client, as net/http gives
// it (Django's META["REMOTE_ADDR"], with the port).
func (r *Request) RemoteAddr() string { return r.hr.RemoteAddr }

// ResponseWriter returns the writer the response will be written to. It is
// there for views that take the connection over: one that hijacks it
// (a WebSocket) or writes and flushes by itself. Once such a view has
// written, flushed or hijacked through it, the handler does not write the
// response the view returns (it still closes it, which finishes the
// request). Views normally return a Response instead, and stream with a
// streaming response. The writer reaches http.Flusher, http.Hijacker and
// http.ResponseController.
func (r *Request) ResponseWriter() http.ResponseWriter {
	if r.w == nil {
		return nil
	}
	return &rawWriter{w: r.w, r: r}
}

// TookOver reports whether a view wrote, flushed or hijacked through
// ResponseWriter, so the response object must not be written.
func (r *Request) TookOver() bool { return r.wroteRaw || r.hijacked }

// Hijacked reports whether the connection was hijacked through
// ResponseWriter.
func (r *Request) Hijacked() bool { return r.hijacked }

// SetResponseWriter replaces the writer underneath ResponseWriter and
// returns the one it replaces; the adapter that runs net/http middleware
// inside the onion uses it to hand views the middleware's writer.
func (r *Request) SetResponseWriter(w http.ResponseWriter) (previous http.ResponseWriter) {
	previous, r.w = r.w, w
	return previous
}

// GET returns the query-string parameters (Django's request.GET), parsed on
// first use. It fails with a TooManyFieldsSent error when there are more
// than DATA_UPLOAD_MAX_NUMBER_FIELDS of them (SEMANTICS 101).
func (r *Request) GET() (*QueryDict, error) {
	if !r.queryDone {
		r.queryDone = true
		r.query, r.queryErr = ParseQuery(r.hr.URL.RawQuery, r.Settings.MaxNumberFields())
	}
	return r.query, r.queryErr
}

// Body returns the whole request body, read on first use. It fails with a
// RequestDataTooBig error when Content-Length exceeds
// DATA_UPLOAD_MAX_MEMORY_SIZE (before anything is read), and after Read was
// used (SEMANTICS 100, 104).
func (r *Request) Body() ([]byte, error) {
	if !r.bodyDone {
		if r.streamRead {
			return nil, ErrBodyAfterRead
		}
		r.bodyDone = true
		r.body, r.bodyErr = r.readBody()
	}
	return r.body, r.bodyErr
}

// ErrBodyAfterRead is Django's RawPostDataException (SEMANTICS 104).
var ErrBodyAfterRead = errors.New("You cannot access body after reading from request's data stream")

// Read reads the raw body stream (Django's request.read()). Once the body
// was read with Body or POST, Read reads the buffered copy.
func (r *Request) Read(p []byte) (int, error) {
	if r.bodyDone {
		if r.bodyOff >= len(r.body) {
			return 0, io.EOF
		}
		n := copy(p, r.body[r.bodyOff:])
		r.bodyOff += n
		return n, nil
	}
	r.streamRead = true
	if r.hr.Body == nil {
		return 0, io.EOF
	}
	return r.hr.Body.Read(p)
}

// POST returns the form fields of a POST request with an urlencoded or
// multipart body (Django's request.POST), parsed on first use; it is empty
// for other methods and content types (SEMANTICS 102).
func (r *Request) POST() (*QueryDict, error) {
	r.loadPost()
	return r.post, r.postErr
}

// FILES returns the uploaded files of a multipart POST (Django's
// request.FILES).
func (r *Request) FILES() (*Files, error) {
	r.loadPost()
	return r.files, r.postErr
}

// MarkPostParseError makes POST and FILES empty, without error, after the
// body failed to parse or broke a limit, so that error views and loggers
// can read them (Django's _mark_post_parse_error, SEMANTICS 93). The
// handler calls it when it answers such an error.
func (r *Request) MarkPostParseError() {
	r.postDone = true
	r.post, r.files, r.postErr = &QueryDict{}, &Files{}, nil
}

func (r *Request) loadPost() {
	if r.postDone {
		return
	}
	r.postDone = true
	r.post, r.files, r.postErr = r.parsePost()
	if r.postErr != nil {
		// Error views must be able to read an empty POST (SEMANTICS 93).
		r.post, r.files = &QueryDict{}, &Files{}
	}
}

// Cookies returns the request cookies by name (Django's request.COOKIES),
// parsed on first use. Malformed cookies are skipped, never an error
// (SEMANTICS 7).
func (r *Request) Cookies() map[string]string {
	if r.cookies == nil {
		r.cookies = ParseCookies(r.hr.Header.Values("Cookie"))
	}
	return r.cookies
}

// Host returns the validated host, with port if not the default (Django's
// get_host(), SEMANTICS 99). It fails with a DisallowedHost error when the
// host is malformed or not in ALLOWED_HOSTS.
func (r *Request) Host() (string, error) {
	if !r.hostDone {
		r.hostDone = true
		r.host, r.hostErr = r.validateHost()
	}
	return r.host, r.hostErr
}

// IsSecure reports whether the request came over HTTPS: over TLS, or,
// with Settings.Secure.ProxySSLHeader, as that header says when the
// request carries it (its first comma-separated value must equal the
// setting's), as Django's request.scheme.
func (r *Request) IsSecure() bool {
	if r.Settings != nil {
		if name := r.Settings.Secure.ProxySSLHeader[0]; name != "" {
			if v, ok := r.hr.Header[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
				first, _, _ := strings.Cut(v[0], ",")
				return strings.TrimSpace(first) == r.Settings.Secure.ProxySSLHeader[1]
			}
		}
	}
	return r.hr.TLS != nil
}

// Scheme returns "https" or "http".
func (r *Request) Scheme() string {
	if r.IsSecure() {
		return "https"
	}
	return "http"
}

// FullPath returns Path, escaped as EscapeURIPath does, with "?" and the
// raw query string when there is one: Django's get_full_path(), ready for
// a Location header (Path itself is decoded: a "%3F" in it would come
// back as a "?").
func (r *Request) FullPath() string { return r.fullPath(false) }

// FullPathWithSlash is FullPath with a "/" appended to the path when it
// lacks one (Django's get_full_path(force_append_slash=True)).
func (r *Request) FullPathWithSlash() string { return r.fullPath(true) }

func (r *Request) fullPath(slash bool) string {
	p := EscapeURIPath(r.Path)
	if slash && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	if q := r.hr.URL.RawQuery; q != "" {
		p += "?" + q
	}
	return p
}

// AddCloser registers c to be closed when the request is closed (uploaded
// temporary files, for example). The handler closes the request from the
// final response's Close (SEMANTICS 10).
func (r *Request) AddCloser(c io.Closer) { r.closers = append(r.closers, c) }

// Close closes what the request holds, once; errors are joined.
func (r *Request) Close() error {
	closers := r.closers
	r.closers = nil
	var errs []error
	for _, c := range closers {
		if err := safeClose(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// KeepResponse records a response that passed a layer boundary, so that it
// is closed even if a middleware replaces it (DESIGN promise 1). The
// handler calls it; middleware need not.
func (r *Request) KeepResponse(resp *Response) {
	if resp == nil {
		return
	}
	for _, k := range r.kept {
		if k == resp {
			return
		}
	}
	r.kept = append(r.kept, resp)
}

// CloseDiscarded closes every kept response other than final: a response
// replaced by middleware has its closers run, without request_finished,
// which only the final response sends (SEMANTICS 57).
func (r *Request) CloseDiscarded(final *Response) error {
	var errs []error
	for i, k := range r.kept {
		if k != final {
			if err := k.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		r.kept[i] = nil
	}
	r.kept = r.kept[:0]
	return errors.Join(errs...)
}
