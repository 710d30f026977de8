package middleware_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/urls"
)

// hashedAs is the name Django gives content under name: the first 12 hex
// digits of its MD5 before the extension.
func hashedAs(name string, content []byte) string {
	sum := md5.Sum(content)
	h := hex.EncodeToString(sum[:])[:12]
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return dir + base[:i] + "." + h + base[i:]
	}
	return dir + base + "." + h
}

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, content := range files {
		m[name] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	return m
}

func readFile(t testing.TB, root, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(root, name string) bool {
	_, err := os.Lstat(filepath.Join(root, filepath.FromSlash(name)))
	return err == nil
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const collectCSS = `@import "base.css";
@import url('base.css');
.a { background: url(../img/logo.png); }
.b { background: url('../img/logo.png?v=1#frag'); }
.c { background: url( "/static/img/logo.png" ); }
.d { background: url(data:image/png;base64,AAAA); }
.e { background: url(https://example.com/x.png); }
.f { background: url(//cdn.example.com/x.png); }
.g { filter: url(#filter); }
.h { background: url(/elsewhere/x.png); }
/* .old { background: url(missing.png); } */
@font-face { src: url(../fonts/f.eot?#iefix) format("embedded-opentype"); }
.i { background: URL(../img/logo.png); }
`

// collectSources are two sources: the second's css/app.css is a duplicate.
func collectSources() (fstest.MapFS, fstest.MapFS, map[string]string) {
	files := map[string]string{
		"css/app.css":      collectCSS,
		"css/base.css":     "body { background: url(../img/logo.png) }\n",
		"img/logo.png":     "\x89PNG pretend logo",
		"img/photo.jpg":    strings.Repeat("jpeg bytes, already compressed ", 20),
		"fonts/f.eot":      "pretend font",
		"js/app.js":        strings.Repeat("console.log('compress me');\n", 20),
		"robots.txt":       "User-agent: *\n",
		"LICENSE":          "no extension",
		".hidden":          staticSecret,
		"CVS/Entries":      staticSecret,
		"css/old.css~":     staticSecret,
		".git/config":      staticSecret,
		"staticfiles.json": `{"paths": {}, "version": "1.1", "hash": "source"}`,
	}
	second := map[string]string{"css/app.css": "a duplicate", "js/extra.js": "extra"}
	return mapFS(files), mapFS(second), files
}

func TestCollectStatic(t *testing.T) {
	src1, src2, files := collectSources()
	root := filepath.Join(t.TempDir(), "static")
	settings := manouche.Settings{StaticURL: "/static/", StaticRoot: root}
	res, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src1, src2}})
	if err != nil {
		t.Fatal(err)
	}

	// The hashed names, computed here from the expected contents.
	logo := hashedAs("img/logo.png", []byte(files["img/logo.png"]))
	font := hashedAs("fonts/f.eot", []byte(files["fonts/f.eot"]))
	baseOut := "body { background: url(\"../img/" + strings.TrimPrefix(logo, "img/") + "\") }\n"
	base := hashedAs("css/base.css", []byte(baseOut))
	b, l, f := strings.TrimPrefix(base, "css/"), strings.TrimPrefix(logo, "img/"), strings.TrimPrefix(font, "fonts/")
	appOut := `@import url("` + b + `");
@import url("` + b + `");
.a { background: url("../img/` + l + `"); }
.b { background: url("../img/` + l + `?v=1#frag"); }
.c { background: url("/static/img/` + l + `"); }
.d { background: url(data:image/png;base64,AAAA); }
.e { background: url(https://example.com/x.png); }
.f { background: url(//cdn.example.com/x.png); }
.g { filter: url(#filter); }
.h { background: url(/elsewhere/x.png); }
/* .old { background: url(missing.png); } */
@font-face { src: url("../fonts/` + f + `?#iefix") format("embedded-opentype"); }
.i { background: url("../img/` + l + `"); }
`
	app := hashedAs("css/app.css", []byte(appOut))
	wantPaths := map[string]string{
		"css/app.css":   app,
		"css/base.css":  base,
		"img/logo.png":  logo,
		"img/photo.jpg": hashedAs("img/photo.jpg", []byte(files["img/photo.jpg"])),
		"fonts/f.eot":   font,
		"js/app.js":     hashedAs("js/app.js", []byte(files["js/app.js"])),
		"robots.txt":    hashedAs("robots.txt", []byte(files["robots.txt"])),
		"LICENSE":       hashedAs("LICENSE", []byte(files["LICENSE"])),
		"js/extra.js":   hashedAs("js/extra.js", []byte("extra")),
	}
	if !maps.Equal(res.Manifest.Paths, wantPaths) {
		t.Errorf("manifest paths:\n got %v\nwant %v", res.Manifest.Paths, wantPaths)
	}
	if got := string(readFile(t, root, app)); got != appOut {
		t.Errorf("the hashed CSS:\n%s\nwant\n%s", got, appOut)
	}
	if got := string(readFile(t, root, base)); got != baseOut {
		t.Errorf("the hashed base.css: %q, want %q", got, baseOut)
	}
	// Originals are copied as they are, the CSS too; the first source wins.
	for name, content := range files {
		if _, collected := wantPaths[name]; collected {
			if got := string(readFile(t, root, name)); got != content {
				t.Errorf("%s: %.60q, want %.60q", name, got, content)
			}
		}
	}
	for _, name := range []string{".hidden", "CVS", "css/old.css~", ".git"} {
		if exists(root, name) {
			t.Errorf("%s was collected", name)
		}
	}
	if res.Duplicates == nil || !slices.Equal(res.Duplicates, []string{"css/app.css"}) {
		t.Errorf("duplicates %q", res.Duplicates)
	}

	// The manifest on disk is the one returned, the source's replaced.
	m, err := middleware.ReadManifest(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(m.Paths, wantPaths) || m.Version != "1.1" || len(m.Hash) != 12 || m.Hash != res.Manifest.Hash {
		t.Errorf("manifest on disk %+v, returned %+v", m, res.Manifest)
	}
	if raw := string(readFile(t, root, middleware.ManifestName)); !strings.HasPrefix(raw, `{"paths": {"LICENSE": "`) || !strings.HasSuffix(raw, `, "version": "1.1", "hash": "`+m.Hash+`"}`) {
		t.Errorf("manifest not in Django's layout: %s", raw)
	}

	// Compressed siblings: big enough, worth it, of a compressible type.
	gzipped := []string{"css/app.css", app, "js/app.js", wantPaths["js/app.js"]}
	for _, name := range gzipped {
		if got, want := gunzip(t, readFile(t, root, name+".gz")), readFile(t, root, name); !bytes.Equal(got, want) {
			t.Errorf("%s.gz does not hold %s", name, name)
		}
	}
	for _, name := range []string{"css/base.css", base, "robots.txt", "img/photo.jpg", "img/logo.png", "LICENSE"} {
		if exists(root, name+".gz") {
			t.Errorf("%s.gz written", name)
		}
	}
	n := len(wantPaths)
	if res.Copied != n || res.Unmodified != 0 || res.PostProcessed != n || res.Compressed != len(gzipped) {
		t.Errorf("result %+v", res)
	}
	if got, want := res.String(), fmt.Sprintf("%d static files copied to '%s', %d post-processed.", n, root, n); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	// No temporary file is left behind.
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("left behind: %s", p)
		}
		return err
	})

	// Again, nothing changed: nothing is written, modification times stay.
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	res2, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src1, src2}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Copied != 0 || res2.Unmodified != n || res2.PostProcessed != 0 || res2.Compressed != 0 || res2.Manifest.Hash != m.Hash {
		t.Errorf("second run %+v", res2)
	}
	if got, want := res2.String(), fmt.Sprintf("0 static files copied to '%s', %d unmodified.", root, n); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if fi, e := d.Info(); err == nil && e == nil && !d.IsDir() && !fi.ModTime().Equal(old) {
			t.Errorf("%s rewritten by a run that changed nothing", p)
		}
		return err
	})

	// The logo changes: its original and the hashed copies of it and of
	// the CSS that reference it are written; a .br sibling another tool
	// made from the old logo goes, one of an unchanged file stays.
	for _, name := range []string{"img/logo.png.br", "js/app.js.br"} {
		staticWrite(t, root, name, []byte("brotli from another tool"))
	}
	src1["img/logo.png"] = &fstest.MapFile{Data: []byte("\x89PNG a new logo")}
	res3, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src1, src2}})
	if err != nil {
		t.Fatal(err)
	}
	if res3.Copied != 1 || res3.Unmodified != n-1 || res3.PostProcessed != 3 || res3.Manifest.Hash == m.Hash {
		t.Errorf("after a change %+v", res3)
	}
	for _, name := range []string{"img/logo.png", "css/base.css", "css/app.css"} {
		if res3.Manifest.Paths[name] == wantPaths[name] || !exists(root, res3.Manifest.Paths[name]) {
			t.Errorf("%s: hashed name %s, was %s", name, res3.Manifest.Paths[name], wantPaths[name])
		}
		if !exists(root, wantPaths[name]) {
			t.Errorf("the old %s was removed; pages cached with it still need it", wantPaths[name])
		}
	}
	if exists(root, "img/logo.png.br") || !exists(root, "js/app.js.br") {
		t.Errorf("stale .br kept or fresh one removed")
	}
}

