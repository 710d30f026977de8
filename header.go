package manouche

import (
	"math/bits"
	"net/http"
)

// headerInline is how many headers a response keeps without a map. A hello
// view through the default middleware stack has six (Content-Type,
// Content-Length, X-Content-Type-Options, Referrer-Policy,
// Cross-Origin-Opener-Policy, X-Frame-Options); the example app adds
// Server, and a page that uses the session Vary: Cookie. At most 8: the
// slot bitmasks of headers are uint8.
const headerInline = 8

// headerEntry is one header of the inline store: a single value, handed
// out as v[:1:1] (capacity 1: a caller's append copies), so setting a
// header allocates nothing. A second value moves the store to the map.
type headerEntry struct {
	key string // canonical
	v   [1]string
}

// headers is a response's header store. Until a caller asks for the
// http.Header (Response.Header) or adds a second value to a header,
// headers live in an inline array: the headers a response gets from its
// view and the built-in middleware cost no map, no hashing and no
// allocation, and the handler copies them once, into net/http's header
// map. Header moves them into a map, which is from then on the only store.
//
// Slots are used in order and never reused: a deleted header only clears
// its live bit. A slot whose value slice was handed out (shared) is never
// written again; setting its key retires it and takes a fresh slot, or
// the map once no slot is left.
type headers struct {
	m      http.Header // the store once non-nil
	n      uint8       // slots of e used, retired ones included
	live   uint8       // bit i: slot i holds a header
	shared uint8       // bit i: slot i's value slice was handed out
	e      [headerInline]headerEntry
}

// canonicalKey is http.CanonicalHeaderKey, quicker for a key already in
// canonical form: such a key is returned as is, as CanonicalHeaderKey
// returns it, valid or not. The names the built-in middleware and
// response constructors use are matched first, by a switch (a few
// comparisons; the scan costs a nanosecond a byte).
func canonicalKey(key string) string {
	switch key {
	case "Accept-Ranges", "Allow", "Cache-Control", "Content-Disposition", "Content-Encoding",
		"Content-Length", "Content-Range", "Content-Type", "Cross-Origin-Opener-Policy", "Etag",
		"Expires", "Last-Modified", "Location", "Referrer-Policy", "Server",
		"Strict-Transport-Security", "Vary", "X-Content-Type-Options", "X-Frame-Options":
		return key
	}
	upper := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return http.CanonicalHeaderKey(key)
		}
		upper = c == '-'
	}
	return key
}

// find returns the live slot of the canonical key, or -1.
func (h *headers) find(key string) int {
	for i := range int(h.n) {
		if h.live&(1<<i) != 0 && h.e[i].key == key {
			return i
		}
	}
	return -1
}

// header returns the map, moving the inline headers into it first.
func (h *headers) header() http.Header {
	if h.m == nil {
		m := make(http.Header, bits.OnesCount8(h.live))
		for i := range int(h.n) {
			if h.live&(1<<i) != 0 {
				// Shared: the inline slots are never written again.
				m[h.e[i].key] = h.e[i].v[:1:1]
			}
		}
		h.m = m
	}
	return h.m
}

// set gives the canonical key the single value v.
func (h *headers) set(key, v string) {
	if h.m != nil {
		h.m[key] = []string{v}
		return
	}
	if i := h.find(key); i >= 0 {
		if h.shared&(1<<i) == 0 {
			h.e[i].v[0] = v
			return
		}
		// Someone may hold the old slice (a copied header map): the
		// value goes to a fresh slot, or to the map.
		h.live &^= 1 << i
	}
	if int(h.n) < headerInline {
		h.add(key, v)
		return
	}
	h.header()[key] = []string{v}
}

// add puts the canonical key, which has no live slot, in the next slot;
// one must be left.
func (h *headers) add(key, v string) {
	h.e[h.n] = headerEntry{key: key, v: [1]string{v}}
	h.live |= 1 << h.n
	h.n++
}

// SetHeader sets the header key to the single value value, replacing any
// values it had (Django's response[key] = value; http.Header.Set). The key
// is case-insensitive.
func (r *Response) SetHeader(key, value string) {
	r.hdr.set(canonicalKey(key), value)
}

// SetDefaultHeader sets the header key to value unless the response has
// it already (Django's response.setdefault).
func (r *Response) SetDefaultHeader(key, value string) {
	key = canonicalKey(key)
	h := &r.hdr
	if h.m == nil && int(h.n) < headerInline {
		// One scan: a new key takes the next slot.
		if h.find(key) < 0 {
			h.add(key, value)
		}
		return
	}
	if !h.has(key) {
		h.set(key, value)
	}
}

// AddHeader adds value to the values of the header key (http.Header.Add).
func (r *Response) AddHeader(key, value string) {
	key = canonicalKey(key)
	h := &r.hdr
	if h.m == nil && h.find(key) < 0 {
		h.set(key, value)
		return
	}
	// A second value, which only the map holds: appending to an inline
	// slice (capacity 1) copies it.
	m := h.header()
	m[key] = append(m[key], value)
}

// GetHeader returns the first value of the header key, or "" (Django's
// response.get(key); http.Header.Get).
func (r *Response) GetHeader(key string) string {
	return r.hdr.get(canonicalKey(key))
}

// HeaderValues returns every value of the header key (http.Header.Values).
// The slice is the response's own, as http.Header's is: do not change it.
func (r *Response) HeaderValues(key string) []string {
	key = canonicalKey(key)
	h := &r.hdr
	if h.m != nil {
		return h.m[key]
	}
	if i := h.find(key); i >= 0 {
		h.shared |= 1 << i
		return h.e[i].v[:1:1]
	}
	return nil
}

// HasHeader reports whether the response has the header key, even with
// an empty value (Django's response.has_header).
func (r *Response) HasHeader(key string) bool {
	return r.hdr.has(canonicalKey(key))
}

// DelHeader removes the header key (Django's del response[key];
// http.Header.Del).
func (r *Response) DelHeader(key string) {
	key = canonicalKey(key)
	h := &r.hdr
	if h.m != nil {
		delete(h.m, key)
		return
	}
	if i := h.find(key); i >= 0 {
		// The slot is left as it is: its value slice may be held.
		h.live &^= 1 << i
	}
}

// CopyHeader sets each of the response's headers in dst, replacing what
// dst had for those keys; the value slices are shared, not copied. The
// handler writes a response this way, into the http.ResponseWriter's
// header map.
func (r *Response) CopyHeader(dst http.Header) {
	h := &r.hdr
	if h.m != nil {
		for k, v := range h.m {
			dst[k] = v
		}
		return
	}
	h.shared |= h.live
	for i := range int(h.n) {
		if h.live&(1<<i) != 0 {
			dst[h.e[i].key] = h.e[i].v[:1:1]
		}
	}
}

// get returns the first value of the canonical key, or "".
func (h *headers) get(key string) string {
	if h.m != nil {
		if v := h.m[key]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if i := h.find(key); i >= 0 {
		return h.e[i].v[0]
	}
	return ""
}

func (h *headers) has(key string) bool {
	if h.m != nil {
		_, ok := h.m[key]
		return ok
	}
	return h.find(key) >= 0
}
