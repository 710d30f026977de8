package middleware

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/response"
)

// StaticConfig configures Static.
type StaticConfig struct {
	// Settings gives StaticURL (the URL prefix served, Django's
	// STATIC_URL), StaticRoot (the directory served, STATIC_ROOT, filled
	// by CollectStatic) and Debug: pass the handler's own settings.
	Settings manouche.Settings
	// FS, when not nil, is served instead of the directory StaticRoot (an
	// embed.FS of collected files, say). Its own rules about symbolic
	// links apply: os.DirFS follows them anywhere. StaticRoot itself is
	// opened with os.OpenRoot, which refuses every name or link that leads
	// outside it.
	FS fs.FS
	// MaxAge is the Cache-Control max-age of files whose names are not
	// content-hashed. Zero means WhiteNoise's default: 60 seconds, 0 with
	// Debug; a negative value means 0.
	MaxAge time.Duration
}

// Cache-Control values.
const (
	// StaticImmutable is the Cache-Control of content-hashed files: ten
	// years, as WhiteNoise (and nginx's "expires max").
	StaticImmutable = "max-age=315360000, public, immutable"
	// staticDefaultMaxAge is WhiteNoise's max-age for other files.
	staticDefaultMaxAge = 60 * time.Second
)

// Static is WhiteNoise's middleware: it serves the files of StaticRoot
// under StaticURL, in front of the rest of the onion, so list it first or
// right after the security middleware.
//
// The factory builds an index of StaticRoot when the handler is built: a
// request never walks the disk. The index is the allow-list: a name not
// in it is never opened, and a request for it, or one not under StaticURL,
// goes on to the next layer, so a 404 comes from the application, as with
// WhiteNoise. These are left out of the index: names with a part starting
// with "." (".git", ".env"), files that are not regular, symbolic links
// leading outside StaticRoot, directories reached through a symbolic link,
// and the ".gz" and ".br" siblings of indexed files, which are served only
// as their encodings. Without Debug the files are taken not to change
// while the server runs (run CollectStatic, then start or restart it).
// With Debug, every request under StaticURL checks its one name again (at
// most four stat calls, never a walk): new, changed and removed files are
// picked up (a name reached through a linked directory inside StaticRoot
// too), and the Cache-Control max-age is 0.
//
// A file is answered with response.File: GET and HEAD only (other methods
// get 405 with "Allow: GET, HEAD"); Content-Type from the name (text
// types with "charset=utf-8"), Content-Length, Accept-Ranges and byte
// ranges (206, multipart/byteranges, 416); an ETag and Last-Modified, and
// 304 Not Modified for a matching If-None-Match (weak comparison) or, when
// there is none, an If-Modified-Since not before Last-Modified — answered
// before any file is opened. Cache-Control is StaticImmutable for
// content-hashed names (listed as hashed in the manifest, staticfiles.json,
// or of CollectStatic's form name.<12 hex digits>.ext), else
// "max-age=60, public" (see StaticConfig.MaxAge).
//
// When "app.css.br" or "app.css.gz" sits next to "app.css", the client's
// Accept-Encoding chooses: br or gzip (x-gzip) named with q > 0, the
// higher q first and br on a tie; "*" alone chooses neither. The encoded
// file is sent with Content-Encoding, and "Vary: Accept-Encoding" is on
// every answer for a file that has such a sibling, whichever is sent.
// Each encoding has its own ETag and Last-Modified, so byte ranges and
// If-Range apply to the representation sent.
//
// Every file opened is closed exactly once, when the response is closed,
// however the request ends (DESIGN promise 1, SEMANTICS 107–111).
func Static(cfg StaticConfig) Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		return newStaticFiles(cfg, next)
	}
}

// staticFiles is the built layer.
type staticFiles struct {
	next     Handler
	fsys     fs.FS
	prefix   string // the URL path prefix, with its trailing slash
	fullPath bool   // prefix is matched against Request.Path, else PathInfo
	debug    bool
	cache    string          // Cache-Control of names not hashed
	hashed   map[string]bool // names the manifest lists as hashed
	started  time.Time       // Last-Modified of files without a modification time

	files atomic.Pointer[map[string]*staticEntry] // replaced, never changed, when Debug finds a change
	mu    sync.Mutex                              // serialises those replacements
}

