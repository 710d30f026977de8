package manouche_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/manouche/manouche"
)

// prHostRequest builds a request with the given Host header.
func prHostRequest(t testing.TB, host string, s *manouche.Settings) *manouche.Request {
	t.Helper()
	r := prRequest(t, "GET", "/", nil, "", s)
	r.HTTP().Host = host
	return r
}

// Django's tests/requests_tests HostValidationTests.
var prAllowedHosts = []string{
	"forward.com",
	"example.com",
	"internal.com",
	"12.34.56.78",
	"[2001:19f0:feee::dead:beef:cafe]",
	"xn--4ca9at.com",
	".multitenant.com",
	"INSENSITIVE.com",
	"[::ffff:169.254.169.254]",
}

var prPoisonedHosts = []string{
	"example.com@evil.tld",
	"example.com:dr.frankenstein@evil.tld",
	"example.com:dr.frankenstein@evil.tld:80",
	"example.com:80/badpath",
	"example.com: recovermypassword.com",
}

func TestHostValidation(t *testing.T) {
	// SEMANTICS 99: get_host() with ALLOWED_HOSTS.
	s := &manouche.Settings{AllowedHosts: prAllowedHosts}
	for _, host := range []string{
		"example.com",
		"example.com:80",
		"EXAMPLE.com:80",
		"12.34.56.78",
		"12.34.56.78:443",
		"[2001:19f0:feee::dead:beef:cafe]",
		"[2001:19f0:feee::dead:beef:cafe]:8080",
		"xn--4ca9at.com",
		"anything.multitenant.com",
		"a.multitenant.com",
		"multitenant.com",
		"insensitive.com",
		"example.com.",
		"example.com.:80",
		"[::ffff:169.254.169.254]",
	} {
		got, err := prHostRequest(t, host, s).Host()
		if err != nil || got != host {
			t.Errorf("%q: got %q, %v; want the host unchanged", host, got, err)
		}
	}
	for _, host := range append([]string{"example.com..", "bad_host:8000", "evil.com", "multitenant.com.evil.com"}, prPoisonedHosts...) {
		got, err := prHostRequest(t, host, s).Host()
		if err == nil {
			t.Errorf("%q: accepted as %q", host, got)
			continue
		}
		if !errors.Is(err, manouche.ErrDisallowedHost) || manouche.StatusFor(err) != 400 {
			t.Errorf("%q: %v (status %d), want DisallowedHost → 400", host, err, manouche.StatusFor(err))
		}
	}
}

