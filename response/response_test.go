package response

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/manouche/manouche"
)

func body(t *testing.T, r *manouche.Response) string {
	t.Helper()
	b, err := r.Content()
	if err != nil {
		t.Fatalf("Content: %v", err)
	}
	return string(b)
}

// The HttpResponse subclasses: status, Content-Type, body, extra headers.
func TestConstructors(t *testing.T) {
	tests := []struct {
		name     string
		r        *manouche.Response
		status   int
		ct       string // "" means no Content-Type header at all
		body     string
		hdrName  string
		hdrValue string
	}{
		{"HTML", HTML("<p>hi</p>"), 200, "text/html; charset=utf-8", "<p>hi</p>", "", ""},
		{"Text", Text("plain"), 200, "text/plain; charset=utf-8", "plain", "", ""},
		{"Bytes", Bytes(201, []byte("<a/>"), "application/xml"), 201, "application/xml", "<a/>", "", ""},
		{"Bytes default type", Bytes(200, nil, ""), 200, "text/html; charset=utf-8", "", "", ""},
		// SEMANTICS 59: a 304 has no Content-Type and no body.
		{"NotModified", NotModified(), 304, "", "", "", ""},
		{"BadRequest", BadRequest("bad"), 400, "text/html; charset=utf-8", "bad", "", ""},
		{"Forbidden", Forbidden("no"), 403, "text/html; charset=utf-8", "no", "", ""},
		{"NotFound", NotFound("<h1>Not Found</h1>"), 404, "text/html; charset=utf-8", "<h1>Not Found</h1>", "", ""},
		{"NotFound empty", NotFound(""), 404, "text/html; charset=utf-8", "", "", ""},
		{"Gone", Gone("gone"), 410, "text/html; charset=utf-8", "gone", "", ""},
		{"ServerError", ServerError("oops"), 500, "text/html; charset=utf-8", "oops", "", ""},
		{"NotAllowed", NotAllowed("GET", "POST"), 405, "text/html; charset=utf-8", "", "Allow", "GET, POST"},
		{"NotAllowed one", NotAllowed("GET"), 405, "text/html; charset=utf-8", "", "Allow", "GET"},
		{"NotAllowed none", NotAllowed(), 405, "text/html; charset=utf-8", "", "Allow", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", r.StatusCode, tt.status)
			}
			if got, ok := r.Header()["Content-Type"]; tt.ct == "" && ok {
				t.Errorf("Content-Type = %q, want none", got)
			} else if tt.ct != "" && r.Header().Get("Content-Type") != tt.ct {
				t.Errorf("Content-Type = %q, want %q", r.Header().Get("Content-Type"), tt.ct)
			}
			if got := body(t, r); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if tt.hdrName != "" {
				v, ok := r.Header()[tt.hdrName]
				if !ok || len(v) != 1 || v[0] != tt.hdrValue {
					t.Errorf("%s = %q (present %v), want %q", tt.hdrName, v, ok, tt.hdrValue)
				}
			}
			if r.Kind() != manouche.Buffered || r.Closed() || len(r.Cookies()) != 0 {
				t.Errorf("kind %v closed %v cookies %d, want a fresh buffered response", r.Kind(), r.Closed(), len(r.Cookies()))
			}
		})
	}
}

// SEMANTICS 12: a status outside 100–599 is refused.
func TestStatusValidation(t *testing.T) {
	tests := []struct {
		status int
		ok     bool
	}{
		{-1, false}, {0, false}, {99, false}, {100, true}, {200, true}, {599, true}, {600, false}, {1000, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Bytes/%d", tt.status), func(t *testing.T) {
			defer func() {
				p := recover()
				if tt.ok && p != nil {
					t.Errorf("Bytes(%d) panicked: %v", tt.status, p)
				}
				if err, _ := p.(error); !tt.ok && !errors.Is(err, ErrInvalidStatus) {
					t.Errorf("Bytes(%d) panic = %v, want %q", tt.status, p, ErrInvalidStatus)
				}
			}()
			if r := Bytes(tt.status, nil, ""); r.StatusCode != tt.status {
				t.Errorf("status = %d", r.StatusCode)
			}
		})
		t.Run(fmt.Sprintf("JSONStatus/%d", tt.status), func(t *testing.T) {
			r, err := JSONStatus(tt.status, 1)
			if tt.ok != (err == nil) || tt.ok != (r != nil) {
				t.Fatalf("JSONStatus(%d) = %v, %v", tt.status, r, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidStatus) {
				t.Errorf("err = %v, want ErrInvalidStatus", err)
			}
			if tt.ok && r.StatusCode != tt.status {
				t.Errorf("status = %d", r.StatusCode)
			}
		})
	}
}