// staticEntry is one served name and its representations.
type staticEntry struct {
	name  string
	ctype string
	cache string
	vary  bool        // it has a compressed sibling
	reps  []staticRep // identity first, then "br" and "gzip" when present
}

// staticRep is one representation of a name: the file itself or an
// encoded sibling.
type staticRep struct {
	path     string // name in the file system
	encoding string // "", "br" or "gzip"
	size     int64
	mtime    time.Time // as found, to notice a change
	modified time.Time // Last-Modified, whole seconds
	etag     string
}

func newStaticFiles(cfg StaticConfig, next Handler) (*staticFiles, error) {
	st := cfg.Settings
	if st.StaticURL == "" {
		return nil, manouche.Improperlyf("middleware.Static: Settings.StaticURL is empty: set it to the URL prefix of the static files, such as \"/static/\".")
	}
	if !strings.HasSuffix(st.StaticURL, "/") {
		return nil, manouche.Improperlyf("middleware.Static: Settings.StaticURL must end with a slash (got %q).", st.StaticURL)
	}
	prefix, full, err := staticPrefix(st.StaticURL)
	if err != nil {
		return nil, err
	}
	s := &staticFiles{next: next, fsys: cfg.FS, prefix: prefix, fullPath: full, debug: st.Debug, started: time.Now()}
	if s.fsys == nil {
		if st.StaticRoot == "" {
			return nil, manouche.Improperlyf("middleware.Static: Settings.StaticRoot is empty: set it to the directory CollectStatic fills, or give StaticConfig.FS.")
		}
		root, err := os.OpenRoot(st.StaticRoot)
		if err != nil {
			return nil, fmt.Errorf("middleware.Static: STATIC_ROOT (has CollectStatic run?): %w", err)
		}
		s.fsys = root.FS()
	}
	maxAge := cfg.MaxAge
	switch {
	case maxAge < 0 || (maxAge == 0 && st.Debug):
		maxAge = 0
	case maxAge == 0:
		maxAge = staticDefaultMaxAge
	}
	s.cache = "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10) + ", public"

	m, err := ReadManifest(s.fsys)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("middleware.Static: %w", err)
	}
	if m != nil {
		s.hashed = make(map[string]bool, len(m.Paths))
		for name, hashed := range m.Paths {
			if name != hashed {
				s.hashed[hashed] = true
			}
		}
	}
	files, err := s.scan()
	if err != nil {
		return nil, fmt.Errorf("middleware.Static: indexing the static files: %w", err)
	}
	s.files.Store(&files)
	return s, nil
}

// staticPrefix returns the path part of StaticURL, and whether it is an
// absolute path matched against the whole request path. A relative
// StaticURL ("static/") is below the mount prefix, as Django puts
// SCRIPT_NAME in front of it: it is matched against PathInfo.
func staticPrefix(staticURL string) (prefix string, full bool, err error) {
	if strings.HasPrefix(staticURL, "/") && !strings.HasPrefix(staticURL, "//") {
		return staticURL, true, nil
	}
	u, err := url.Parse(staticURL)
	if err != nil {
		return "", false, manouche.Improperlyf("middleware.Static: Settings.StaticURL %q is not a URL: %v", staticURL, err)
	}
	if u.Host != "" || u.Scheme != "" {
		// A CDN's URL: the files are still served under its path, for the
		// CDN to fetch them from (WhiteNoise's way).
		if !strings.HasPrefix(u.Path, "/") {
			return "", false, manouche.Improperlyf("middleware.Static: Settings.StaticURL %q has no path to serve the files under.", staticURL)
		}
		return u.Path, true, nil
	}
	return "/" + staticURL, false, nil
}

// Name names the layer in messages.
func (s *staticFiles) Name() string { return "middleware.Static" }

// Serve answers a request for an indexed file and passes every other one
// to the next layer.
func (s *staticFiles) Serve(r *manouche.Request) (*manouche.Response, error) {
	name, ok := s.relName(r)
	if !ok {
		return s.next(r), nil
	}
	e, err := s.find(name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return s.next(r), nil
	}
	return s.serveFile(r, e)
}

