package manouche_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/manouche/manouche"
)

// Fuzz targets for every parser of outside input (DESIGN promise 7): bad
// input never panics and only ever gives the documented error kinds.

func FuzzParseQuery(f *testing.F) {
	// SEMANTICS 6, 101
	for _, seed := range []string{"", "a=1&a=2&a=3", "want=caf%C3%A9", "want=caf\xe9", "%E9&&=+%zz%", "a=%ED%A0%80;b"} {
		f.Add(seed, -1)
		f.Add(seed, 2)
	}
	f.Fuzz(func(t *testing.T, raw string, max int) {
		q, err := manouche.ParseQuery(raw, max)
		if err != nil {
			if !errors.Is(err, manouche.ErrTooManyFieldsSent) || manouche.StatusFor(err) != 400 || max < 0 {
				t.Fatalf("%q max %d: unexpected error %v", raw, max, err)
			}
			return
		}
		if max >= 0 && raw != "" && 1+strings.Count(raw, "&") > max {
			t.Fatalf("%q max %d: limit not applied", raw, max)
		}
		for _, k := range q.Keys() {
			if !utf8.ValidString(k) {
				t.Fatalf("key %q not UTF-8", k)
			}
			for _, v := range q.GetList(k) {
				if !utf8.ValidString(v) {
					t.Fatalf("value %q not UTF-8", v)
				}
			}
		}
		again, err := manouche.ParseQuery(q.Encode(), -1)
		if err != nil || !reflect.DeepEqual(prPairs(q), prPairs(again)) {
			t.Fatalf("%q: round trip %q → %q (%v)", raw, prPairs(q), prPairs(again), err)
		}
	})
}

func FuzzParseCookies(f *testing.F) {
	// SEMANTICS 7
	for _, seed := range []string{"a=b; c=d", `keebler="E=mc2; L=\"Loves\"; fudge=\012;"`, "x=W\x03c(h]\x8e", `a="\377\"`, "  =  b  ;  ;  =  ;"} {
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		headers := []string{h1}
		if h2 != "" {
			headers = append(headers, h2)
		}
		m := manouche.ParseCookies(headers)
		if m == nil {
			t.Fatal("nil map")
		}
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				t.Fatalf("%q=%q not UTF-8", k, v)
			}
			if strings.Contains(k, ";") || k != strings.TrimSpace(k) {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

func FuzzValidateHost(f *testing.F) {
	// SEMANTICS 99
	for _, seed := range []string{"example.com", "EXAMPLE.com:80", "[2001:19f0:feee::dead:beef:cafe]:8080", "example.com@evil.tld",
		"example.com: recovermypassword.com", "bad_host:8000", "a'b\"\x00\xff", "[::1]:", "sub.multitenant.com."} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, host string, xfh bool) {
		s := &manouche.Settings{AllowedHosts: []string{"example.com", ".multitenant.com", "[::1]"}, UseXForwardedHost: xfh}
		r := prRequest(t, "GET", "/", nil, "", s)
		r.HTTP().Host = "example.com"
		if xfh {
			r.Header().Set("X-Forwarded-Host", host)
		} else {
			r.HTTP().Host = host
		}
		got, err := r.Host()
		domain, _ := manouche.SplitDomainPort(host)
		if err != nil {
			var so *manouche.SuspiciousOperation
			if !errors.As(err, &so) || so.Kind != "DisallowedHost" || manouche.StatusFor(err) != 400 {
				t.Fatalf("%q: unexpected error %v", host, err)
			}
			if !utf8.ValidString(so.Message) || !strings.HasPrefix(so.Message, "Invalid HTTP_HOST header: ") {
				t.Fatalf("%q: message %q", host, so.Message)
			}
			if domain != "" && manouche.ValidateHost(domain, s.AllowedHosts) && (xfh || host != "") {
				t.Fatalf("%q: refused an allowed host", host)
			}
			return
		}
		if xfh || host != "" {
			if got != host || domain == "" || !manouche.ValidateHost(domain, s.AllowedHosts) {
				t.Fatalf("%q: accepted as %q (domain %q)", host, got, domain)
			}
		}
		if d, _ := manouche.SplitDomainPort(got); d == "" || strings.ContainsAny(d, "/@ _\x00") {
			t.Fatalf("%q: accepted domain %q", got, d)
		}
	})
}

