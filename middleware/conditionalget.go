package middleware

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/response"
)

// ConditionalGet is Django's ConditionalGetMiddleware (SEMANTICS 58–59):
// it answers a GET whose validators the client already has with 304 Not
// Modified, and a GET whose preconditions fail with 412.
//
// It acts on GET requests only, as Django's: a HEAD gets no ETag (its body
// is empty, so none could be computed from it) and an unsafe method is
// answered by then, too late for a 412. For a GET it:
//
//   - adds an ETag, the quoted hex MD5 of the content (Django's
//     set_response_etag), to a buffered response with a non-empty body, no
//     ETag and no "no-store" in Cache-Control. A stream is never read, so
//     it gets none; a deferred response nobody rendered is left alone;
//   - when the response then has an ETag or a Last-Modified date and a 2xx
//     status, evaluates the request's preconditions in the order of RFC
//     9110 §13.2.2, as Django's get_conditional_response: If-Match (strong
//     comparison; "*" matches any ETag; no match → 412), If-Unmodified-Since
//     when there is no If-Match (Last-Modified later than it → 412),
//     If-None-Match (weak comparison; a match → 304), If-Modified-Since when
//     there is no If-None-Match (Last-Modified not later than it → 304).
//
// A stream that carries its own ETag or Last-Modified — a file response —
// is evaluated as well, and replaced when it fails or is not modified: its
// producer never runs and the handler closes it, which closes its file
// (SEMANTICS 57).
//
// The 304 is a new response (response.NotModified) with only the
// Cache-Control, Content-Location, Date, ETag, Expires, Last-Modified and
// Vary headers and the cookies of the response it replaces: no
// Content-Type, no body, no Content-Length. The 412 is a new, empty
// text/html response, which the handler logs, once, as "Precondition
// Failed: <path>".
//
// Entity-tag lists are parsed as Django's parse_etags: "*" alone, or a
// comma-separated list of `"…"` and `W/"…"`; a malformed member is
// dropped, and a header of malformed members only counts as absent. A
// comma inside a quoted tag belongs to the tag (Django splits there). A
// date that http.ParseTime cannot read is ignored. Dates compare to the
// second. Unlike Django, which fails it, an If-Unmodified-Since is
// ignored when the response has no Last-Modified date, as RFC 9110
// §13.1.4 requires.
//
// With GZip, list GZip first: the ETag must be the one of the content,
// not of its compressed form, which differs at every request; GZip then
// makes it weak, which If-None-Match's weak comparison still matches.
func ConditionalGet() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		return &conditionalGet{next: next}, nil
	}
}

// conditionalGet is the built ConditionalGet layer.
type conditionalGet struct{ next Handler }

// Name names the layer in messages.
func (c *conditionalGet) Name() string { return "middleware.ConditionalGet" }

// Serve calls the next layer, then adds the ETag and evaluates the
// preconditions; a response it replaces is closed by the handler.
func (c *conditionalGet) Serve(r *manouche.Request) (*manouche.Response, error) {
	resp := c.next(r)
	if r.Method != http.MethodGet || resp.Kind() == manouche.Deferred {
		return resp, nil
	}
	etag := resp.GetHeader("Etag")
	if !resp.HasHeader("Etag") && resp.Kind() == manouche.Buffered && !condNoStore(resp.HeaderValues("Cache-Control")) {
		if body, _ := resp.Content(); len(body) > 0 {
			etag = condContentETag(body)
			resp.SetHeader("Etag", etag)
		}
	}
	lastModified, hasLM := condDate(resp.HeaderValues("Last-Modified"))
	if etag == "" && !hasLM {
		return resp, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, nil
	}
	switch condEvaluate(r.Header(), etag, lastModified, hasLM) {
	case http.StatusNotModified:
		return condNotModified(resp), nil
	case http.StatusPreconditionFailed:
		return manouche.NewResponse(http.StatusPreconditionFailed, nil, ""), nil
	}
	return resp, nil
}

