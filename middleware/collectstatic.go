package middleware

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/manouche/manouche"
)

// CollectConfig configures CollectStatic.
type CollectConfig struct {
	// Settings gives StaticRoot, the directory the files are collected
	// into, and StaticURL, by which absolute url()s in CSS that point at
	// static files are recognised. Both are required.
	Settings manouche.Settings
	// Sources are the directories to collect, Django's STATICFILES_DIRS
	// and the apps' static directories, as file systems (os.DirFS(dir), an
	// embed.FS). A name found in several is taken from the first and
	// ignored in the others, as Django's finders do.
	Sources []fs.FS
	// NoGzip turns the ".gz" siblings off.
	NoGzip bool
}

// CollectResult says what CollectStatic did.
type CollectResult struct {
	// Root is the directory collected into.
	Root string
	// Copied counts the files written to Root, new or changed;
	// Unmodified those already there with the same content.
	Copied, Unmodified int
	// PostProcessed counts the hashed copies written.
	PostProcessed int
	// Compressed counts the ".gz" siblings written.
	Compressed int
	// Duplicates lists the names found again in a later source, and so
	// ignored (Django's "Found another file with the destination path").
	Duplicates []string
	// Manifest is the manifest written to Root/staticfiles.json.
	Manifest *Manifest
}

// String is Django's summary line: "3 static files copied to
// '/srv/static', 1 unmodified, 4 post-processed."
func (r *CollectResult) String() string {
	s := fmt.Sprintf("%d static file", r.Copied)
	if r.Copied != 1 {
		s += "s"
	}
	s += fmt.Sprintf(" copied to '%s'", r.Root)
	if r.Unmodified > 0 {
		s += fmt.Sprintf(", %d unmodified", r.Unmodified)
	}
	if r.PostProcessed > 0 {
		s += fmt.Sprintf(", %d post-processed", r.PostProcessed)
	}
	return s + "."
}

// compressMinSize is the size under which a file is not compressed (as
// Django's GZipMiddleware); a ".gz" is kept only when it is at most 95 %
// of the original (WhiteNoise's rule).
const compressMinSize = 200

// skipCompress are WhiteNoise's extensions not worth compressing.
var skipCompress = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".avif": true, ".jxl": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".tbz": true, ".xz": true, ".br": true, ".zst": true,
	".swf": true, ".flv": true, ".woff": true, ".woff2": true,
	".3gp": true, ".3gpp": true, ".asf": true, ".avi": true, ".m4v": true, ".mov": true, ".mp4": true,
	".mpeg": true, ".mpg": true, ".webm": true, ".wmv": true, ".mp3": true, ".ogg": true,
}