// serveFile answers a request for the static file e. Apart from Serve, so
// that the frame every other request keeps on the stack, under the rest
// of the onion, is a small one.
func (s *staticFiles) serveFile(r *manouche.Request, e *staticEntry) (*manouche.Response, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return response.NotAllowed(http.MethodGet, http.MethodHead), nil
	}
	rep := e.choose(r.Header()["Accept-Encoding"])
	if notModified(r.Header(), rep) {
		resp := response.NotModified()
		resp.SetHeader("Cache-Control", e.cache)
		resp.SetHeader("Etag", rep.etag)
		resp.SetHeader("Last-Modified", rep.modified.Format(http.TimeFormat))
		if e.vary {
			resp.SetHeader("Vary", "Accept-Encoding")
		}
		return resp, nil
	}
	f, err := s.fsys.Open(rep.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Removed since it was indexed: as if it never was.
			return s.next(r), nil
		}
		return nil, fmt.Errorf("middleware.Static: %w", err)
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		_ = f.Close()
		return nil, fmt.Errorf("middleware.Static: %s: a %T cannot seek", rep.path, f)
	}
	resp := response.File(r, rs,
		response.Size(rep.size),
		response.ContentType(e.ctype),
		response.LastModified(rep.modified),
		response.ETag(rep.etag))
	resp.SetHeader("Cache-Control", e.cache)
	if e.vary {
		resp.SetHeader("Vary", "Accept-Encoding")
	}
	if rep.encoding != "" && resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		resp.SetHeader("Content-Encoding", rep.encoding)
	}
	return resp, nil
}

// relName returns the part of the request path below StaticURL.
func (s *staticFiles) relName(r *manouche.Request) (string, bool) {
	p := r.PathInfo
	if s.fullPath {
		p = r.Path
	}
	if len(p) <= len(s.prefix) || p[:len(s.prefix)] != s.prefix {
		return "", false
	}
	return p[len(s.prefix):], true
}

// find returns the entry for name, or nil. Without Debug it is a map
// lookup; with Debug the name is checked on disk again.
func (s *staticFiles) find(name string) (*staticEntry, error) {
	e := (*s.files.Load())[name]
	if !s.debug {
		return e, nil
	}
	if e == nil && !validStaticName(name) {
		return nil, nil
	}
	return s.refresh(name, e)
}

// validStaticName reports whether name may be an index name: a clean,
// relative, slash-separated path (no "", "." or ".." parts, no leading or
// trailing slash) without backslashes, NUL bytes or parts that start with
// a dot.
func validStaticName(name string) bool {
	if !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	for part := range strings.SplitSeq(name, "/") {
		if part[0] == '.' {
			return false
		}
	}
	return true
}

// compressedBase returns the name a ".gz" or ".br" sibling belongs to.
func compressedBase(name string) (string, bool) {
	if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".br") {
		return name[:len(name)-3], len(name) > 3
	}
	return "", false
}

// scan walks the file system once and builds the index.
func (s *staticFiles) scan() (map[string]*staticEntry, error) {
	infos := map[string]fs.FileInfo{}
	err := fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if d.Name()[0] == '.' || strings.ContainsAny(d.Name(), "\\\x00") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		var fi fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			// Followed through the file system: os.Root refuses a link
			// that leads outside StaticRoot. A link to a directory is not
			// walked.
			fi, err = fs.Stat(s.fsys, p)
		} else {
			fi, err = d.Info()
		}
		if err == nil && fi.Mode().IsRegular() {
			infos[p] = fi
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	files := make(map[string]*staticEntry, len(infos))
	for name, fi := range infos {
		if base, ok := compressedBase(name); ok && infos[base] != nil {
			continue
		}
		e, err := s.entry(name, fi, infos[name+".br"], infos[name+".gz"])
		if err != nil {
			return nil, err
		}
		files[name] = e
	}
	return files, nil
}

// statRegular returns the FileInfo of name if it is a regular file (a
// link followed), else nil.
func (s *staticFiles) statRegular(name string) fs.FileInfo {
	fi, err := fs.Stat(s.fsys, name)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return fi
}