func FuzzMultipart(f *testing.F) {
	// SEMANTICS 10, 100–103
	var b bytes.Buffer
	if err := prMultipartWriter(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes(), "multipart/form-data; boundary=boundary")
	f.Add([]byte(prJoin("--boundary", `Content-Disposition: form-data; name="a"; filename*=UTF-8''%C3%A9.txt`, "Content-Transfer-Encoding: base64", "", "aGk=", "--boundary--")), prMultipartCT)
	f.Add([]byte(prJoin("--boundary", `Content-Disposition: form-data; name="a"`, "", "1")), prMultipartCT)
	f.Add([]byte("a=1&a=2"), "application/x-www-form-urlencoded; charset=utf-8")
	f.Add([]byte("x"), "multipart/form-data; boundary=WRONG\x07")
	f.Add([]byte("x"), "multipart/form-data; boundary=\"a;b\"; x*=bad'enc'%zz")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		dir := t.TempDir()
		s := &manouche.Settings{
			DataUploadMaxMemorySize:   64,
			DataUploadMaxNumberFields: 8,
			DataUploadMaxNumberFiles:  4,
			FileUploadMaxMemorySize:   16,
			FileUploadTempDir:         dir,
		}
		hr := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		hr.Header.Set("Content-Type", ctype)
		r := manouche.NewRequest(nil, hr, s, nil, "", hr.URL.Path)
		post, err := r.POST()
		files, ferr := r.FILES()
		if ferr != err {
			t.Fatalf("FILES error %v, POST error %v", ferr, err)
		}
		if post == nil || files == nil {
			t.Fatal("nil POST or FILES")
		}
		if err != nil {
			var (
				mpe *manouche.MultiPartParserError
				so  *manouche.SuspiciousOperation
				br  *manouche.BadRequest
			)
			if !errors.As(err, &mpe) && !errors.As(err, &so) && !errors.As(err, &br) {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
			if manouche.StatusFor(err) != 400 {
				t.Fatalf("status %d for %v", manouche.StatusFor(err), err)
			}
			if post.Len() != 0 || files.Len() != 0 {
				t.Fatal("POST or FILES not empty after an error")
			}
		}
		for _, k := range post.Keys() {
			for _, v := range post.GetList(k) {
				if !utf8.ValidString(k) || !utf8.ValidString(v) {
					t.Fatalf("%q=%q not UTF-8", k, v)
				}
			}
		}
		for _, k := range files.Keys() {
			for _, u := range files.GetList(k) {
				if u.Name == "" || u.Name == "." || u.Name == ".." || strings.ContainsAny(u.Name, "/\\") {
					t.Fatalf("unsafe file name %q", u.Name)
				}
				rc, err := u.Open()
				if err != nil {
					t.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != u.Size {
					t.Fatalf("read %d of %d: %v", n, u.Size, err)
				}
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Fatalf("temp files left after Close: %q", left)
		}
		if _, err := os.Stat(dir); err != nil {
			t.Fatal(err)
		}
	})
}

func prMultipartWriter(b *bytes.Buffer) error {
	w := bytes.NewBufferString(prJoin("--boundary",
		`Content-Disposition: form-data; name="field"`, "", "value",
		"--boundary",
		`Content-Disposition: form-data; name="file"; filename="../a.txt"`, "Content-Type: text/plain", "", prRepeat("z", 40),
		"--boundary--", ""))
	_, err := b.ReadFrom(w)
	return err
}

func TestRepercentBrokenUnicode(t *testing.T) {
	// SEMANTICS 4: repercent_broken_unicode (tests/handlers
	// test_bad_path_info: PATH_INFO \xed).
	for _, tc := range []struct{ in, want string }{
		{"/", "/"},
		{"/\xed", "/%ED"},
		{"/caf\xc3\xa9/", "/caf\xc3\xa9/"},
		{"/caf\xe9/%E9", "/caf%E9/%E9"},
		{"/\xe2\x82/x", "/%E2%82/x"},
		{"/\xed\xa0\x80", "/%ED%A0%80"},
		{"/\xef\xbf\xbd", "/\xef\xbf\xbd"}, // a real U+FFFD stays
		{"/\xf0\x9f\x98\x80\xff", "/\xf0\x9f\x98\x80%FF"},
	} {
		if got := manouche.RepercentBrokenUnicode(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRepercent(f *testing.F) {
	// SEMANTICS 4
	for _, seed := range []string{"/", "/\xed", "/caf\xc3\xa9/", "/caf\xe9/%E9", "/\xe2\x82/x", "/\xed\xa0\x80"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got := manouche.RepercentBrokenUnicode(path)
		if !utf8.ValidString(got) {
			t.Fatalf("%q → %q not UTF-8", path, got)
		}
		if utf8.ValidString(path) && got != path {
			t.Fatalf("valid %q changed to %q", path, got)
		}
		if manouche.RepercentBrokenUnicode(got) != got {
			t.Fatalf("not idempotent on %q", got)
		}
		if len(got) < len(path) {
			t.Fatalf("%q → %q lost bytes", path, got)
		}
	})
}

// djangoHostRE is Django's host_validation_re, the oracle SplitDomainPort's
// hand-written scan must agree with.
var djangoHostRE = regexp.MustCompile(`^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$`)

func FuzzSplitDomainPortMatchesDjangoRegex(f *testing.F) {
	for _, s := range []string{"example.com", "EXAMPLE.com:80", "[2001:19f0:feee::dead:beef:cafe]:8080",
		"[::1]", "[:1]", "[1]", "[]:80", "a:", "a:b", ":80", "example.com.", "bad_host:8000", "[::1]x", "a]:1", "[a:b]:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		domain, port := manouche.SplitDomainPort(host)
		var wantDomain, wantPort string
		lower := []byte(host)
		for i, c := range lower {
			if 'A' <= c && c <= 'Z' {
				lower[i] = c + 'a' - 'A'
			}
		}
		if m := djangoHostRE.FindStringSubmatch(string(lower)); m != nil {
			wantDomain, wantPort = strings.TrimSuffix(m[1], "."), m[2]
		}
		if domain != wantDomain || port != wantPort {
			t.Fatalf("SplitDomainPort(%q) = %q, %q; Django's regex gives %q, %q", host, domain, port, wantDomain, wantPort)
		}
	})
}
