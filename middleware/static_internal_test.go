package middleware

import (
	"net/http"
	"testing"
	"time"
)

func TestSplitExt(t *testing.T) {
	// Python's os.path.splitext, which Django's hashed_name uses.
	for _, tc := range []struct{ in, root, ext string }{
		{"css/app.css", "css/app", ".css"},
		{"a.tar.gz", "a.tar", ".gz"},
		{"LICENSE", "LICENSE", ""},
		{".htaccess", ".htaccess", ""},
		{"dir/.htaccess", "dir/.htaccess", ""},
		{"..a", "..a", ""},
		{"dir.d/file", "dir.d/file", ""},
		{"a.", "a", "."},
		{"..a.b", "..a", ".b"},
		{"", "", ""},
	} {
		root, ext := splitExt(tc.in)
		if root != tc.root || ext != tc.ext {
			t.Errorf("splitExt(%q) = %q, %q; want %q, %q", tc.in, root, ext, tc.root, tc.ext)
		}
	}
}

func TestIsHashedName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"css/app.0123456789ab.css", true},
		{"a.tar.0123456789ab.gz", true},
		{"app.css", false},
		{"app.0123456789AB.css", false},  // Django's digests are lower case
		{"app.0123456789a.css", false},   // 11 digits
		{"app.0123456789abc.css", false}, // 13 digits
		{"app.0123456789ag.css", false},
		{"LICENSE.0123456789ab", false}, // WhiteNoise's rule needs an extension; the manifest covers it
		{"0123456789ab.css", false},
		{".0123456789ab.css", false},
	} {
		if got := isHashedName(tc.in); got != tc.want {
			t.Errorf("isHashedName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidStaticName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"css/app.css", true},
		{"a", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"css/../x", false},
		{"css/./x", false},
		{"./x", false},
		{"/etc/passwd", false},
		{"css//app.css", false},
		{"css/", false},
		{"..\\x", false},
		{"css\\app.css", false},
		{"app.css\x00.txt", false},
		{".git/config", false},
		{"css/.hidden", false},
		{"C:/x", true}, // a plain name on the slash-separated index
	} {
		if got := validStaticName(tc.in); got != tc.want {
			t.Errorf("validStaticName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestStaticPrefix(t *testing.T) {
	for _, tc := range []struct {
		in     string
		prefix string
		full   bool
		err    bool
	}{
		{"/static/", "/static/", true, false},
		{"static/", "/static/", false, false},
		{"https://cdn.example.com/assets/", "/assets/", true, false},
		{"//cdn.example.com/assets/", "/assets/", true, false},
		{"https://cdn.example.com", "", false, true},
		{"http://[::1/", "", false, true},
	} {
		prefix, full, err := staticPrefix(tc.in)
		if (err != nil) != tc.err || prefix != tc.prefix || full != tc.full {
			t.Errorf("staticPrefix(%q) = %q, %v, %v; want %q, %v, error %v", tc.in, prefix, full, err, tc.prefix, tc.full, tc.err)
		}
	}
}

func TestChooseEncoding(t *testing.T) {
	e := &staticEntry{reps: []staticRep{{encoding: ""}, {encoding: "br"}, {encoding: "gzip"}}}
	gzOnly := &staticEntry{reps: []staticRep{{encoding: ""}, {encoding: "gzip"}}}
	for _, tc := range []struct {
		entry *staticEntry
		ae    []string
		want  string
	}{
		{e, nil, ""},
		{e, []string{""}, ""},
		{e, []string{"gzip"}, "gzip"},
		{e, []string{"gzip, deflate, br"}, "br"},
		{e, []string{"gzip", "br"}, "br"}, // two header lines
		{e, []string{"br;q=0, gzip"}, "gzip"},
		{e, []string{"br; q=0.5, gzip;q=0.8"}, "gzip"},
		{e, []string{"br;q=0.8, gzip;q=0.8"}, "br"},
		{e, []string{"br;q=0, gzip;q=0"}, ""},
		{e, []string{"*"}, ""},
		{e, []string{"*;q=1"}, ""},
		{e, []string{"x-gzip"}, "gzip"},
		{e, []string{"GZIP"}, "gzip"},
		{e, []string{"br;q=nonsense, gzip"}, "gzip"},
		{e, []string{"br;q=2"}, ""},
		{e, []string{"identity"}, ""},
		{e, []string{"brotli, gzipped"}, ""},
		{gzOnly, []string{"br"}, ""},
		{gzOnly, []string{"br, gzip;q=0.1"}, "gzip"},
	} {
		if got := tc.entry.choose(tc.ae).encoding; got != tc.want {
			t.Errorf("choose(%q) with %d reps = %q, want %q", tc.ae, len(tc.entry.reps), got, tc.want)
		}
	}
}

func TestNotModified(t *testing.T) {
	lm := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := &staticRep{etag: `"abc-10"`, modified: lm}
	for _, tc := range []struct {
		name string
		hdr  http.Header
		want bool
	}{
		{"none", http.Header{}, false},
		{"INM equal", http.Header{"If-None-Match": {`"abc-10"`}}, true},
		{"INM weak", http.Header{"If-None-Match": {`W/"abc-10"`}}, true},
		{"INM in a list", http.Header{"If-None-Match": {`"x", W/"y" ,"abc-10"`}}, true},
		{"INM second line", http.Header{"If-None-Match": {`"x"`, `"abc-10"`}}, true},
		{"INM star", http.Header{"If-None-Match": {`*`}}, true},
		{"INM other", http.Header{"If-None-Match": {`"abc-11"`}}, false},
		{"INM with a comma inside", http.Header{"If-None-Match": {`"abc-10,"`}}, false},
		{"INM unquoted", http.Header{"If-None-Match": {`abc-10`}}, false},
		{"INM unclosed", http.Header{"If-None-Match": {`"abc-10`}}, false},
		{"INM beats IMS", http.Header{"If-None-Match": {`"zzz"`}, "If-Modified-Since": {lm.Format(http.TimeFormat)}}, false},
		{"IMS equal", http.Header{"If-Modified-Since": {lm.Format(http.TimeFormat)}}, true},
		{"IMS later", http.Header{"If-Modified-Since": {lm.Add(time.Hour).Format(http.TimeFormat)}}, true},
		{"IMS earlier", http.Header{"If-Modified-Since": {lm.Add(-time.Second).Format(http.TimeFormat)}}, false},
		{"IMS RFC 850", http.Header{"If-Modified-Since": {"Friday, 02-Jan-26 03:04:05 GMT"}}, true},
		{"IMS garbage", http.Header{"If-Modified-Since": {"yesterday"}}, false},
	} {
		if got := notModified(tc.hdr, rep); got != tc.want {
			t.Errorf("%s: notModified = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStaticContentType(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"css/app.css", "text/css; charset=utf-8"},
		{"js/app.0123456789ab.js", "text/javascript; charset=utf-8"},
		{"IMG/LOGO.PNG", "image/png"},
		{"fonts/f.woff2", "font/woff2"},
		{"data.json", "application/json"},
		{"app.js.map", "application/json"},
		{"LICENSE", "application/octet-stream"},
		{"archive.unknownext", "application/octet-stream"},
		{".htaccess", "application/octet-stream"},
		{"dir.css/file", "application/octet-stream"},
	} {
		if got := staticContentType(tc.name); got != tc.want {
			t.Errorf("staticContentType(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestManifestEncoding(t *testing.T) {
	// The expected bytes and hash come from Python:
	// json.dumps(payload) and md5(json.dumps(sorted(paths.items()))).
	paths := map[string]string{
		"css/app.css":   "css/app.0123456789ab.css",
		"café/über.txt": "café/über.aaaaaaaaaaaa.txt",
		"img/😀.png":     "img/😀.bbbbbbbbbbbb.png",
		"q\"\\\\.js":    "q\"\\\\.cccccccccccc.js",
	}
	if got, want := manifestHash(paths), "7ce5a303202a"; got != want {
		t.Errorf("manifestHash = %q, want Django's %q", got, want)
	}
	m := &Manifest{Paths: paths, Version: "1.1", Hash: "7ce5a303202a"}
	want := `{"paths": {"caf\u00e9/\u00fcber.txt": "caf\u00e9/\u00fcber.aaaaaaaaaaaa.txt", "css/app.css": "css/app.0123456789ab.css", "img/\ud83d\ude00.png": "img/\ud83d\ude00.bbbbbbbbbbbb.png", "q\"\\\\.js": "q\"\\\\.cccccccccccc.js"}, "version": "1.1", "hash": "7ce5a303202a"}`
	if got := string(m.encode()); got != want {
		t.Errorf("manifest encoding:\n got %s\nwant %s", got, want)
	}
	for in, want := range map[string]string{
		"a\nb\tc\x01\x7f": `"a\nb\tc\u0001` + "\x7f" + `"`,
		"\b\f\r":          `"\b\f\r"`,
	} {
		if got := pyJSONString(in); got != want {
			t.Errorf("pyJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFilepathToURI(t *testing.T) {
	for in, want := range map[string]string{
		"css/app.css":           "css/app.css",
		"my file (1).css":       "my%20file%20(1).css",
		"a?b#c%d":               "a%3Fb%23c%25d",
		"~user/!*'.txt":         "~user/!*'.txt",
		"café.txt":              "caf%C3%A9.txt",
		"a+b=c&d;e,f:g@h$i.css": "a%2Bb%3Dc%26d%3Be%2Cf%3Ag%40h%24i.css",
	} {
		if got := filepathToURI(in); got != want {
			t.Errorf("filepathToURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSSComments(t *testing.T) {
	css := "a /* one */ b /* two\n */ c /* open"
	got := cssComments(css)
	want := [][2]int{{2, 11}, {14, 24}, {27, len(css)}}
	if len(got) != len(want) {
		t.Fatalf("cssComments = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("cssComments = %v, want %v", got, want)
		}
	}
}