// CollectStatic is Django's collectstatic with ManifestStaticFilesStorage,
// and WhiteNoise's compression, in one step:
//
//   - every file of the sources is copied into StaticRoot under its name
//     (names with a part that is "CVS", starts with "." or ends with "~"
//     are ignored, as Django's default ignore patterns; so are files that
//     are not regular, directories reached through a symbolic link, and a
//     source's own staticfiles.json);
//   - next to it goes a content-hashed copy, name.<first 12 hex digits of
//     the MD5 of the content>.ext ("css/app.3c9fe4a5b2d1.css"), as Django
//     names them;
//   - in CSS files, url(...) and @import "..." references to other
//     collected files, relative or under StaticURL, are rewritten in the
//     hashed copy to the hashed names (as url("...")), and the copy is
//     hashed after the rewrite, so a CSS file's name changes when a file
//     it references does; a reference to a file not collected is an
//     error naming both, and CSS files referencing each other in a cycle
//     are an error (Django's "Max post-process passes exceeded.");
//   - unless NoGzip, a ".gz" sibling (gzip level 9, no name or time in
//     the header, so the same input gives the same bytes) is written for
//     each file and hashed copy of at least 200 bytes whose type is worth
//     compressing, when it saves at least 5 %; brotli is not produced
//     (the standard library has no encoder), but ".br" files of the
//     sources are collected and served;
//   - last, the manifest, Root/staticfiles.json, in Django's format
//     ({"paths": {...}, "version": "1.1", "hash": "..."}), which
//     StaticStorage and the Static middleware read.
//
// Every file is written through a temporary file renamed into place, and
// only when its content changed, so a running server never sees half a
// file and unchanged files keep their ETags. When a file's content
// changes, a ".br" (or, with NoGzip, ".gz") sibling left in StaticRoot by
// another tool is removed, since it no longer matches.
//
// It is meant for a command run before the server starts, as Django's
// "manage.py collectstatic"; the example app wires it as a subcommand:
//
//	res, err := middleware.CollectStatic(ctx, middleware.CollectConfig{
//		Settings: settings, // StaticRoot: "/srv/static", StaticURL: "/static/"
//		Sources:  []fs.FS{os.DirFS("static"), os.DirFS("polls/static")},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(res) // 12 static files copied to '/srv/static', 12 post-processed.
//
// A server running without Debug indexes StaticRoot when it starts:
// restart it after collecting.
func CollectStatic(ctx context.Context, cfg CollectConfig) (*CollectResult, error) {
	st := cfg.Settings
	if st.StaticRoot == "" {
		return nil, manouche.Improperlyf("You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path.")
	}
	if st.StaticURL == "" {
		return nil, manouche.Improperlyf("You're using the staticfiles app without having set the required STATIC_URL setting.")
	}
	c := &collector{
		ctx:       ctx,
		staticURL: st.StaticURL,
		root:      st.StaticRoot,
		files:     map[string]*collectFile{},
		res:       &CollectResult{Root: st.StaticRoot},
		gzip:      !cfg.NoGzip,
	}
	for i, src := range cfg.Sources {
		if src == nil {
			return nil, fmt.Errorf("collectstatic: CollectConfig.Sources[%d] is nil", i)
		}
		if err := c.find(i, src); err != nil {
			return nil, err
		}
	}
	slices.Sort(c.names)
	for _, name := range c.names {
		if _, err := c.hashedName(name); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(c.root, 0o755); err != nil {
		return nil, fmt.Errorf("collectstatic: %w", err)
	}
	paths := make(map[string]string, len(c.names))
	for _, name := range c.names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := c.write(c.files[name]); err != nil {
			return nil, err
		}
		paths[name] = c.files[name].hashed
	}
	m := &Manifest{Paths: paths, Version: ManifestVersion, Hash: manifestHash(paths)}
	body := m.encode()
	if _, err := writeIfChanged(filepath.Join(c.root, ManifestName), func(w io.Writer) error {
		_, err := w.Write(body)
		return err
	}, nil); err != nil {
		return nil, fmt.Errorf("collectstatic: writing the manifest: %w", err)
	}
	c.res.Manifest = m
	return c.res, nil
}

// collectFile is one collected name.
type collectFile struct {
	name      string
	src       fs.FS
	css       bool
	original  []byte // a CSS file's content
	processed []byte // a CSS file's content with the references hashed
	size      int64  // of the hashed copy's content
	hashed    string // "" until hashed
}

type collector struct {
	ctx       context.Context
	staticURL string
	root      string
	gzip      bool
	files     map[string]*collectFile
	names     []string
	visiting  []string // CSS files being hashed, outermost first
	res       *CollectResult
}

// ignoredName is Django's default ignore patterns: "CVS", ".*", "*~".
func ignoredName(base string) bool {
	return base == "CVS" || strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~")
}

// find lists the files of source i.
func (c *collector) find(i int, src fs.FS) error {
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := c.ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if ignoredName(d.Name()) || strings.ContainsAny(d.Name(), "\\\x00") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || p == ManifestName {
			return nil
		}
		regular := d.Type().IsRegular()
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := fs.Stat(src, p)
			regular = err == nil && fi.Mode().IsRegular()
		}
		if !regular {
			return nil
		}
		if c.files[p] != nil {
			c.res.Duplicates = append(c.res.Duplicates, p)
			return nil
		}
		c.files[p] = &collectFile{name: p, src: src, css: strings.HasSuffix(p, ".css")}
		c.names = append(c.names, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("collectstatic: source %d: %w", i, err)
	}
	return nil
}

// errNotCollected marks a name that no source has.
var errNotCollected = errors.New("not collected")

// hashedName returns the hashed name of a collected file, hashing it (and,
// for a CSS file, rewriting it and the CSS files it references first).
func (c *collector) hashedName(name string) (string, error) {
	f := c.files[name]
	if f == nil {
		return "", errNotCollected
	}
	if f.hashed != "" {
		return f.hashed, nil
	}
	if !f.css {
		h := md5.New()
		n, err := copyFrom(h, f.src, name)
		if err != nil {
			return "", fmt.Errorf("collectstatic: %w", err)
		}
		f.size = n
		f.hashed = hashedFileName(name, h)
		return f.hashed, nil
	}
	if i := slices.Index(c.visiting, name); i >= 0 {
		return "", fmt.Errorf("collectstatic: the CSS files %s reference each other in a cycle, so none can be named by its content (Django: Max post-process passes exceeded.)",
			strings.Join(append(slices.Clone(c.visiting[i:]), name), " → "))
	}
	c.visiting = append(c.visiting, name)
	defer func() { c.visiting = c.visiting[:len(c.visiting)-1] }()
	b, err := fs.ReadFile(f.src, name)
	if err != nil {
		return "", fmt.Errorf("collectstatic: %w", err)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("collectstatic: the CSS file '%s' is not UTF-8", name)
	}
	out, err := c.rewriteCSS(name, string(b))
	if err != nil {
		return "", err
	}
	f.original, f.processed, f.size = b, []byte(out), int64(len(out))
	h := md5.New()
	h.Write(f.processed)
	f.hashed = hashedFileName(name, h)
	return f.hashed, nil
}

