package middleware_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// FuzzStaticPath sends arbitrary paths below StaticURL (with a method, an
// Accept-Encoding and a Range) through the whole handler with the Static
// middleware, with Debug off and on. The mapping from path to index name
// must never panic and never yield a name outside the index, or other than
// the path itself; the answer is never a 5xx; only indexed names get a
// static answer; only indexed files (and their siblings) are ever opened;
// and every file opened is closed once.
//
//	go test -run x -fuzz FuzzStaticPath -fuzztime 60s ./middleware/
func FuzzStaticPath(f *testing.F) {
	for _, seed := range []string{
		"css/app.css", "css/app.css.gz", "js/app.0123456789ab.js", "link-in.css", "",
		"../outside/secret.txt", "..", "css/../../outside/secret.txt", "..\\outside\\secret.txt",
		"css/app.css\x00.txt", "/etc/passwd", "link-out.txt", "linkdir/secret.txt", ".secret",
		".git/config", "./css/app.css", "css//app.css", "css/app.css/", "%2e%2e/x", "caf\xe9",
		"unicode/caf\u00e9.txt", "with space/file name.txt", "C:\\Windows", "weird\\name.txt",
	} {
		f.Add(seed, uint8(0), "gzip, br", "bytes=0-")
	}
	f.Add("css/app.css", uint8(1), "br;q=0", "bytes=-3,0-1")
	f.Add("css/app.css", uint8(2), "", "bytes=9999-")

	fx := newStaticFixture(f)
	type site struct {
		h     *handler.Handler
		layer middleware.Middleware
		fs    *countFS
		names []string // the index when built
	}
	build := func(debug bool) site {
		root, err := os.OpenRoot(fx.root)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { root.Close() })
		settings := manouche.Settings{AllowedHosts: []string{"*"}, StaticURL: "/static/", StaticRoot: fx.root, Debug: debug}
		cfg := middleware.StaticConfig{Settings: settings, FS: newCountFS(root.FS())}
		conf, err := urls.New(nil)
		if err != nil {
			f.Fatal(err)
		}
		h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
			Middleware: []middleware.Factory{middleware.Static(cfg)}})
		if err != nil {
			f.Fatal(err)
		}
		layer, err := middleware.Static(cfg)(func(*manouche.Request) *manouche.Response { return response.Text("next") })
		if err != nil {
			f.Fatal(err)
		}
		return site{h: h, layer: layer, fs: cfg.FS.(*countFS), names: middleware.StaticIndexNames(layer)}
	}
	sites := []site{build(false), build(true)}
	allowed := map[string]bool{middleware.ManifestName: true}
	for _, name := range sites[0].names {
		allowed[name], allowed[name+".gz"], allowed[name+".br"] = true, true, true
	}

	f.Fuzz(func(t *testing.T, p string, m uint8, acceptEncoding, rng string) {
		method := []string{"GET", "HEAD", "POST", "OPTIONS"}[m%4]
		pathInfo := "/static/" + p
		hr := &http.Request{
			Method: method, URL: &url.URL{Path: pathInfo}, Host: "example.com",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		}
		hr.RequestURI = hr.URL.EscapedPath()
		if acceptEncoding != "" {
			hr.Header.Set("Accept-Encoding", acceptEncoding)
		}
		if rng != "" {
			hr.Header.Set("Range", rng)
		}
		hr = hr.WithContext(t.Context())
		for _, s := range sites {
			// The mapping, on the request the handler builds.
			r := manouche.NewRequest(nil, hr, &manouche.Settings{}, nil, "", manouche.RepercentBrokenUnicode(pathInfo))
			name, found := middleware.StaticLookup(s.layer, r)
			if found && (!slices.Contains(s.names, name) || name != strings.TrimPrefix(r.PathInfo, "/static/")) {
				t.Fatalf("path %q mapped to %q, index %q", p, name, s.names)
			}
			// The whole handler.
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, hr)
			if rec.Code >= 500 {
				t.Fatalf("%s %q: status %d", method, p, rec.Code)
			}
			static := rec.Code == 206 || rec.Code == 304 || rec.Code == 405 || rec.Code == 416 || rec.Code == 200
			if static != found {
				t.Fatalf("%s %q: status %d, indexed %v", method, p, rec.Code, found)
			}
			if strings.Contains(rec.Body.String(), staticSecret) {
				t.Fatalf("%s %q: the secret was served", method, p)
			}
			for opened := range s.fs.openedNames() {
				if !allowed[opened] {
					t.Fatalf("%s %q: opened %q, not in the index", method, p, opened)
				}
			}
			if !s.fs.balanced() || s.fs.doubleCloses.Load() != 0 {
				t.Fatalf("%s %q: files %s", method, p, s.fs)
			}
		}
	})
}