func TestHostValidationMessages(t *testing.T) {
	// SEMANTICS 99: test_get_host_suggestion_of_allowed_host, the exact
	// messages.
	s := &manouche.Settings{AllowedHosts: []string{}}
	suggest := func(host, domain string) string {
		return "Invalid HTTP_HOST header: '" + host + "'. You may need to add '" + domain + "' to ALLOWED_HOSTS."
	}
	invalid := func(host string) string {
		return "Invalid HTTP_HOST header: '" + host + "'. The domain name provided is not valid according to RFC 1034/1035."
	}
	long := prRepeat("a", 255) + ".com"
	cases := []struct{ host, msg string }{
		{"example.com", suggest("example.com", "example.com")},
		{"12.34.56.78", suggest("12.34.56.78", "12.34.56.78")},
		{"[2001:19f0:feee::dead:beef:cafe]", suggest("[2001:19f0:feee::dead:beef:cafe]", "[2001:19f0:feee::dead:beef:cafe]")},
		{"xn--4ca9at.com", suggest("xn--4ca9at.com", "xn--4ca9at.com")},
		{"example.com:80", suggest("example.com:80", "example.com")},
		{"12.34.56.78:443", suggest("12.34.56.78:443", "12.34.56.78")},
		{"[2001:19f0:feee::dead:beef:cafe]:8080", suggest("[2001:19f0:feee::dead:beef:cafe]:8080", "[2001:19f0:feee::dead:beef:cafe]")},
		{"invalid_hostname.com", invalid("invalid_hostname.com")},
		{long, suggest(long, long)},
		{"EXAMPLE.COM.", suggest("EXAMPLE.COM.", "example.com")},
		{"example.com..", suggest("example.com..", "example.com.")},
		{"bad_host:8000", invalid("bad_host:8000")},
		{"", invalid("")},
		// Python's repr: other quotes, escapes, Latin-1 as WSGI reads it.
		{"a'b", `Invalid HTTP_HOST header: "a'b". The domain name provided is not valid according to RFC 1034/1035.`},
		{`a'b"c\`, `Invalid HTTP_HOST header: 'a\'b"c\\'. The domain name provided is not valid according to RFC 1034/1035.`},
		{"x\x03\t\x8e\xa0\xad\xe9", `Invalid HTTP_HOST header: 'x\x03\t\x8e\xa0\xadé'. The domain name provided is not valid according to RFC 1034/1035.`},
	}
	for _, h := range prPoisonedHosts {
		cases = append(cases, struct{ host, msg string }{h, invalid(h)})
	}
	for _, tc := range cases {
		r := prHostRequest(t, tc.host, s)
		if tc.host == "" {
			r.HTTP().Host = ""
			r.SetHTTP(r.HTTP().WithContext(context.Background())) // no server address either
		}
		_, err := r.Host()
		var so *manouche.SuspiciousOperation
		if !errors.As(err, &so) || so.Kind != "DisallowedHost" {
			t.Errorf("%q: %v", tc.host, err)
			continue
		}
		if so.Message != tc.msg {
			t.Errorf("%q:\n got %s\nwant %s", tc.host, so.Message, tc.msg)
		}
	}
}

func TestHostDebug(t *testing.T) {
	// SEMANTICS 99: DEBUG with an empty ALLOWED_HOSTS allows localhost
	// variants only (test_host_validation_in_debug_mode).
	s := &manouche.Settings{Debug: true}
	for _, host := range []string{"localhost", "subdomain.localhost", "127.0.0.1", "[::1]", "localhost:8000", "[::1]:8000"} {
		if got, err := prHostRequest(t, host, s).Host(); err != nil || got != host {
			t.Errorf("%q: %q %v", host, got, err)
		}
	}
	for _, host := range []string{"example.com", "127.0.0.2", "[::2]"} {
		if _, err := prHostRequest(t, host, s).Host(); !errors.Is(err, manouche.ErrDisallowedHost) {
			t.Errorf("%q: %v", host, err)
		}
	}
	// A non-empty list is used as is, even with DEBUG.
	s = &manouche.Settings{Debug: true, AllowedHosts: []string{"example.com"}}
	if _, err := prHostRequest(t, "localhost", s).Host(); err == nil {
		t.Error("localhost allowed with an explicit ALLOWED_HOSTS")
	}
	// Without DEBUG an empty list allows nothing.
	if _, err := prHostRequest(t, "localhost", &manouche.Settings{}).Host(); err == nil {
		t.Error("localhost allowed without DEBUG")
	}
}

func TestHostXForwardedHost(t *testing.T) {
	// SEMANTICS 99: X-Forwarded-Host only with USE_X_FORWARDED_HOST; it is
	// not split on commas (Django takes the header whole).
	for _, tc := range []struct {
		use     bool
		xfh     []string
		want    string
		wantErr bool
	}{
		{false, []string{"forward.com"}, "example.com", false},
		{true, []string{"forward.com"}, "forward.com", false},
		{true, nil, "example.com", false},
		{true, []string{"forward.com, example.com"}, "", true},
		{true, []string{"forward.com", "example.com"}, "", true},
		{true, []string{""}, "", true},
		{true, []string{"evil.com"}, "", true},
	} {
		s := &manouche.Settings{AllowedHosts: prAllowedHosts, UseXForwardedHost: tc.use}
		r := prHostRequest(t, "example.com", s)
		for _, v := range tc.xfh {
			r.Header().Add("X-Forwarded-Host", v)
		}
		got, err := r.Host()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("use=%v %q: got %q, %v", tc.use, tc.xfh, got, err)
		}
	}
}

func TestHostServerAddress(t *testing.T) {
	// SEMANTICS 99: without a Host header, SERVER_NAME(+:port when not the
	// scheme's default), here the server's local address.
	s := &manouche.Settings{AllowedHosts: []string{"*"}}
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "127.0.0.1"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8042}, "127.0.0.1:8042"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8000}, "[::1]:8000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, "[::1]"},
	} {
		r := prHostRequest(t, "", s)
		r.SetHTTP(r.HTTP().WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, tc.addr)))
		got, err := r.Host()
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.addr, got, err, tc.want)
		}
	}
	// The Host header wins over the server address.
	r := prHostRequest(t, "example.com", s)
	r.SetHTTP(r.HTTP().WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80})))
	if got, _ := r.Host(); got != "example.com" {
		t.Errorf("got %q", got)
	}
}

func TestSplitDomainPort(t *testing.T) {
	// SEMANTICS 99: Django's test_split_domain_port.
	for _, tc := range []struct{ host, domain, port string }{
		{"<invalid>", "", ""},
		{"<invalid>:8080", "", ""},
		{"example.com 8080", "", ""},
		{"example.com:invalid", "", ""},
		{"[::1]", "[::1]", ""},
		{"[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8]", ""},
		{"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]", ""},
		{"[::1]:", "", ""},
		{"[::1]:8080", "[::1]", "8080"},
		{"[::ffff:127.0.0.1]:8080", "[::ffff:127.0.0.1]", "8080"},
		{"[1851:0000:3238:DEF1:0177:0000:0000:0125]", "[1851:0000:3238:def1:0177:0000:0000:0125]", ""},
		{"[1851:0000:3238:DEF1:0177:0000:0000:0125]:1234", "[1851:0000:3238:def1:0177:0000:0000:0125]", "1234"},
		{"127.0.0.1", "127.0.0.1", ""},
		{"127.0.0.1:", "", ""},
		{"127.0.0.1:8080", "127.0.0.1", "8080"},
		{"example.com", "example.com", ""},
		{"example.com:", "", ""},
		{"example.com:8080", "example.com", "8080"},
		{"example.com.", "example.com", ""},
		{"example.com.:", "", ""},
		{"example.com.:8080", "example.com", "8080"},
		{"xn--n28h.test", "xn--n28h.test", ""},
		{"xn--n28h.test:8080", "xn--n28h.test", "8080"},
		{"subdomain.example.com", "subdomain.example.com", ""},
		{"subdomain.example.com:8080", "subdomain.example.com", "8080"},
		{"EXAMPLE.COM", "example.com", ""},
		{"example.com\n", "", ""},
		{"\u212a.com", "", ""}, // Kelvin sign: bytes, not text
		{".", "", ""},
	} {
		d, p := manouche.SplitDomainPort(tc.host)
		if d != tc.domain || p != tc.port {
			t.Errorf("%q: (%q, %q), want (%q, %q)", tc.host, d, p, tc.domain, tc.port)
		}
	}
}

func TestValidateHost(t *testing.T) {
	// SEMANTICS 99: validate_host / is_same_domain.
	for _, tc := range []struct {
		domain  string
		allowed []string
		want    bool
	}{
		{"example.com", []string{"*"}, true},
		{"anything", []string{"*"}, true},
		{"example.com", []string{"example.com"}, true},
		{"example.com", []string{"EXAMPLE.COM"}, true},
		{"sub.example.com", []string{"example.com"}, false},
		{"example.com", []string{".example.com"}, true},
		{"sub.example.com", []string{".example.com"}, true},
		{"a.b.example.com", []string{".Example.com"}, true},
		{"badexample.com", []string{".example.com"}, false},
		{"example.com", []string{""}, false},
		{"example.com", nil, false},
		{"example.com", []string{"foo.com", "example.com"}, true},
	} {
		if got := manouche.ValidateHost(tc.domain, tc.allowed); got != tc.want {
			t.Errorf("ValidateHost(%q, %q) = %v", tc.domain, tc.allowed, got)
		}
	}
}

func TestHostCached(t *testing.T) {
	// SEMANTICS 98: validated only when asked for, then cached.
	r := prHostRequest(t, "evil.com", &manouche.Settings{AllowedHosts: []string{"example.com"}})
	_, err1 := r.Host()
	r.HTTP().Host = "example.com"
	_, err2 := r.Host()
	if err1 == nil || err2 != err1 {
		t.Errorf("%v then %v", err1, err2)
	}
}

// IsSecure believes SECURE_PROXY_SSL_HEADER only when the request carries
// that header, and then only its first value (Django's request.scheme).
func TestIsSecureProxyHeader(t *testing.T) {
	proxy := [2]string{"X-Forwarded-Proto", "https"}
	tests := []struct {
		name   string
		header [2]string
		values []string
		want   bool
	}{
		{"no setting, plain", [2]string{}, nil, false},
		{"no setting, header ignored", [2]string{}, []string{"https"}, false},
		{"header says https", proxy, []string{"https"}, true},
		{"first of a list", proxy, []string{"https, http"}, true},
		{"first value wins", proxy, []string{"http, https"}, false},
		{"header says http", proxy, []string{"http"}, false},
		{"header absent: the connection decides", proxy, nil, false},
		{"spaces trimmed", proxy, []string{"  https  "}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &manouche.Settings{}
			s.Secure.ProxySSLHeader = tt.header
			r := prRequest(t, "GET", "/", nil, "", s)
			for _, v := range tt.values {
				r.Header().Add("X-Forwarded-Proto", v)
			}
			if got := r.IsSecure(); got != tt.want {
				t.Fatalf("IsSecure() = %v, want %v", got, tt.want)
			}
			if want := map[bool]string{true: "https", false: "http"}[tt.want]; r.Scheme() != want {
				t.Fatalf("Scheme() = %q, want %q", r.Scheme(), want)
			}
		})
	}
}
