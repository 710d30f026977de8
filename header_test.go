package manouche_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"
	"unsafe"

	"github.com/manouche/manouche"
)

// headerKeys are the keys the header tests play with: case variants of
// one key, and more keys than the response keeps inline.
var headerKeys = []string{
	"Content-Type", "content-type", "X-A", "x-a", "Vary",
	"K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9", "",
}

var headerValues = []string{"a", "b", "", "text/plain"}

// applyHeaderOps plays ops on resp and on model, an http.Header, the same
// way: each op is two bytes, what to do and on which key and value. Once
// the response's map exists (op 5), the ops after it are also played
// through that map half of the time (op 6), as a caller holding it would.
func applyHeaderOps(t *testing.T, ops []byte, resp *manouche.Response, model http.Header) {
	t.Helper()
	for i := 0; i+1 < len(ops); i += 2 {
		key := headerKeys[int(ops[i+1])%len(headerKeys)]
		val := headerValues[int(ops[i+1]>>4)%len(headerValues)]
		switch ops[i] % 8 {
		case 0:
			resp.SetHeader(key, val)
			model.Set(key, val)
		case 1:
			resp.AddHeader(key, val)
			model.Add(key, val)
		case 2:
			resp.DelHeader(key)
			model.Del(key)
		case 3:
			resp.SetDefaultHeader(key, val)
			if _, ok := model[http.CanonicalHeaderKey(key)]; !ok {
				model.Set(key, val)
			}
		case 4:
			// A caller keeps the values and appends to its copy: the
			// response must not see it.
			_ = append(resp.HeaderValues(key), "appended")
		case 5:
			if !maps.EqualFunc(resp.Header(), model, slices.Equal) {
				t.Fatalf("after %x: Header() = %q, want %q", ops[:i+2], resp.Header(), model)
			}
		case 6:
			resp.Header().Set(key, val)
			model.Set(key, val)
		case 7:
			dst := http.Header{"Other": {"kept"}}
			resp.CopyHeader(dst)
			want := model.Clone()
			want["Other"] = []string{"kept"}
			if !maps.EqualFunc(dst, want, slices.Equal) {
				t.Fatalf("after %x: CopyHeader = %q, want %q", ops[:i+2], dst, want)
			}
			// The copy is the caller's: setting on the response again
			// does not reach it.
			resp.SetHeader(key, "after-copy")
			model.Set(key, "after-copy")
			if !slices.Equal(dst[http.CanonicalHeaderKey(key)], want[http.CanonicalHeaderKey(key)]) {
				t.Fatalf("after %x: setting %q on the response changed a copy: %q", ops[:i+2], key, dst[http.CanonicalHeaderKey(key)])
			}
		}
		for _, k := range headerKeys {
			if got, want := resp.GetHeader(k), model.Get(k); got != want {
				t.Fatalf("after %x: GetHeader(%q) = %q, want %q", ops[:i+2], k, got, want)
			}
			if got, want := resp.HeaderValues(k), model.Values(k); !slices.Equal(got, want) {
				t.Fatalf("after %x: HeaderValues(%q) = %q, want %q", ops[:i+2], k, got, want)
			}
			_, want := model[http.CanonicalHeaderKey(k)]
			if got := resp.HasHeader(k); got != want {
				t.Fatalf("after %x: HasHeader(%q) = %v, want %v", ops[:i+2], k, got, want)
			}
		}
	}
	dst := http.Header{}
	resp.CopyHeader(dst)
	if !maps.EqualFunc(dst, model, slices.Equal) {
		t.Fatalf("after %x: headers %q, want %q", ops, dst, model)
	}
}

// TestResponseHeaderMethods checks the header methods against
// http.Header, op by op: inline, past the inline slots, after Header()
// built the map, and through a map the caller holds.
func TestResponseHeaderMethods(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []byte
	}{
		{"set get", []byte{0, 2, 0, 3}},
		{"case-insensitive", []byte{0, 0x12, 0, 3, 2, 1}},
		{"add then set", []byte{1, 2, 1, 0x12, 0, 0x22}},
		{"setdefault keeps", []byte{0, 4, 3, 0x14, 3, 5}},
		{"delete then set", []byte{0, 2, 2, 3, 0, 0x13, 3, 0x22}},
		{"past the inline slots", []byte{0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0, 11, 0, 12, 0, 13, 0, 2, 2, 6, 1, 7}},
		{"deleted slots are not reused", []byte{0, 5, 2, 5, 0, 6, 2, 6, 0, 7, 2, 7, 0, 8, 2, 8, 0, 9, 2, 9, 0, 10, 0, 11}},
		{"map then methods", []byte{0, 2, 5, 0, 0, 3, 6, 4, 1, 4, 2, 2, 5, 0}},
		{"copies are the caller's", []byte{0, 2, 7, 2, 1, 2, 7, 2, 4, 2, 1, 0x12}},
		{"appending to values", []byte{0, 2, 4, 2, 1, 0x12, 4, 2, 1, 0x22}},
		{"empty key", []byte{0, 14, 1, 14, 2, 14, 3, 0x1e}},
		{"held slots are not overwritten", []byte{0, 2, 0, 0x12, 0, 0x22, 0, 2, 0, 0x12, 0, 0x22, 0, 2, 0, 0x12, 0, 0x22, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := manouche.NewResponse(200, nil, "text/plain")
			applyHeaderOps(t, tc.ops, resp, http.Header{"Content-Type": {"text/plain"}})
		})
	}
}

