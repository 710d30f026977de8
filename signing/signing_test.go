package signing

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The vectors below were computed with Django's algorithm (salted_hmac,
// base64_hmac, b62_encode, signing.dumps with compact JSON and zlib) in
// Python, independently of this package.
const (
	djangoKey = "django-insecure-key"
	djangoTS  = 1700000000
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestSignerDjangoVectors(t *testing.T) {
	tests := []struct {
		name   string
		signer Signer
		value  string
		want   string
	}{
		{"empty salt", Signer{Key: "secret"}, "hello", "hello:L6buoHPYsVziOTiGCOeLDgqS3zoQKfGEnBOKke_s7hs"},
		{"salted", Signer{Key: djangoKey, Salt: "my.salt"}, "hello", "hello:2CENfnaZytBhTNqzje5wGiPiiWV49J43_ftjsuRf2kQ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.signer.Sign(tc.value); got != tc.want {
				t.Fatalf("Sign = %q, want %q", got, tc.want)
			}
			got, err := tc.signer.Unsign(tc.want)
			if err != nil || got != tc.value {
				t.Fatalf("Unsign = %q, %v; want %q", got, err, tc.value)
			}
		})
	}
}

func TestTimestampSignerDjangoVectors(t *testing.T) {
	at := time.Unix(djangoTS, 0)
	s := TimestampSigner{Key: djangoKey, Salt: "my.salt", Now: fixedClock(at)}
	const want = "hello:1r31eq:M3lUGmNa_MjcJkX21DPVH_mN6FN9uCEFhY0da69fUQ0"
	if got := s.SignTimestamp("hello"); got != want {
		t.Fatalf("SignTimestamp = %q, want %q", got, want)
	}
	v, signedAt, err := s.UnsignTimestamp(want)
	if err != nil || v != "hello" || !signedAt.Equal(at) {
		t.Fatalf("UnsignTimestamp = %q, %v, %v", v, signedAt, err)
	}

	// signing.dumps({"a": [1, 2, 3], "b": "x"*100}, compress=True) by Django.
	const dumped = ".eJyrVkpUsoo21DHSMY7VUUpSslKqoANQqgUAc-wzrg:1r31eq:rknBn4_TLqYc_iuUkMdVbEgpAiub5VNWQSGViA4IynA"
	d := TimestampSigner{Key: djangoKey, Salt: "django.core.signing", Now: fixedClock(at)}
	var obj struct {
		A []int
		B string
	}
	if err := d.Loads(dumped, time.Minute, &obj); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(obj.A, []int{1, 2, 3}) || obj.B != strings.Repeat("x", 100) {
		t.Fatalf("Loads = %+v", obj)
	}
}

func TestUnsign(t *testing.T) {
	s := Signer{Key: "k1", Salt: "salt"}
	good := s.Sign("a:b:c")
	tests := []struct {
		name    string
		signer  Signer
		in      string
		want    string
		wantErr error
		msg     string
	}{
		{"round trip with separators in the value", s, good, "a:b:c", nil, ""},
		{"empty value", s, s.Sign(""), "", nil, ""},
		{"tampered value", s, "a:b:d" + good[5:], "", ErrBadSignature, "does not match"},
		{"tampered signature", s, good[:len(good)-1] + "x", "", ErrBadSignature, "does not match"},
		{"no separator", s, "nosignature", "", ErrBadSignature, `No ":" found in value`},
		{"empty", s, "", "", ErrBadSignature, `No ":"`},
		{"other salt", Signer{Key: "k1", Salt: "other"}, good, "", ErrBadSignature, "does not match"},
		{"other key", Signer{Key: "k2", Salt: "salt"}, good, "", ErrBadSignature, "does not match"},
		{"fallback key accepted", Signer{Key: "k2", Salt: "salt", FallbackKeys: []string{"", "k0", "k1"}}, good, "a:b:c", nil, ""},
		{"empty key refuses", Signer{Salt: "salt"}, Signer{Salt: "salt"}.Sign("x"), "", ErrEmptyKey, "must not be empty"},
		{"too long", s, s.Sign(strings.Repeat("x", MaxSignedLen)), "", ErrBadSignature, "over the limit"},
		{"hostile signature is quoted", s, "v:\x00\xff" + strings.Repeat("z", 200), "", ErrBadSignature, `\x00`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.signer.Unsign(tc.in)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("Unsign = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Unsign error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Unsign error %q does not say %q", err, tc.msg)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error message of %d bytes echoes the input", len(err.Error()))
			}
		})
	}
}