// condEvaluate is Django's get_conditional_response for a GET, after the
// status check: it returns 412, 304, or 0 to keep the response.
func condEvaluate(req http.Header, etag string, lastModified time.Time, hasLM bool) int {
	// Step 1: If-Match.
	imListed, imMatched := condMatch(req["If-Match"], etag, false)
	if imListed && !imMatched {
		return http.StatusPreconditionFailed
	}
	// Step 2: If-Unmodified-Since, without If-Match.
	if !imListed && hasLM {
		if ius, ok := condDate(req["If-Unmodified-Since"]); ok && lastModified.Unix() > ius.Unix() {
			return http.StatusPreconditionFailed
		}
	}
	// Step 3: If-None-Match; the request is a GET.
	inmListed, inmMatched := condMatch(req["If-None-Match"], etag, true)
	if inmMatched {
		return http.StatusNotModified
	}
	// Step 4: If-Modified-Since, without If-None-Match.
	if !inmListed && hasLM {
		if ims, ok := condDate(req["If-Modified-Since"]); ok && lastModified.Unix() <= ims.Unix() {
			return http.StatusNotModified
		}
	}
	return 0
}

// condMatch reports whether the entity-tag list of an If-Match (weak
// false) or If-None-Match (weak true) header lists anything ("*" or at
// least one well-formed tag), and whether it matches etag, the response's
// ETag: "*" matches any ETag; a tag matches by strong comparison (both
// strong and equal) or weak comparison (equal once "W/" is dropped). No
// ETag matches nothing. Several header lines make one list; "*" counts
// only as the whole of a single line.
func condMatch(values []string, etag string, weak bool) (listed, matched bool) {
	if len(values) == 1 && strings.Trim(values[0], " \t") == "*" {
		return true, etag != ""
	}
	for _, v := range values {
		for tag, rest, ok := condNextETag(v); ok; tag, rest, ok = condNextETag(rest) {
			listed = true
			if etag != "" && condETagEqual(tag, etag, weak) {
				return true, true
			}
		}
	}
	return listed, false
}

// condETagEqual compares a listed tag with the response's ETag, strongly
// or weakly (RFC 9110 §8.8.3.2).
func condETagEqual(tag, etag string, weak bool) bool {
	if !weak {
		return !strings.HasPrefix(etag, "W/") && tag == etag
	}
	return strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/")
}

// condNextETag returns the first well-formed entity-tag of the list s and
// what follows it; ok is false when none is left. Members are separated
// by commas and optional spaces and tabs; a well-formed one is `"…"` or
// `W/"…"`, its opaque part anything but a double quote, followed by the
// end or a comma. A malformed member is skipped up to the comma after its
// start, so a tag of Django's, which splits the list at every comma, is
// never lost. It does not allocate.
func condNextETag(s string) (tag, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return "", "", false
		}
		if n := condETagLen(s); n > 0 {
			after := strings.TrimLeft(s[n:], " \t")
			if after == "" || after[0] == ',' {
				return s[:n], after, true
			}
		}
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return "", "", false
		}
		s = s[i+1:]
	}
}

// condETagLen returns the length of the entity-tag s starts with, or 0.
func condETagLen(s string) int {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s) <= start || s[start] != '"' {
		return 0
	}
	end := strings.IndexByte(s[start+1:], '"')
	if end < 0 {
		return 0
	}
	return start + 1 + end + 1
}

// condNoStore reports whether a Cache-Control value has the "no-store"
// directive (any case), as Django's needs_etag: then no ETag is added.
func condNoStore(values []string) bool {
	for _, v := range values {
		for v != "" {
			var d string
			d, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.Trim(d, " \t"), "no-store") {
				return true
			}
		}
	}
	return false
}

// condContentETag returns the quoted hex MD5 of body.
func condContentETag(body []byte) string {
	sum := md5.Sum(body)
	var b [2 + 2*md5.Size]byte
	b[0], b[len(b)-1] = '"', '"'
	hex.Encode(b[1:len(b)-1], sum[:])
	return string(b[:])
}

// condDate returns the date in the first of a header's values, if it has
// one http.ParseTime reads.
func condDate(v []string) (time.Time, bool) {
	if len(v) == 0 || v[0] == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v[0])
	return t, err == nil
}

// condNotModified returns the 304 that replaces resp (Django's
// _not_modified): the headers RFC 9110 §15.4.5 names, Last-Modified, and
// the cookies.
func condNotModified(resp *manouche.Response) *manouche.Response {
	nm := response.NotModified()
	for _, k := range [...]string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Last-Modified", "Vary", "Set-Cookie"} {
		for _, v := range resp.HeaderValues(k) {
			nm.AddHeader(k, v)
		}
	}
	for _, c := range resp.Cookies() {
		nm.SetCookie(c)
	}
	return nm
}