// FuzzResponseHeader plays random op sequences on a response and on an
// http.Header and fails at the first difference.
func FuzzResponseHeader(f *testing.F) {
	f.Add([]byte{0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0, 11, 0, 12, 5, 0, 1, 2})
	f.Add([]byte{1, 2, 4, 2, 1, 2, 7, 3, 2, 2, 3, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		resp := manouche.NewResponse(200, nil, "text/plain")
		applyHeaderOps(t, ops, resp, http.Header{"Content-Type": {"text/plain"}})
	})
}

// TestResponseHeaderAliasing: a slice handed out keeps its value when the
// response's header changes after.
func TestResponseHeaderAliasing(t *testing.T) {
	resp := manouche.NewResponse(200, nil, "")
	resp.SetHeader("X-A", "1")
	held := resp.HeaderValues("X-A")
	resp.SetHeader("X-A", "2")
	if held[0] != "1" || resp.GetHeader("X-A") != "2" {
		t.Fatalf("held %q, response %q", held, resp.GetHeader("X-A"))
	}
	// Nor does deleting it, or setting it again and again, each value
	// handed out in turn, past the inline slots.
	held2 := resp.HeaderValues("X-A")
	resp.DelHeader("X-A")
	for _, v := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		resp.SetHeader("X-A", v)
		if got := resp.HeaderValues("X-A"); got[0] != v || held[0] != "1" || held2[0] != "2" {
			t.Fatalf("set %q: got %q, held %q and %q", v, got, held, held2)
		}
	}
	h := resp.Header()
	resp.SetHeader("X-A", "3")
	if h.Get("X-A") != "3" {
		t.Fatalf("Header() is not live: %q", h.Get("X-A"))
	}
	h.Set("X-B", "4")
	if resp.GetHeader("x-b") != "4" {
		t.Fatalf("a header set in the map is not the response's: %q", resp.GetHeader("X-B"))
	}
}

// TestResponseHeaderAllocations: the headers a response gets from its
// view and the built-in middleware cost nothing beyond the response.
func TestResponseHeaderAllocations(t *testing.T) {
	dst := http.Header{}
	n := testing.AllocsPerRun(100, func() {
		resp := manouche.NewResponse(200, nil, "text/plain; charset=utf-8")
		resp.SetDefaultHeader("X-Content-Type-Options", "nosniff")
		resp.SetDefaultHeader("Referrer-Policy", "same-origin")
		resp.SetDefaultHeader("Cross-Origin-Opener-Policy", "same-origin")
		if !resp.HasHeader("X-Frame-Options") {
			resp.SetHeader("X-Frame-Options", "DENY")
		}
		resp.SetHeader("Server", "manouche")
		resp.SetHeader("Content-Length", "0")
		resp.SetHeader("Vary", "Cookie")
		if resp.GetHeader("Content-Type") == "" {
			t.Fatal("no Content-Type")
		}
		clear(dst)
		resp.CopyHeader(dst)
	})
	if n != 1 {
		t.Errorf("a response with eight headers: %v allocations, want 1 (the response)", n)
	}
}

// TestResponseSize: the handler allocates a response per request, and
// counts on it fitting the 512-byte malloc size class. Most of it is the
// inline header store.
func TestResponseSize(t *testing.T) {
	if n := unsafe.Sizeof(manouche.Response{}); n > 512 {
		t.Errorf("Response is %d bytes, over the 512-byte size class the handler's per-request allocation relies on: keep the inline header slots (header.go) and the fields (response.go) packed", n)
	}
}

// TestCanonicalKey: the response's keys are http.CanonicalHeaderKey's,
// valid keys or not.
func TestCanonicalKey(t *testing.T) {
	for _, key := range []string{"", "content-type", "Content-Type", "CONTENT-TYPE", "x-a", "X-a", "x-A",
		"Foo Bar", "foo bar", "Foo\x00", "foo\x00", "-", "a--b", "A--B", "1a", "1A", "é-x", "Www-Authenticate", "WWW-Authenticate"} {
		resp := manouche.NewResponse(200, nil, "")
		resp.SetHeader(key, "v")
		want := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
		want.Set(key, "v")
		got := http.Header{}
		resp.CopyHeader(got)
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("SetHeader(%q): %q, want %q", key, got, want)
		}
	}
}