// refresh checks name on disk again (Debug): at most four stat calls. It
// returns the entry, updated if the file or its siblings changed, or nil
// if it is gone, and records the change in the index.
func (s *staticFiles) refresh(name string, old *staticEntry) (*staticEntry, error) {
	var main, br, gz fs.FileInfo
	if base, ok := compressedBase(name); !ok || s.statRegular(base) == nil {
		main = s.statRegular(name)
	}
	if main == nil {
		if old != nil {
			s.store(name, nil)
		}
		return nil, nil
	}
	br, gz = s.statRegular(name+".br"), s.statRegular(name+".gz")
	if old != nil && old.same(main, br, gz) {
		return old, nil
	}
	e, err := s.entry(name, main, br, gz)
	if err != nil {
		return nil, err
	}
	s.store(name, e)
	return e, nil
}

// same reports whether the entry was built from files of these sizes and
// modification times.
func (e *staticEntry) same(main, br, gz fs.FileInfo) bool {
	want := 1
	for _, fi := range []fs.FileInfo{br, gz} {
		if fi != nil {
			want++
		}
	}
	if len(e.reps) != want {
		return false
	}
	for _, rep := range e.reps {
		fi := main
		switch rep.encoding {
		case "br":
			fi = br
		case "gzip":
			fi = gz
		}
		if fi == nil || fi.Size() != rep.size || !fi.ModTime().Equal(rep.mtime) {
			return false
		}
	}
	return true
}

// store replaces the index with a copy where name maps to e (or is gone,
// for nil): readers never lock.
func (s *staticFiles) store(name string, e *staticEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.files.Load()
	files := make(map[string]*staticEntry, len(old)+1)
	for k, v := range old {
		files[k] = v
	}
	if e == nil {
		delete(files, name)
	} else {
		files[name] = e
	}
	s.files.Store(&files)
}

// entry builds the entry of name from its file and its siblings' (nil
// when absent).
func (s *staticFiles) entry(name string, main, br, gz fs.FileInfo) (*staticEntry, error) {
	e := &staticEntry{name: name, ctype: staticContentType(name), cache: s.cache}
	if s.hashed[name] || isHashedName(name) {
		e.cache = StaticImmutable
	}
	for _, v := range []struct {
		path, encoding string
		fi             fs.FileInfo
	}{{name, "", main}, {name + ".br", "br", br}, {name + ".gz", "gzip", gz}} {
		if v.fi == nil {
			continue
		}
		rep, err := s.rep(v.path, v.encoding, v.fi)
		if err != nil {
			return nil, err
		}
		e.reps = append(e.reps, rep)
	}
	e.vary = len(e.reps) > 1
	return e, nil
}

// rep describes one file. Its ETag is WhiteNoise's, "<mtime>-<size>" in
// hexadecimal, with the encoding added for an encoded sibling so that
// each representation has its own. A file without a modification time
// (an embed.FS) gets an ETag from a hash of its content and the time the
// index was built as Last-Modified.
func (s *staticFiles) rep(path, encoding string, fi fs.FileInfo) (staticRep, error) {
	rep := staticRep{path: path, encoding: encoding, size: fi.Size(), mtime: fi.ModTime()}
	if t := fi.ModTime(); t.Unix() > 0 {
		rep.modified = t.UTC().Truncate(time.Second)
		rep.etag = `"` + strconv.FormatInt(t.Unix(), 16) + "-" + strconv.FormatInt(fi.Size(), 16)
	} else {
		sum, err := s.contentHash(path)
		if err != nil {
			return rep, err
		}
		rep.modified = s.started.UTC().Truncate(time.Second)
		rep.etag = `"` + sum
	}
	if encoding != "" {
		rep.etag += "-" + encoding
	}
	rep.etag += `"`
	return rep, nil
}

func (s *staticFiles) contentHash(path string) (string, error) {
	f, err := s.fsys.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// choose picks the representation for the Accept-Encoding header values.
func (e *staticEntry) choose(acceptEncoding []string) *staticRep {
	if len(e.reps) == 1 || len(acceptEncoding) == 0 {
		return &e.reps[0]
	}
	qbr, qgzip := acceptedEncodings(acceptEncoding)
	best, bestQ := &e.reps[0], 0.0
	for i := range e.reps[1:] {
		rep := &e.reps[i+1]
		q := qgzip
		if rep.encoding == "br" {
			q = qbr
		}
		if q > bestQ { // reps hold br before gzip: br wins a tie
			best, bestQ = rep, q
		}
	}
	return best
}

// acceptedEncodings returns the q-values Accept-Encoding gives br and gzip
// (x-gzip): 0 when not named or refused. "*" names neither, as WhiteNoise,
// so that only clients that name an encoding get it.
func acceptedEncodings(values []string) (br, gzip float64) {
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "br" && coding != "gzip" && coding != "x-gzip" {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // a malformed weight refuses rather than guesses
					}
					q = f
				}
			}
			if coding == "br" {
				br = q
			} else {
				gzip = q
			}
		}
	}
	return br, gzip
}

