package manouche

import (
	"errors"
	"strconv"
	"strings"
)

// ByteRange is one satisfiable range of a Range header, resolved against
// the size of the representation: Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// ContentRange returns the Content-Range value of br in a representation
// of size bytes: "bytes 0-499/1234".
func (br ByteRange) ContentRange(size int64) string {
	return "bytes " + strconv.FormatInt(br.Start, 10) + "-" + strconv.FormatInt(br.Start+br.Length-1, 10) + "/" + strconv.FormatInt(size, 10)
}

// Errors of ParseRange.
var (
	// ErrRangeInvalid: the Range header is malformed or not in bytes. RFC
	// 9110 §14.2 lets the server ignore it: the whole representation is
	// sent with 200.
	ErrRangeInvalid = errors.New("manouche: invalid Range header")
	// ErrRangeUnsatisfiable: the header is well formed but no range
	// overlaps the representation: 416 with "Content-Range: bytes */size".
	ErrRangeUnsatisfiable = errors.New("manouche: no satisfiable range")
)

// ParseRange parses a Range header value (RFC 9110 §14.1.2) against a
// representation of size bytes: "bytes=0-499", "bytes=500-", "bytes=-500"
// (the last 500 bytes), "bytes=0-0, -1". Ranges that start past the end
// are left out; a last position past the end is cut to it; a suffix longer
// than the representation covers all of it. The ranges are returned in
// the order asked, not merged.
//
// A header that is malformed (a missing "bytes=", a non-digit, a first
// position after the last, a number too large) returns ErrRangeInvalid; one
// whose ranges all fall outside the representation returns
// ErrRangeUnsatisfiable.
func ParseRange(header string, size int64) ([]ByteRange, error) {
	unit, set, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return nil, ErrRangeInvalid
	}
	var out []ByteRange
	seen := false
	for spec := range strings.SplitSeq(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // the list syntax allows empty elements
		}
		seen = true
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, ErrRangeInvalid
		}
		if first == "" { // suffix: the last N bytes
			n, ok := digits(last)
			if !ok {
				return nil, ErrRangeInvalid
			}
			if n == 0 || size == 0 {
				continue // unsatisfiable
			}
			n = min(n, size)
			out = append(out, ByteRange{Start: size - n, Length: n})
			continue
		}
		start, ok := digits(first)
		if !ok {
			return nil, ErrRangeInvalid
		}
		end := size - 1
		if last != "" {
			e, ok := digits(last)
			if !ok || e < start {
				return nil, ErrRangeInvalid
			}
			end = min(e, size-1)
		}
		if start >= size {
			continue // unsatisfiable
		}
		out = append(out, ByteRange{Start: start, Length: end - start + 1})
	}
	if !seen {
		return nil, ErrRangeInvalid
	}
	if len(out) == 0 {
		return nil, ErrRangeUnsatisfiable
	}
	return out, nil
}

// digits parses a non-empty run of ASCII digits that fits an int64.
func digits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false // 18 digits always fit; more is no real file
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
