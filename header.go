package manouche

import "net/http"

// headerInline is how many headers a response keeps without a map. A hello
// view through the default middleware stack has six (Content-Type,
// Content-Length, X-Content-Type-Options, Referrer-Policy,
// Cross-Origin-Opener-Policy, X-Frame-Options); the example app adds
// Server, and a page that uses the session Vary: Cookie.
const headerInline = 8

// headerEntry is one header of the inline store. A single value lives in
// one and vals points at it, so setting a header allocates nothing.
type headerEntry struct {
	key  string // canonical
	one  [1]string
	vals []string // nil once deleted (the slot is not reused)
}

// headers is a response's header store. Until a caller asks for the
// http.Header (Response.Header), headers live in an inline array: the
// headers a response gets from its view and the built-in middleware cost
// no map, no hashing and no allocation, and the handler copies them once,
// into net/http's header map. Header moves them into a map, which is from
// then on the only store.
type headers struct {
	m      http.Header // the store once non-nil
	n      uint8       // slots of e in use, deleted ones included
	shared bool        // a value slice was handed out: never overwrite one in place
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

// find returns the slot of the canonical key, or -1.
func (h *headers) find(key string) int {
	for i := range int(h.n) {
		if e := &h.e[i]; e.key == key && e.vals != nil { // nil: deleted
			return i
		}
	}
	return -1
}

// header returns the map, moving the inline headers into it first.
func (h *headers) header() http.Header {
	if h.m == nil {
		m := make(http.Header, h.n)
		for i := range int(h.n) {
			if e := &h.e[i]; e.vals != nil {
				m[e.key] = e.vals // shared: the inline slots are never written again
			}
		}
		h.m, h.n = m, 0
	}
	return h.m
}

// set gives the canonical key the single value v.
func (h *headers) set(key, v string) {
	if h.m != nil {
		h.m[key] = []string{v}
		return
	}
	i := h.find(key)
	switch {
	case i >= 0 && h.shared:
		// Someone may hold the old slice (a copied header map): a new one.
		h.e[i].vals = []string{v}
	case i >= 0:
		h.e[i].one[0] = v
		h.e[i].vals = h.e[i].one[:1:1]
	case int(h.n) < headerInline:
		e := &h.e[h.n]
		h.n++
		e.key = key
		e.one[0] = v
		e.vals = e.one[:1:1] // capacity 1: a caller's append copies
	default:
		h.header()[key] = []string{v}
	}
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
	if !r.hdr.has(key) {
		r.hdr.set(key, value)
	}
}

// AddHeader adds value to the values of the header key (http.Header.Add).
func (r *Response) AddHeader(key, value string) {
	key = canonicalKey(key)
	h := &r.hdr
	if h.m == nil {
		if i := h.find(key); i >= 0 {
			// vals' capacity is exactly its length unless an earlier Add
			// grew it: appending copies, as on an http.Header it would not.
			h.e[i].vals = append(h.e[i].vals, value)
			return
		}
		if int(h.n) < headerInline {
			h.set(key, value)
			return
		}
	}
	m := h.header()
	m[key] = append(m[key], value)
}

// GetHeader returns the first value of the header key, or "" (Django's
// response.get(key); http.Header.Get).
func (r *Response) GetHeader(key string) string {
	if v := r.hdr.values(canonicalKey(key)); len(v) > 0 {
		return v[0]
	}
	return ""
}

// HeaderValues returns every value of the header key (http.Header.Values).
// The slice is the response's own, as http.Header's is: do not change it.
func (r *Response) HeaderValues(key string) []string {
	r.hdr.shared = true
	return r.hdr.values(canonicalKey(key))
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
		h.e[i].key, h.e[i].vals = "", nil
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
	h.shared = true
	for i := range int(h.n) {
		if e := &h.e[i]; e.vals != nil {
			dst[e.key] = e.vals
		}
	}
}

func (h *headers) values(key string) []string {
	if h.m != nil {
		return h.m[key]
	}
	if i := h.find(key); i >= 0 {
		return h.e[i].vals
	}
	return nil
}

func (h *headers) has(key string) bool {
	if h.m != nil {
		_, ok := h.m[key]
		return ok
	}
	return h.find(key) >= 0
}