type point struct {
	X, Y int
	Tag  string `json:"tag,omitempty"`
}

type badMarshaler struct{}

var errBadMarshal = errors.New("cannot marshal")

func (badMarshaler) MarshalJSON() ([]byte, error) { return nil, errBadMarshal }

// JsonResponse: body, Content-Type, no HTML escaping, any value.
func TestJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"map", map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{"list", []int{1, 2}, `[1,2]`},
		{"nil", nil, `null`},
		{"struct", point{X: 1, Y: 2}, `{"X":1,"Y":2}`},
		// Not escaped, as Django's DjangoJSONEncoder.
		{"html", map[string]string{"s": `<a href="x">&</a>`}, `{"s":"<a href=\"x\">&</a>"}`},
		// UTF-8, where Django writes \u00e9 (same JSON).
		{"non-ascii", "café", `"café"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := JSON(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != 200 || r.Header().Get("Content-Type") != "application/json" {
				t.Errorf("status %d, Content-Type %q", r.StatusCode, r.Header().Get("Content-Type"))
			}
			got := body(t, r)
			if got != tt.want {
				t.Errorf("body = %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("body is not valid JSON")
			}
		})
	}
	r, err := JSONStatus(201, map[string]bool{"created": true})
	if err != nil || r.StatusCode != 201 || body(t, r) != `{"created":true}` {
		t.Errorf("JSONStatus(201) = %v, %v", r, err)
	}
}

func TestJSONErrors(t *testing.T) {
	var unsupportedType *json.UnsupportedTypeError
	var unsupportedValue *json.UnsupportedValueError
	tests := []struct {
		name  string
		v     any
		match func(error) bool
	}{
		{"channel", make(chan int), func(err error) bool { return errors.As(err, &unsupportedType) }},
		{"NaN", math.NaN(), func(err error) bool { return errors.As(err, &unsupportedValue) }},
		{"MarshalJSON", badMarshaler{}, func(err error) bool { return errors.Is(err, errBadMarshal) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := JSON(tt.v)
			if r != nil || err == nil || !tt.match(err) {
				t.Errorf("JSON = %v, %v", r, err)
			}
		})
	}
}

// The encoder and its buffer are reused: each body must still be its
// response's own, whatever the size, and an error must not leave a
// half-written document for the next response.
func TestJSONBodiesAreTheirOwn(t *testing.T) {
	big := strings.Repeat("x", 100<<10) // past the pooled buffer's bound
	var bodies []string
	var resps []*manouche.Response
	for i, v := range []any{map[string]int{"a": 1}, big, make(chan int), []int{1, 2, 3}, "short"} {
		r, err := JSON(v)
		if i == 2 {
			if err == nil {
				t.Fatal("a channel encoded")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, r)
		bodies = append(bodies, body(t, r))
	}
	want := []string{`{"a":1}`, `"` + big + `"`, `[1,2,3]`, `"short"`}
	for i, r := range resps {
		if got := body(t, r); got != want[i] || bodies[i] != want[i] {
			t.Errorf("response %d: body %.40q, read at once %.40q, want %.40q", i, got, bodies[i], want[i])
		}
	}
	if raceEnabled {
		return // the pool drops entries at random: counts vary
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = JSON(&point{X: 1, Y: 2}) }); n > 3 {
		t.Errorf("JSON of a small struct: %v allocations, want at most 3 (body, response, boxing)", n)
	}
}