// hashedFileName is Django's hashed_name: root.<12 hex digits>.ext.
func hashedFileName(name string, h hash.Hash) string {
	root, ext := splitExt(name)
	return root + "." + hex.EncodeToString(h.Sum(nil))[:12] + ext
}

// The CSS references rewritten: url(...) (quoted or not) and
// @import "...". Go's regexp has no back-references, so quotes are
// matched in pairs here, and spaces inside url( ) are allowed, where
// Django's pattern takes them into the URL.
var (
	cssURL    = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^"'()\s]*))\s*\)`)
	cssImport = regexp.MustCompile(`(?i)@import\s*(?:"([^"]*)"|'([^']*)')`)
	urlScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// rewriteCSS rewrites the references of the CSS file name to hashed
// names: url(...) first, then @import "..." (which becomes
// @import url("...")), as Django's patterns run. References inside
// /* comments */ are left alone, so a commented-out file is not required.
func (c *collector) rewriteCSS(name, css string) (string, error) {
	for _, p := range []struct {
		re       *regexp.Regexp
		template string
	}{{cssURL, `url("%s")`}, {cssImport, `@import url("%s")`}} {
		comments := cssComments(css)
		var b strings.Builder
		last := 0
		for _, m := range p.re.FindAllStringSubmatchIndex(css, -1) {
			if inSpans(comments, m[0]) {
				continue
			}
			var ref string
			for g := 1; g < len(m)/2; g++ {
				if m[2*g] >= 0 {
					ref = css[m[2*g]:m[2*g+1]]
					break
				}
			}
			out, ok, err := c.convertRef(name, ref)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			b.WriteString(css[last:m[0]])
			fmt.Fprintf(&b, p.template, strings.ReplaceAll(out, `"`, "%22"))
			last = m[1]
		}
		b.WriteString(css[last:])
		css = b.String()
	}
	return css, nil
}

// cssComments returns the [start, end) spans of the comments of css; an
// unclosed one runs to the end.
func cssComments(css string) [][2]int {
	var spans [][2]int
	for off := 0; ; {
		i := strings.Index(css[off:], "/*")
		if i < 0 {
			return spans
		}
		start := off + i
		j := strings.Index(css[start+2:], "*/")
		if j < 0 {
			return append(spans, [2]int{start, len(css)})
		}
		off = start + 2 + j + 2
		spans = append(spans, [2]int{start, off})
	}
}

func inSpans(spans [][2]int, at int) bool {
	for _, s := range spans {
		if at >= s[0] && at < s[1] {
			return true
		}
	}
	return false
}

// convertRef is Django's url_converter: it returns the hashed form of the
// reference ref found in the CSS file name, keeping its directory part,
// query and fragment as written; ok is false for a reference left alone
// (a URL with a scheme, "//host/…", an absolute path outside StaticURL, a
// bare fragment, a directory).
func (c *collector) convertRef(name, ref string) (out string, ok bool, err error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || urlScheme.MatchString(ref) || strings.HasPrefix(ref, "//") {
		return "", false, nil
	}
	if strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, c.staticURL) {
		return "", false, nil
	}
	urlPath, frag, hasFrag := strings.Cut(ref, "#")
	pathPart, query, hasQuery := strings.Cut(urlPath, "?")
	if pathPart == "" || strings.HasSuffix(pathPart, "/") {
		return "", false, nil
	}
	var target string
	if strings.HasPrefix(pathPart, "/") {
		target = strings.TrimPrefix(pathPart, c.staticURL)
	} else {
		target = path.Join(path.Dir(name), pathPart)
	}
	if t, err := url.PathUnescape(target); err == nil {
		target = t
	}
	target = path.Clean(target)
	hashed, err := c.hashedName(target)
	if errors.Is(err, errNotCollected) {
		return "", false, fmt.Errorf("collectstatic: the CSS file '%s' references a file which could not be found: %s: %w", name, target, fs.ErrNotExist)
	}
	if err != nil {
		return "", false, err
	}
	dir := pathPart[:strings.LastIndexByte(pathPart, '/')+1]
	written := pathPart[len(dir):]
	targetBase := target[strings.LastIndexByte(target, '/')+1:]
	hashedBase := hashed[strings.LastIndexByte(hashed, '/')+1:]
	troot, text := splitExt(targetBase)
	wroot, wext := splitExt(written)
	var base string
	if wext == text {
		// The name as written, percent-escapes and all, with the hash
		// put in before its extension.
		base = wroot + hashedBase[len(troot):len(hashedBase)-len(text)] + wext
	} else {
		base = filepathToURI(hashedBase)
	}
	out = dir + base
	if hasQuery {
		out += "?" + query
	}
	if hasFrag {
		out += "#" + frag
	}
	return out, true, nil
}

