package signing

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzUnsign: Unsign never panics on outside input; what it accepts is
// exactly what Sign produces; and whatever is signed comes back.
func FuzzUnsign(f *testing.F) {
	s := Signer{Key: "fuzz-key", Salt: "fuzz"}
	for _, seed := range []string{"", ":", "a:b", s.Sign("hello"), s.Sign(""), s.Sign("a:b:c"), "x:" + strings.Repeat("A", 43), "\xff:\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := s.Unsign(in)
		if err == nil {
			if s.Sign(v) != in {
				t.Fatalf("Unsign(%q) accepted what Sign does not produce", in)
			}
		} else if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Unsign(%q): %v is not a bad signature", in, err)
		}
		if len(in) <= MaxSignedLen-100 {
			if got, err := s.Unsign(s.Sign(in)); err != nil || got != in {
				t.Fatalf("round trip of %q: %q, %v", in, got, err)
			}
		}
		ts := TimestampSigner{Key: "fuzz-key", Salt: "fuzz"}
		if _, err := ts.UnsignMaxAge(in, time.Hour); err == nil && !strings.Contains(in, ":") {
			t.Fatalf("UnsignMaxAge(%q) accepted a value without separators", in)
		}
	})
}

// FuzzLoads: Loads never panics, whatever the signed string or the
// payload under a good signature; Dumps then Loads round-trips.
func FuzzLoads(f *testing.F) {
	s := TimestampSigner{Key: "fuzz-key", Salt: "fuzz"}
	good, _ := s.Dumps(map[string]any{"a": []any{1.0, "x"}}, true)
	for _, seed := range []string{"", good, ".eJw", ".", "e30", "bnVsbA", ".eJyrVkpUsoo21DHSMY7VUUpSslKqoANQqgUAc-wzrg"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		_ = s.Loads(in, 0, &v)
		// The same text as a payload under a valid signature: the decoder
		// faces it directly.
		var w any
		_ = s.Loads(s.SignTimestamp(in), 0, &w)
		// Round trip of a string value, compressed and not.
		for _, compress := range []bool{false, true} {
			signed, err := s.Dumps(in, compress)
			if err != nil {
				t.Fatal(err)
			}
			var out string
			if err := s.Loads(signed, time.Hour, &out); err != nil {
				if len(signed) > MaxSignedLen {
					continue
				}
				t.Fatalf("Loads(Dumps(%q, %v)): %v", in, compress, err)
			}
			if utf8.ValidString(in) && out != in {
				t.Fatalf("round trip of %q gave %q", in, out)
			}
		}
	})
}