func TestUnsignMaxAge(t *testing.T) {
	t0 := time.Unix(djangoTS, 0)
	now := t0
	s := TimestampSigner{Key: "k", Salt: "ts", Now: func() time.Time { return now }}
	signed := s.SignTimestamp("value")
	tests := []struct {
		name    string
		elapsed time.Duration
		maxAge  time.Duration
		wantErr error
		msg     string
	}{
		{"fresh", 0, time.Minute, nil, ""},
		{"at the limit", time.Minute, time.Minute, nil, ""},
		{"expired", 61 * time.Second, time.Minute, ErrSignatureExpired, "Signature age 61 > 60 seconds"},
		{"no limit", 1000 * time.Hour, 0, nil, ""},
		{"negative limit refuses all", 0, -time.Second, ErrSignatureExpired, "Signature age 0 > -1 seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = t0.Add(tc.elapsed)
			got, err := s.UnsignMaxAge(signed, tc.maxAge)
			if tc.wantErr == nil {
				if err != nil || got != "value" {
					t.Fatalf("UnsignMaxAge = %q, %v", got, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, ErrBadSignature) {
				t.Fatalf("error = %v, want %v (and a bad signature)", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	// A plain Signer's value is no timestamped value.
	plain := Signer{Key: "k", Salt: "ts"}.Sign("value")
	if _, err := s.UnsignMaxAge(plain, 0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("plain signature accepted by the timestamp signer: %v", err)
	}
	// A value signed without a timestamp but with the timestamp signer's
	// key and salt has no timestamp to read.
	if _, err := s.UnsignMaxAge(Signer{Key: "k", Salt: "ts"}.Sign("novalue"), 0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a value without timestamp: %v", err)
	}
	if _, err := s.UnsignMaxAge(Signer{Key: "k", Salt: "ts"}.Sign("v:!!"), 0); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "malformed timestamp") {
		t.Fatalf("a malformed timestamp: %v", err)
	}
}

func TestB62(t *testing.T) {
	for _, n := range []int64{0, 1, 61, 62, 63, djangoTS, -1, -62, 1 << 40} {
		s := b62Encode(n)
		got, ok := b62Decode(s)
		if !ok || got != n {
			t.Errorf("b62 %d → %q → %d, %v", n, s, got, ok)
		}
	}
	if b62Encode(djangoTS) != "1r31eq" {
		t.Errorf("b62Encode(%d) = %q, want Django's 1r31eq", djangoTS, b62Encode(djangoTS))
	}
	for _, bad := range []string{"", "-", "!", "1r31eq!", "zzzzzzzzzzz", "1.0", "+1"} {
		if _, ok := b62Decode(bad); ok {
			t.Errorf("b62Decode(%q) accepted", bad)
		}
	}
}

func TestDumpsLoads(t *testing.T) {
	s := TimestampSigner{Key: "k", Salt: "dumps"}
	type payload struct {
		Name  string         `json:"name"`
		List  []float64      `json:"list"`
		Extra map[string]any `json:"extra"`
	}
	in := payload{Name: "ümlaut <&>", List: []float64{1, 2.5}, Extra: map[string]any{"nested": []any{"x", true, nil}}}
	long := payload{Name: strings.Repeat("abc", 500)}
	tests := []struct {
		name     string
		v        payload
		compress bool
		dot      bool
	}{
		{"plain", in, false, false},
		{"compress, not worth it", in, true, false},
		{"compress, worth it", long, true, true},
		{"long, uncompressed", long, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, err := s.Dumps(tc.v, tc.compress)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(signed, ".") != tc.dot {
				t.Fatalf("Dumps = %q: leading dot %v, want %v", signed[:10], !tc.dot, tc.dot)
			}
			if strings.ContainsAny(signed, "=+/ ;,\"") {
				t.Fatalf("Dumps = %q is not URL- and cookie-safe", signed)
			}
			var out payload
			if err := s.Loads(signed, time.Hour, &out); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, tc.v) {
				t.Fatalf("Loads = %+v, want %+v", out, tc.v)
			}
			var out2 payload
			at, err := s.LoadsTimestamp(signed, &out2)
			if err != nil || !reflect.DeepEqual(out2, tc.v) || time.Since(at) > time.Minute {
				t.Fatalf("LoadsTimestamp = %v, %v", at, err)
			}
		})
	}
	if _, err := s.Dumps(func() {}, false); err == nil {
		t.Fatal("Dumps of a func succeeded")
	}
}

// zlibPayload signs an arbitrary (compressed, dot-marked) payload.
func zlibPayload(s TimestampSigner, raw []byte) string {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return s.SignTimestamp("." + base64.RawURLEncoding.EncodeToString(buf.Bytes()))
}

func TestLoadsBadPayloads(t *testing.T) {
	s := TimestampSigner{Key: "k", Salt: "dumps"}
	bomb := append(append([]byte(`"`), bytes.Repeat([]byte("a"), MaxDecompressedLen+10)...), '"')
	atLimit := append(append([]byte(`"`), bytes.Repeat([]byte("a"), MaxDecompressedLen-2)...), '"')
	tests := []struct {
		name   string
		signed string
		msg    string
	}{
		{"not base64", s.SignTimestamp("!!!"), "not URL-safe base64"},
		{"not zlib", s.SignTimestamp(".AAAA"), "not zlib"},
		{"zlib bomb", zlibPayload(s, bomb), "inflates beyond"},
		{"truncated zlib", s.SignTimestamp(".eJw"), "inflating the payload"},
		{"not JSON", s.SignTimestamp(base64.RawURLEncoding.EncodeToString([]byte("{nope"))), "JSON"},
		{"wrong JSON type", s.SignTimestamp(base64.RawURLEncoding.EncodeToString([]byte(`[1]`))), "JSON"},
		{"bad signature", "abc:def:ghi", "does not match"},
		{"too long", strings.Repeat("a", MaxSignedLen+1), "over the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			err := s.Loads(tc.signed, 0, &v)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Loads error = %v, want one saying %q", err, tc.msg)
			}
		})
	}
	var str string
	if err := s.Loads(zlibPayload(s, atLimit), 0, &str); err != nil || len(str) != MaxDecompressedLen-2 {
		t.Fatalf("a payload inflating to exactly the limit: %v (len %d)", err, len(str))
	}
}
