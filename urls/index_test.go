package urls

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/manouche/manouche"
)

func TestTrie(t *testing.T) {
	keys := []string{"", "app1/", "app12/", "app2/", "api/", "app1/x", "", "b", "app1/"}
	tr := buildTrie(keys)
	tests := []struct {
		s    string
		want []int32
	}{
		{"", []int32{0, 6}},
		{"zzz", []int32{0, 6}},
		{"app1/", []int32{0, 1, 6, 8}},
		{"app1/xyz", []int32{0, 1, 5, 6, 8}},
		{"app12/", []int32{0, 2, 6}},
		{"app1", []int32{0, 6}},
		{"bb", []int32{0, 6, 7}},
		{"api", []int32{0, 6}},
	}
	for _, tt := range tests {
		if got := tr.lookup(tt.s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("lookup(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	// A node with more than 8 children uses its 256-entry table.
	var wide []string
	for c := 'a'; c <= 'z'; c++ {
		wide = append(wide, string(c)+"/")
	}
	tr = buildTrie(wide)
	for i, k := range wide {
		if got := tr.lookup(k + "rest"); !reflect.DeepEqual(got, []int32{int32(i)}) {
			t.Errorf("wide lookup(%q) = %v", k, got)
		}
	}
	if got := tr.lookup("A/"); len(got) != 0 {
		t.Errorf("wide miss: %v", got)
	}
}

// linearResolve is Django's resolver without the index, the flattening
// or the quick rejects: every pattern in order.
func linearResolve(lv *level, rest string, depth int, st *rstate) (*leaf, error) {
	for i := range lv.nodes {
		n := &lv.nodes[i]
		nkv, nargs := st.nkv, st.nargs
		end, ok, err := n.match(rest, depth, st)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if !n.include {
			return n.leaf, nil
		}
		l, err := linearResolve(n.children, rest[end:], depth+1, st)
		if err != nil || l != nil {
			return l, err
		}
		st.truncate(nkv, nargs)
	}
	return nil, nil
}

// pickyConv rejects "cc" with ErrNoMatch and fails on "ccc".
type pickyConv struct{}

func (pickyConv) Regex() string { return "[a-c]+" }
func (pickyConv) ToGo(s string) (any, error) {
	switch s {
	case "cc":
		return nil, ErrNoMatch
	case "ccc":
		return nil, fmt.Errorf("picky: %q", s)
	}
	return strings.ToUpper(s), nil
}
func (pickyConv) ToURL(v any) (string, error) { return strings.ToLower(pyStr(v)), nil }

var (
	genLits  = []string{"", "a/", "b/", "ab/", "a", "x-", "1/", "ab"}
	genConvs = []string{"<int:n%d>", "<slug:s%d>", "<t%d>", "<path:p%d>", "<uuid:u%d>", "<picky:c%d>"}
	genRegex = []string{`^a/(?P<x%d>[0-9]+)/$`, `^b`, `a/$`, `^(?:a|b)/`, `^([0-9]+)/`, `^$`, `^ab/`, `(?P<y%d>[ab]+)`}
	genPaths = []string{"a/", "b/", "ab/", "a", "12/", "1/", "cc/", "ccc/", "abc/", "x-", "x-1/",
		"39da9369-838e-4750-91a5-f7805cd82839/", "\n", "//", "é/", "-/", "999999999999999999999/"}
)

// genRoute makes a random route with parameters numbered from *k.
func genRoute(rng *rand.Rand, k *int) string {
	var b strings.Builder
	for i := rng.Intn(3); i >= 0; i-- {
		b.WriteString(genLits[rng.Intn(len(genLits))])
		if rng.Intn(2) == 0 {
			*k++
			b.WriteString(fmt.Sprintf(genConvs[rng.Intn(len(genConvs))], *k))
		}
	}
	return b.String()
}

func genPatterns(rng *rand.Rand, depth int, k, names *int) []Pattern {
	var out []Pattern
	for i := rng.Intn(5); i >= 0; i-- {
		*names++
		name := Name(fmt.Sprintf("n%d", *names))
		switch r := rng.Intn(10); {
		case r < 2 && depth < 3:
			*k++
			out = append(out, ReInclude(strings.ReplaceAll(genRegex[rng.Intn(len(genRegex))], "%d", fmt.Sprint(*k)),
				genPatterns(rng, depth+1, k, names), Kwargs(map[string]any{"d": depth})))
		case r < 5 && depth < 3:
			out = append(out, Include(genRoute(rng, k), genPatterns(rng, depth+1, k, names)))
		case r < 7:
			*k++
			out = append(out, RePath(strings.ReplaceAll(genRegex[rng.Intn(len(genRegex))], "%d", fmt.Sprint(*k)), emptyView, name))
		default:
			out = append(out, Path(genRoute(rng, k), emptyView, name))
		}
	}
	return out
}

// TestIndexEquivalence checks, on random URLconfs and paths, that the
// indexed resolver (trie, flattened literal includes, quick rejects)
// gives exactly what trying every pattern in order gives (SEMANTICS 31,
// 34), and that the byte matcher of routes agrees with their regex.
func TestIndexEquivalence(t *testing.T) {
	reg := NewConverters()
	if err := reg.Register("picky", pickyConv{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	confs, checked := 0, 0
	outcome := map[string]int{}
	for confs < 300 {
		k, names := 0, 0
		c, err := New(genPatterns(rng, 0, &k, &names), WithConverters(reg))
		if err != nil {
			continue // e.g. a parameter used twice
		}
		confs++
		for p := 0; p < 40; p++ {
			var sb strings.Builder
			sb.WriteString("/")
			for i := rng.Intn(4); i > 0; i-- {
				sb.WriteString(genPaths[rng.Intn(len(genPaths))])
			}
			path := sb.String()
			m, err := c.Resolve(path)
			var st rstate
			l, werr := linearResolve(c.root, path[1:], 0, &st)
			var want *manouche.ResolverMatch
			if l != nil {
				want = new(manouche.ResolverMatch)
				l.match(&st, want)
			}
			checked++
			switch {
			case werr != nil:
				outcome["error"]++
			case want == nil:
				outcome["404"]++
			default:
				outcome["match"]++
			}
			switch {
			case werr != nil:
				if err == nil || err.Error() != werr.Error() {
					t.Fatalf("%q: error %v, want %v", path, err, werr)
				}
			case want == nil:
				if err == nil {
					t.Fatalf("%q: matched %q, want a 404", path, m.URLName)
				}
				http404(t, err)
			default:
				if err != nil {
					t.Fatalf("%q: %v, want %q", path, err, want.URLName)
				}
				if m.URLName != want.URLName || !eqKw(m.Kwargs, want.Kwargs) || !eqArgs(m.Args, want.Args) {
					t.Fatalf("%q: got %q %v %v, want %q %v %v", path, m.URLName, m.Kwargs, m.Args, want.URLName, want.Kwargs, want.Args)
				}
			}
		}
	}
	t.Logf("%d URLconfs, %d paths: %v", confs, checked, outcome)

	// The byte matcher and the regex of a route agree.
	convs := reg.snapshot()
	for i := 0; i < 3000; i++ {
		k := 0
		text := genRoute(rng, &k)
		for _, endpoint := range []bool{true, false} {
			r, err := parseRoute(text, endpoint, convs)
			if err != nil || !r.fast {
				continue
			}
			re, groups, err := compileRoute(r)
			if err != nil {
				t.Fatal(err)
			}
			slow := &route{text: text, lits: r.lits, params: r.params, endpoint: endpoint, routeRe: &routeRe{re: re, groups: groups}}
			for j := 0; j < 20; j++ {
				var sb strings.Builder
				for n := rng.Intn(4); n >= 0; n-- {
					sb.WriteString(genPaths[rng.Intn(len(genPaths))])
				}
				s := sb.String()
				c1, c2 := make([]string, len(r.params)), make([]string, len(r.params))
				e1, ok1 := r.match(s, c1)
				e2, ok2 := slow.match(s, c2)
				if ok1 != ok2 || ok1 && (e1 != e2 || !reflect.DeepEqual(c1, c2)) {
					t.Fatalf("route %q (endpoint %v) on %q: fast %v %d %q, regex %v %d %q", text, endpoint, s, ok1, e1, c1, ok2, e2, c2)
				}
			}
		}
	}
}