// notModified evaluates If-None-Match (weak comparison; "*" matches) or,
// when absent, If-Modified-Since, for a GET or HEAD of rep (RFC 9110
// §13.2.2).
func notModified(h http.Header, rep *staticRep) bool {
	if inm := h["If-None-Match"]; len(inm) > 0 {
		return etagListMatches(inm, rep.etag)
	}
	ims := h.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !rep.modified.After(t)
}

// etagListMatches reports whether an If-None-Match list holds "*" or an
// entity tag weakly equal to etag. A malformed list matches nothing.
func etagListMatches(values []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			v = strings.TrimPrefix(v, "W/")
			if v == "" || v[0] != '"' {
				return false
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return false
			}
			if v[:end+2] == want {
				return true
			}
			v = v[end+2:]
		}
	}
	return false
}

// isHashedName reports whether name has CollectStatic's (and Django's)
// hashed form, name.<12 lower-case hex digits>.ext.
func isHashedName(name string) bool {
	root, ext := splitExt(name)
	if ext == "" {
		return false
	}
	_, hash := splitExt(root)
	if len(hash) != 13 {
		return false
	}
	for _, c := range []byte(hash[1:]) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// splitExt splits name as Python's os.path.splitext: the extension is
// from the last dot of the last part, unless only dots come before it
// (".htaccess" has none).
func splitExt(name string) (root, ext string) {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.LastIndexByte(name, '.')
	if dot > slash {
		for i := slash + 1; i < dot; i++ {
			if name[i] != '.' {
				return name[:dot], name[dot:]
			}
		}
	}
	return name, ""
}

// staticContentType returns the Content-Type for name from a fixed table
// (WhiteNoise's, after nginx's, for the web's types), so that it does not
// depend on the machine's mime.types; text types get "charset=utf-8";
// others are application/octet-stream.
func staticContentType(name string) string {
	base := name[strings.LastIndexByte(name, '/')+1:]
	_, ext := splitExt(strings.ToLower(base))
	ct, ok := staticTypes[ext]
	if !ok {
		return "application/octet-stream"
	}
	if strings.HasPrefix(ct, "text/") {
		ct += "; charset=utf-8"
	}
	return ct
}

var staticTypes = map[string]string{
	".avif":        "image/avif",
	".bmp":         "image/x-ms-bmp",
	".br":          "application/x-brotli",
	".css":         "text/css",
	".csv":         "text/csv",
	".eot":         "application/vnd.ms-fontobject",
	".gif":         "image/gif",
	".gz":          "application/gzip",
	".htm":         "text/html",
	".html":        "text/html",
	".ico":         "image/x-icon",
	".jpeg":        "image/jpeg",
	".jpg":         "image/jpeg",
	".js":          "text/javascript",
	".json":        "application/json",
	".jxl":         "image/jxl",
	".map":         "application/json",
	".md":          "text/markdown",
	".mjs":         "text/javascript",
	".mp3":         "audio/mpeg",
	".mp4":         "video/mp4",
	".ogg":         "audio/ogg",
	".otf":         "font/otf",
	".pdf":         "application/pdf",
	".png":         "image/png",
	".svg":         "image/svg+xml",
	".svgz":        "image/svg+xml",
	".tif":         "image/tiff",
	".tiff":        "image/tiff",
	".ttf":         "font/ttf",
	".txt":         "text/plain",
	".wasm":        "application/wasm",
	".webm":        "video/webm",
	".webmanifest": "application/manifest+json",
	".webp":        "image/webp",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".xhtml":       "application/xhtml+xml",
	".xml":         "text/xml",
	".zip":         "application/zip",
}