// write puts f, its hashed copy and their ".gz" siblings into the root.
func (c *collector) write(f *collectFile) error {
	dst := filepath.Join(c.root, filepath.FromSlash(f.name))
	produce := func(w io.Writer) error { _, err := copyFrom(w, f.src, f.name); return err }
	produceHashed := produce
	if f.css {
		produce = func(w io.Writer) error { _, err := w.Write(f.original); return err }
		produceHashed = func(w io.Writer) error { _, err := w.Write(f.processed); return err }
	}
	wrote, err := writeIfChanged(dst, produce, nil)
	if err != nil {
		return fmt.Errorf("collectstatic: %w", err)
	}
	if wrote {
		c.res.Copied++
		// A sibling made from the old content by another tool is wrong now.
		for _, ext := range []string{".br", ".gz"} {
			if c.files[f.name+ext] == nil && (ext == ".br" || !c.gzip) {
				if err := os.Remove(dst + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("collectstatic: %w", err)
				}
			}
		}
	} else {
		c.res.Unmodified++
	}

	hdst := filepath.Join(c.root, filepath.FromSlash(f.hashed))
	// A hashed name is its content's: one already there is complete,
	// since every file is renamed into place whole.
	if fi, err := os.Stat(hdst); err != nil || !fi.Mode().IsRegular() || fi.Size() != f.size {
		if _, err := writeIfChanged(hdst, produceHashed, nil); err != nil {
			return fmt.Errorf("collectstatic: %w", err)
		}
		c.res.PostProcessed++
	}
	if !c.gzip {
		return nil
	}
	origSize := f.size
	if f.css {
		origSize = int64(len(f.original))
	}
	if err := c.compress(f.name, origSize, produce); err != nil {
		return err
	}
	return c.compress(f.hashed, f.size, produceHashed)
}

// compress writes the ".gz" sibling of name, whose content has size
// bytes, or removes a stale one when the file is not worth compressing; a
// ".gz" the sources have is left alone.
func (c *collector) compress(name string, size int64, produce func(io.Writer) error) error {
	if c.files[name+".gz"] != nil {
		return nil
	}
	dst := filepath.Join(c.root, filepath.FromSlash(name)) + ".gz"
	worth := func(n int64) bool { return n*100 <= size*95 }
	if size < compressMinSize || skipCompress[strings.ToLower(path.Ext(name))] {
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("collectstatic: %w", err)
		}
		return nil
	}
	wrote, err := writeIfChanged(dst, func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := produce(zw); err != nil {
			return err
		}
		return zw.Close()
	}, worth)
	if err != nil {
		return fmt.Errorf("collectstatic: %w", err)
	}
	if wrote {
		c.res.Compressed++
	}
	return nil
}

// copyFrom copies the file name of src to w.
func copyFrom(w io.Writer, src fs.FS, name string) (int64, error) {
	f, err := src.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return n, fmt.Errorf("reading %s: %w", name, err)
	}
	return n, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// writeIfChanged writes what produce writes to dst through a temporary
// file in the same directory, renamed into place, unless dst already
// holds those very bytes (it is then left alone, its modification time
// too). With keep, output for which keep(size) is false is not written
// and dst is removed. It reports whether dst was written.
func writeIfChanged(dst string, produce func(io.Writer) error, keep func(size int64) bool) (wrote bool, err error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return false, err
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	cw := &countWriter{}
	if err := produce(io.MultiWriter(tmp, h, cw)); err != nil {
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if keep != nil && !keep(cw.n) {
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return false, nil
	}
	if same, err := sameContent(dst, cw.n, h.Sum(nil)); err != nil || same {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return false, err
	}
	renamed = true
	return true, nil
}

// sameContent reports whether the file p has size bytes whose MD5 is sum.
func sameContent(p string, size int64, sum []byte) (bool, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return false, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return bytes.Equal(h.Sum(nil), sum), nil
}