// TestCollectStaticCSS checks the rewriting of each kind of reference.
func TestCollectStaticCSS(t *testing.T) {
	others := map[string]string{
		"img/a.png":        "a",
		"img/my pic.png":   "pic",
		"fonts/f.woff":     "woff",
		"css/other.css":    "p { }",
		"css/sub/deep.css": "q { }",
	}
	h := func(name string) string {
		full := hashedAs(name, []byte(others[name]))
		return full[strings.LastIndexByte(full, '/')+1:]
	}
	for _, tc := range []struct{ name, in, want string }{
		{"bare", `url(../img/a.png)`, `url("../img/` + h("img/a.png") + `")`},
		{"single quotes", `url('../img/a.png')`, `url("../img/` + h("img/a.png") + `")`},
		{"double quotes", `url("../img/a.png")`, `url("../img/` + h("img/a.png") + `")`},
		{"spaces", `url(  "../img/a.png"  )`, `url("../img/` + h("img/a.png") + `")`},
		{"upper case", `URL(../img/a.png)`, `url("../img/` + h("img/a.png") + `")`},
		{"escaped space", `url(../img/my%20pic.png)`, `url("../img/my%20pic.` + strings.TrimSuffix(strings.TrimPrefix(h("img/my pic.png"), "my pic."), ".png") + `.png")`},
		{"quoted space", `url("../img/my pic.png")`, `url("../img/` + h("img/my pic.png") + `")`},
		{"under STATIC_URL", `url(/static/img/a.png)`, `url("/static/img/` + h("img/a.png") + `")`},
		{"same directory", `url(other.css)`, `url("` + h("css/other.css") + `")`},
		{"dot slash", `url(./other.css)`, `url("./` + h("css/other.css") + `")`},
		{"down", `url(sub/deep.css)`, `url("sub/` + h("css/sub/deep.css") + `")`},
		{"round trip", `url(../css/sub/../other.css)`, `url("../css/sub/../` + h("css/other.css") + `")`},
		{"query", `url(../img/a.png?v=2)`, `url("../img/` + h("img/a.png") + `?v=2")`},
		{"fragment", `url(../fonts/f.woff#x)`, `url("../fonts/` + h("fonts/f.woff") + `#x")`},
		{"iefix", `url(../fonts/f.woff?#iefix)`, `url("../fonts/` + h("fonts/f.woff") + `?#iefix")`},
		{"import string", `@import 'other.css';`, `@import url("` + h("css/other.css") + `");`},
		{"import double", `@import "other.css" screen;`, `@import url("` + h("css/other.css") + `") screen;`},
		{"import url", `@import url(other.css) screen;`, `@import url("` + h("css/other.css") + `") screen;`},
		{"two on a line", `a{b:url(../img/a.png)}c{d:url(other.css)}`, `a{b:url("../img/` + h("img/a.png") + `")}c{d:url("` + h("css/other.css") + `")}`},
		{"outside STATIC_URL", `url(/media/a.png)`, `url(/media/a.png)`},
		{"scheme", `url(https://example.com/a.png)`, `url(https://example.com/a.png)`},
		{"data", `url(data:image/png;base64,iVBOR=)`, `url(data:image/png;base64,iVBOR=)`},
		{"data upper case", `url(DATA:image/png;base64,iVBOR=)`, `url(DATA:image/png;base64,iVBOR=)`},
		{"protocol-relative", `url(//cdn.example.com/a.png)`, `url(//cdn.example.com/a.png)`},
		{"fragment only", `url(#clip)`, `url(#clip)`},
		{"directory", `url(../img/)`, `url(../img/)`},
		{"empty", `url()`, `url()`},
		{"comment", `/* url(missing.png) */ a { }`, `/* url(missing.png) */ a { }`},
		{"unclosed comment", `a { } /* url(missing.png)`, `a { } /* url(missing.png)`},
		{"no reference", `a { color: red }`, `a { color: red }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(others)
			files["css/t.css"] = tc.in
			root := t.TempDir()
			res, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{
				Settings: manouche.Settings{StaticURL: "/static/", StaticRoot: root}, Sources: []fs.FS{mapFS(files)}})
			if err != nil {
				t.Fatal(err)
			}
			hashed := res.Manifest.Paths["css/t.css"]
			if got := string(readFile(t, root, hashed)); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			if want := hashedAs("css/t.css", []byte(tc.want)); hashed != want {
				t.Errorf("hashed name %s, want %s", hashed, want)
			}
			if got := string(readFile(t, root, "css/t.css")); got != tc.in {
				t.Errorf("the original was changed: %s", got)
			}
		})
	}
}

func TestCollectStaticErrors(t *testing.T) {
	root := t.TempDir()
	settings := manouche.Settings{StaticURL: "/static/", StaticRoot: root}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	var improperly *manouche.ImproperlyConfigured
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		settings manouche.Settings
		sources  []fs.FS
		is       error
		as       any
		msg      string
	}{
		{"missing reference", nil, settings, []fs.FS{mapFS(map[string]string{"css/a.css": "x { background: url(img/missing.png) }"})},
			fs.ErrNotExist, nil, "the CSS file 'css/a.css' references a file which could not be found: css/img/missing.png"},
		{"reference above the root", nil, settings, []fs.FS{mapFS(map[string]string{"css/a.css": "x { background: url(../../x.png) }", "x.png": "x"})},
			fs.ErrNotExist, nil, "could not be found: ../x.png"},
		{"absolute reference missing", nil, settings, []fs.FS{mapFS(map[string]string{"a.css": "x { background: url(/static/nope.png) }"})},
			fs.ErrNotExist, nil, "could not be found: nope.png"},
		{"cycle", nil, settings, []fs.FS{mapFS(map[string]string{"a.css": `@import "b.css";`, "b.css": `@import "a.css";`})},
			nil, nil, "a.css → b.css → a.css"},
		{"self", nil, settings, []fs.FS{mapFS(map[string]string{"a.css": `x { background: url(a.css) }`})},
			nil, nil, "a.css → a.css"},
		{"not UTF-8", nil, settings, []fs.FS{mapFS(map[string]string{"a.css": "x { content: '\xff' }"})},
			nil, nil, "'a.css' is not UTF-8"},
		{"no STATIC_ROOT", nil, manouche.Settings{StaticURL: "/static/"}, nil, nil, &improperly,
			"You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path."},
		{"no STATIC_URL", nil, manouche.Settings{StaticRoot: root}, nil, nil, &improperly,
			"You're using the staticfiles app without having set the required STATIC_URL setting."},
		{"nil source", nil, settings, []fs.FS{nil}, nil, nil, "Sources[0] is nil"},
		{"cancelled", cancelled, settings, []fs.FS{mapFS(map[string]string{"a.txt": "a"})}, context.Canceled, nil, ""},
		{"unreadable root", nil, manouche.Settings{StaticURL: "/static/", StaticRoot: filepath.Join(root, "file", "below")},
			[]fs.FS{mapFS(map[string]string{"a.txt": "a"})}, nil, nil, "collectstatic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unreadable root" {
				staticWrite(t, root, "file", []byte("a file where a directory should be"))
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			res, err := middleware.CollectStatic(ctx, middleware.CollectConfig{Settings: tc.settings, Sources: tc.sources})
			if err == nil {
				t.Fatalf("no error; %v", res)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v is not %v", err, tc.is)
			}
			if tc.as != nil && !errors.As(err, tc.as) {
				t.Errorf("%v (%T) is not an ImproperlyConfigured", err, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// TestCollectStaticSources collects from directories on disk: symbolic
// links to files are followed, and a source's own ".gz" and ".br" are
// collected, kept, and not replaced.
func TestCollectStaticSources(t *testing.T) {
	src := t.TempDir()
	big := strings.Repeat("body { margin: 0 }\n", 30)
	staticWrite(t, src, "css/a.css", []byte(big))
	staticWrite(t, src, "css/a.css.br", []byte("the source's own brotli"))
	staticWrite(t, src, "css/b.css", []byte(big+"/* b */"))
	staticWrite(t, src, "css/b.css.gz", []byte("the source's own gzip"))
	if err := os.Symlink("a.css", filepath.Join(src, "css", "link.css")); err != nil {
		t.Skip(err)
	}
	if err := os.Symlink(filepath.Join(src, "css"), filepath.Join(src, "linkdir")); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	res, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{
		Settings: manouche.Settings{StaticURL: "/static/", StaticRoot: root}, Sources: []fs.FS{os.DirFS(src)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, root, "css/link.css"); string(got) != big {
		t.Errorf("link.css: %q", got)
	}
	if exists(root, "linkdir") {
		t.Error("a linked directory was walked")
	}
	if got := string(readFile(t, root, "css/a.css.br")); got != "the source's own brotli" {
		t.Errorf("a.css.br: %q", got)
	}
	if got := string(readFile(t, root, "css/b.css.gz")); got != "the source's own gzip" {
		t.Errorf("b.css.gz replaced: %q", got)
	}
	if !exists(root, "css/a.css.gz") {
		t.Error("a.css.gz not written")
	}
	if len(res.Manifest.Paths) != 5 {
		t.Errorf("collected %v", slices.Sorted(maps.Keys(res.Manifest.Paths)))
	}
	// NoGzip: no .gz, and a stale one goes when the file changes.
	staticWrite(t, src, "css/a.css", []byte(big+"/* changed */"))
	if _, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{
		Settings: manouche.Settings{StaticURL: "/static/", StaticRoot: root}, Sources: []fs.FS{os.DirFS(src)}, NoGzip: true}); err != nil {
		t.Fatal(err)
	}
	if exists(root, "css/a.css.gz") {
		t.Error("a stale a.css.gz was kept with NoGzip")
	}
	if !exists(root, "css/b.css.gz") || !exists(root, "css/a.css.br") {
		t.Error("a source's own sibling was removed")
	}
}

// TestCollectThenServe collects, then serves the result with Static and
// resolves names with StaticStorage, over a real server.
func TestCollectThenServe(t *testing.T) {
	src1, src2, _ := collectSources()
	root := filepath.Join(t.TempDir(), "static")
	settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/", StaticRoot: root}
	if _, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src1, src2}}); err != nil {
		t.Fatal(err)
	}
	storage, err := middleware.LoadStaticStorage(settings)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := urls.New(appViews())
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path string, hdr ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	u, err := storage.URL("css/app.css")
	if err != nil || !strings.HasPrefix(u, "/static/css/app.") || u == "/static/css/app.css" {
		t.Fatalf("URL: %q, %v", u, err)
	}
	resp, body := get(u, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != middleware.StaticImmutable ||
		resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("%s: %d %v", u, resp.StatusCode, resp.Header)
	}
	if got := gunzip(t, body); !bytes.Contains(got, []byte(`url("../img/logo.`)) {
		t.Errorf("served CSS not rewritten: %s", got)
	}
	if resp, _ := get("/static/css/app.css"); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "max-age=60, public" {
		t.Errorf("original: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if _, err := storage.URL("css/nope.css"); !errors.Is(err, middleware.ErrMissingManifestEntry) {
		t.Errorf("unknown name: %v", err)
	}
}

func TestStaticStorageURL(t *testing.T) {
	m := &middleware.Manifest{Version: "1.1", Paths: map[string]string{
		"css/app.css": "css/app.0123456789ab.css",
		"my file.css": "my file.0123456789ab.css",
		"font.eot":    "font.0123456789ab.eot",
		"a+b&c.js":    "a+b&c.0123456789ab.js",
	}}
	prod := manouche.Settings{StaticURL: "/static/"}
	debug := manouche.Settings{StaticURL: "/static/", Debug: true}
	cdn := manouche.Settings{StaticURL: "https://cdn.example.com/s/"}
	for _, tc := range []struct {
		settings manouche.Settings
		manifest *middleware.Manifest
		name     string
		want     string
		err      string
	}{
		{prod, m, "css/app.css", "/static/css/app.0123456789ab.css", ""},
		{prod, m, "css/nope.css", "", "Missing staticfiles manifest entry for 'css/nope.css'"},
		{prod, m, "css/app.css.map", "", "Missing staticfiles manifest entry for 'css/app.css.map'"},
		{prod, m, "my file.css", "/static/my%20file.0123456789ab.css", ""},
		{prod, m, "my%20file.css", "/static/my%20file.0123456789ab.css", ""},
		{prod, m, " css/app.css ", "/static/css/app.0123456789ab.css", ""},
		{prod, m, "font.eot?#iefix", "/static/font.0123456789ab.eot?#iefix", ""},
		{prod, m, "css/app.css#top", "/static/css/app.0123456789ab.css#top", ""},
		{prod, m, "css/app.css?v=2", "/static/css/app.0123456789ab.css?v=2", ""},
		{prod, m, "a+b&c.js", "/static/a%2Bb%26c.0123456789ab.js", ""},
		{cdn, m, "css/app.css", "https://cdn.example.com/s/css/app.0123456789ab.css", ""},
		{debug, m, "css/app.css", "/static/css/app.css", ""},
		{debug, m, "css/nope.css", "/static/css/nope.css", ""},
		{prod, nil, "css/nope.css", "/static/css/nope.css", ""},
		{prod, nil, "/css/app.css", "/static/css/app.css", ""},
		{prod, nil, "my file.css", "/static/my%20file.css", ""},
	} {
		got, err := middleware.NewStaticStorage(tc.settings, tc.manifest).URL(tc.name)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, middleware.ErrMissingManifestEntry) {
				t.Errorf("URL(%q): %q, %v; want the error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("URL(%q) with Debug %v, manifest %v: %q, %v; want %q", tc.name, tc.settings.Debug, tc.manifest != nil, got, err, tc.want)
		}
	}
}

func TestLoadStaticStorage(t *testing.T) {
	withManifest := t.TempDir()
	// As Django writes it: Python's json.dumps, non-ASCII escaped.
	staticWrite(t, withManifest, middleware.ManifestName, []byte(`{"paths": {"caf\u00e9.css": "caf\u00e9.0123456789ab.css"}, "version": "1.1", "hash": "5f1b1fc1b7b6"}`))
	v10 := t.TempDir()
	staticWrite(t, v10, middleware.ManifestName, []byte(`{"version": "1.0"}`))
	v2 := t.TempDir()
	staticWrite(t, v2, middleware.ManifestName, []byte(`{"paths": {}, "version": "2.0"}`))
	broken := t.TempDir()
	staticWrite(t, broken, middleware.ManifestName, []byte(`{"paths": [`))
	for _, tc := range []struct {
		root, name, want string
		err              error
	}{
		{withManifest, "café.css", "/static/caf%C3%A9.0123456789ab.css", nil},
		{withManifest, "other.css", "", middleware.ErrMissingManifestEntry},
		{v10, "a.css", "", middleware.ErrMissingManifestEntry},
		{t.TempDir(), "a.css", "/static/a.css", nil},
		{"", "a.css", "/static/a.css", nil},
	} {
		s, err := middleware.LoadStaticStorage(manouche.Settings{StaticURL: "/static/", StaticRoot: tc.root})
		if err != nil {
			t.Fatalf("%s: %v", tc.root, err)
		}
		got, err := s.URL(tc.name)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: URL(%q) = %q, %v; want %q, %v", tc.root, tc.name, got, err, tc.want, tc.err)
		}
	}
	for _, root := range []string{v2, broken} {
		if _, err := middleware.LoadStaticStorage(manouche.Settings{StaticURL: "/static/", StaticRoot: root}); !errors.Is(err, middleware.ErrManifestVersion) {
			t.Errorf("%s: %v, want ErrManifestVersion", root, err)
		}
	}
	if _, err := middleware.ReadManifest(os.DirFS(t.TempDir())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no manifest: %v", err)
	}
	if s, _ := middleware.LoadStaticStorage(manouche.Settings{StaticURL: "/static/", StaticRoot: withManifest}); s.Manifest() == nil || s.Manifest().Hash != "5f1b1fc1b7b6" {
		t.Errorf("Manifest() = %+v", s.Manifest())
	}
}
