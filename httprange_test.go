package manouche

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	for _, tc := range []struct {
		header string
		want   []ByteRange
		err    error
	}{
		{"bytes=0-499", []ByteRange{{0, 500}}, nil},
		{"bytes=0-", []ByteRange{{0, 1000}}, nil},
		{"bytes=500-", []ByteRange{{500, 500}}, nil},
		{"bytes=-500", []ByteRange{{500, 500}}, nil},
		{"bytes=-5000", []ByteRange{{0, 1000}}, nil},
		{"bytes=999-999", []ByteRange{{999, 1}}, nil},
		{"bytes=990-2000", []ByteRange{{990, 10}}, nil},
		{"bytes=0-0, -1", []ByteRange{{0, 1}, {999, 1}}, nil},
		{"bytes=0-1,,5-6", []ByteRange{{0, 2}, {5, 2}}, nil},
		{"BYTES = 1-2", []ByteRange{{1, 2}}, nil},
		{"bytes=1000-, 0-0", []ByteRange{{0, 1}}, nil}, // the unsatisfiable one is left out
		{"bytes=1000-", nil, ErrRangeUnsatisfiable},
		{"bytes=1000-2000", nil, ErrRangeUnsatisfiable},
		{"bytes=-0", nil, ErrRangeUnsatisfiable},
		{"", nil, ErrRangeInvalid},
		{"bytes", nil, ErrRangeInvalid},
		{"bytes=", nil, ErrRangeInvalid},
		{"bytes=,", nil, ErrRangeInvalid},
		{"items=0-1", nil, ErrRangeInvalid},
		{"bytes=5-1", nil, ErrRangeInvalid},
		{"bytes=a-1", nil, ErrRangeInvalid},
		{"bytes=1", nil, ErrRangeInvalid},
		{"bytes=-", nil, ErrRangeInvalid},
		{"bytes=+1-2", nil, ErrRangeInvalid},
		{"bytes=0-1, 3-x", nil, ErrRangeInvalid},
		{"bytes=99999999999999999999-", nil, ErrRangeInvalid},
		{"bytes= 0 - 1", nil, ErrRangeInvalid},
	} {
		t.Run(tc.header, func(t *testing.T) {
			got, err := ParseRange(tc.header, size)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ranges %v, want %v", got, tc.want)
			}
		})
	}
	// An empty representation satisfies no range.
	if _, err := ParseRange("bytes=0-", 0); !errors.Is(err, ErrRangeUnsatisfiable) {
		t.Errorf("bytes=0- of an empty file: %v", err)
	}
	if got := (ByteRange{Start: 10, Length: 5}).ContentRange(100); got != "bytes 10-14/100" {
		t.Errorf("ContentRange = %q", got)
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-499", "bytes=-5", "bytes=0-0,-1", "bytes=5-", "bytes=,,", "bytes=9-1", "x=1-2"} {
		f.Add(s, int64(1000))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // MinInt64
			size = 0
		}
		got, err := ParseRange(header, size)
		if err != nil {
			if len(got) != 0 || (!errors.Is(err, ErrRangeInvalid) && !errors.Is(err, ErrRangeUnsatisfiable)) {
				t.Fatalf("%q: %v with %v", header, err, got)
			}
			return
		}
		if len(got) == 0 || !strings.Contains(strings.ToLower(header), "bytes") {
			t.Fatalf("%q: no error and %v", header, got)
		}
		for _, br := range got {
			if br.Start < 0 || br.Length <= 0 || br.Start+br.Length > size {
				t.Fatalf("%q, size %d: range %+v outside the representation", header, size, br)
			}
		}
	})
}
