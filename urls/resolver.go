package urls

import (
	"errors"
	"fmt"
	"strings"

	"github.com/manouche/manouche"
)

// Resolving follows Django's URLResolver.resolve: the root matches a
// leading "/", then each level tries its patterns in declared order and
// the first match wins; an include consumes what it matched and resolves
// the rest below it (SEMANTICS 31). The index only skips patterns that
// cannot match, so the order of converter calls, the fall-through on
// ErrNoMatch and the errors that propagate are Django's.

// capEntry is a captured kwarg; depth is the index of its pattern in the
// leaf's chain (the includes, then the endpoint).
type capEntry struct {
	depth int
	name  string
	val   any
}

type argEntry struct {
	depth int
	val   any
}

const (
	inlineCaps = 6 // kwargs and route parameters kept on the stack
	inlineArgs = 2 // positional args kept on the stack
)

// rstate holds the captures of one Resolve call. It lives on the caller's
// stack: its arrays spill into the slices only for unusually long chains.
type rstate struct {
	kv       [inlineCaps]capEntry
	nkv      int
	moreKV   []capEntry
	args     [inlineArgs]argEntry
	nargs    int
	moreArgs []argEntry
	caps     [inlineCaps]string
	loc      [2]int
}

func (st *rstate) pushKV(e capEntry) {
	if st.nkv < inlineCaps {
		st.kv[st.nkv] = e
	} else {
		st.moreKV = append(st.moreKV, e)
	}
	st.nkv++
}

func (st *rstate) kvAt(i int) *capEntry {
	if i < inlineCaps {
		return &st.kv[i]
	}
	return &st.moreKV[i-inlineCaps]
}

func (st *rstate) pushArg(e argEntry) {
	if st.nargs < inlineArgs {
		st.args[st.nargs] = e
	} else {
		st.moreArgs = append(st.moreArgs, e)
	}
	st.nargs++
}

func (st *rstate) argAt(i int) *argEntry {
	if i < inlineArgs {
		return &st.args[i]
	}
	return &st.moreArgs[i-inlineArgs]
}

func (st *rstate) truncate(nkv, nargs int) {
	st.nkv, st.nargs = nkv, nargs
	if nkv <= inlineCaps {
		st.moreKV = st.moreKV[:0]
	} else {
		st.moreKV = st.moreKV[:nkv-inlineCaps]
	}
	if nargs <= inlineArgs {
		st.moreArgs = st.moreArgs[:0]
	} else {
		st.moreArgs = st.moreArgs[:nargs-inlineArgs]
	}
}

// Resolve matches path (path_info, starting with "/") and returns the
// match, or a *manouche.Http404 with Resolver set, Path the part that did
// not match and Tried the chains of patterns tried (SEMANTICS 39). An error
// from a converter other than ErrNoMatch is returned as it is, wrapped.
//
// The slices and maps of the match (Args, Kwargs, CapturedKwargs,
// ExtraKwargs, AppNames, Namespaces, Attrs) may be shared with the URLconf
// and with other matches: treat them as read-only.
func (c *Conf) Resolve(path string) (*manouche.ResolverMatch, error) {
	m := new(manouche.ResolverMatch)
	if err := c.ResolveInto(path, m); err != nil {
		return nil, err
	}
	return m, nil
}

// ResolveInto is Resolve writing the match into m, all of its fields, so
// that the caller chooses where it lives (manouche.Request.Resolve keeps
// it in the request). On an error m is left as it was.
func (c *Conf) ResolveInto(path string, m *manouche.ResolverMatch) error {
	if len(path) == 0 || path[0] != '/' {
		return &manouche.Http404{Resolver: true, Path: path}
	}
	rest := path[1:]
	var st rstate
	l, err := resolveLevel(c.root, rest, &st)
	if err != nil {
		return err
	}
	if l == nil {
		return &manouche.Http404{Resolver: true, Path: rest, Tried: tried(c.root, rest)}
	}
	l.match(&st, m)
	return nil
}

func resolveLevel(lv *level, rest string, st *rstate) (*leaf, error) {
	slashes := -1 // counted when first needed
	for _, i := range lv.index.lookup(rest) {
		it := &lv.items[i]
		s := rest[it.skip:]
		if len(s) < int(it.minLen) || !hasSuffix(s, it.suffix) {
			continue // cannot match: too short, or the wrong ending
		}
		if it.slashes >= 0 {
			if slashes < 0 {
				slashes = strings.Count(rest, "/")
			}
			if int(it.slashes) != slashes-int(it.skipSlashes) {
				continue // cannot match: not as many segments
			}
		}
		n := it.node
		nkv, nargs := st.nkv, st.nargs
		end, ok, err := n.match(s, it.depth, st)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if !n.include {
			return n.leaf, nil
		}
		l, err := resolveLevel(n.children, s[end:], st)
		if err != nil || l != nil {
			return l, err
		}
		st.truncate(nkv, nargs)
	}
	return nil, nil
}

// match matches the node's own pattern against s, pushing its captures
// (converted) onto st; on no match st is left as it was.
func (n *node) match(s string, depth int, st *rstate) (end int, ok bool, err error) {
	if n.rx == nil {
		r := &n.route
		var caps []string
		if len(r.params) <= inlineCaps {
			caps = st.caps[:len(r.params)]
		} else {
			caps = make([]string, len(r.params))
		}
		end, ok := r.match(s, caps)
		if !ok {
			return 0, false, nil
		}
		nkv := st.nkv
		for i := range r.params {
			p := &r.params[i]
			v, err := toGo(p, caps[i])
			if err != nil {
				st.truncate(nkv, st.nargs)
				if errors.Is(err, ErrNoMatch) {
					return 0, false, nil
				}
				return 0, false, fmt.Errorf("urls: converter of <%s> in route %s: %w", p.name, pyStrRepr(r.text), err)
			}
			st.pushKV(capEntry{depth: depth, name: p.name, val: v})
		}
		return end, true, nil
	}
	rx := n.rx
	loc := rx.match(s, &st.loc)
	if loc == nil {
		return 0, false, nil
	}
	// Django: named groups that took part become kwargs; without named
	// groups, every group is a positional arg (None when it did not take
	// part).
	for g := 1; 2*g < len(loc); g++ {
		has := loc[2*g] >= 0
		if rx.hasNamed {
			if name := rx.names[g]; name != "" && has {
				st.pushKV(capEntry{depth: depth, name: name, val: s[loc[2*g]:loc[2*g+1]]})
			}
			continue
		}
		var v any
		if has {
			v = s[loc[2*g]:loc[2*g+1]]
		}
		st.pushArg(argEntry{depth: depth, val: v})
	}
	return loc[1], true, nil
}

// toGo converts with the built-in converters directly, and with the
// others through the interface.
func toGo(p *routeParam, raw string) (any, error) {
	switch p.class {
	case classStr, classSlug, classPath:
		return raw, nil
	case classInt:
		// raw is [0-9]+: only an overflow can fail.
		n := 0
		for i := 0; i < len(raw); i++ {
			d := int(raw[i] - '0')
			if n > (maxInt-d)/10 {
				return nil, ErrNoMatch
			}
			n = n*10 + d
		}
		return n, nil
	}
	return p.conv.ToGo(raw)
}

const maxInt = int(^uint(0) >> 1)

// match writes the ResolverMatch of l, built from the captures in st,
// into m (SEMANTICS 37, 38).
func (l *leaf) match(st *rstate, m *manouche.ResolverMatch) {
	*m = manouche.ResolverMatch{
		View:        l.view,
		ExtraKwargs: l.extra,
		URLName:     l.node.name,
		Route:       l.route,
		AppNames:    l.appNames,
		Namespaces:  l.namespaces,
		Attrs:       l.attrs,
	}
	leafDepth := len(l.chain)
	leafStart := st.nkv // first kwarg captured by the endpoint itself
	for leafStart > 0 && st.kvAt(leafStart-1).depth == leafDepth {
		leafStart--
	}
	switch {
	case st.nkv == 0:
		m.Kwargs = l.extra
	case leafStart == 0 && len(l.extra) == 0:
		// Only the endpoint captured, and no pattern adds kwargs.
		kw := make(map[string]any, st.nkv)
		for j := 0; j < st.nkv; j++ {
			e := st.kvAt(j)
			kw[e.name] = e.val
		}
		m.Kwargs, m.CapturedKwargs = kw, kw
	default:
		// Django merges level by level: an include's captures, then its
		// default kwargs, then what the level below returned; the
		// endpoint's extra kwargs override its captures.
		kw := make(map[string]any, st.nkv+len(l.extra))
		j := 0
		for d, inc := range l.chain {
			for ; j < leafStart && st.kvAt(j).depth == d; j++ {
				e := st.kvAt(j)
				kw[e.name] = e.val
			}
			for k, v := range inc.kwargs {
				kw[k] = v
			}
		}
		for ; j < st.nkv; j++ {
			e := st.kvAt(j)
			kw[e.name] = e.val
		}
		for k, v := range l.node.kwargs {
			kw[k] = v
		}
		m.Kwargs = kw
		// Django's captured_kwargs are the endpoint's own captures.
		if n := st.nkv - leafStart; n > 0 {
			if leafStart == 0 && len(l.extra) == 0 {
				m.CapturedKwargs = kw
			} else {
				ck := make(map[string]any, n)
				for j := leafStart; j < st.nkv; j++ {
					e := st.kvAt(j)
					ck[e.name] = e.val
				}
				m.CapturedKwargs = ck
			}
		}
	}
	if st.nargs > 0 {
		m.Args = l.args(st, leafStart)
	}
}

// args applies Django's rule: the args captured by an include are put in
// front only while the kwargs merged so far are empty.
func (l *leaf) args(st *rstate, leafStart int) []any {
	leafDepth := len(l.chain)
	from := st.nargs // the first arg kept
	for from > 0 && st.argAt(from-1).depth == leafDepth {
		from--
	}
	empty := st.nkv == leafStart && len(l.node.kwargs) == 0
	for d := leafDepth - 1; d >= 0 && empty; d-- {
		for j := 0; j < st.nkv; j++ {
			if st.kvAt(j).depth == d {
				empty = false
			}
		}
		if len(l.chain[d].kwargs) > 0 {
			empty = false
		}
		if empty {
			for from > 0 && st.argAt(from-1).depth == d {
				from--
			}
		}
	}
	var out []any
	for j := from; j < st.nargs; j++ {
		out = append(out, st.argAt(j).val)
	}
	return out
}

// tried lists the chains Django's resolver records when nothing matches:
// one per endpoint, one per include that did not match, and the chains
// below each include that did (SEMANTICS 39). It walks every pattern; it
// only runs for a 404.
func tried(lv *level, rest string) [][]manouche.TriedPattern {
	var out [][]manouche.TriedPattern
	for i := range lv.nodes {
		n := &lv.nodes[i]
		tp := manouche.TriedPattern{Pattern: n.text, Name: n.name, Namespace: n.namespace, AppName: n.appName, Include: n.include}
		if !n.include {
			out = append(out, []manouche.TriedPattern{tp})
			continue
		}
		var st rstate
		end, ok, err := n.match(rest, 0, &st)
		if err != nil || !ok {
			out = append(out, []manouche.TriedPattern{tp})
			continue
		}
		for _, sub := range tried(n.children, rest[end:]) {
			chain := make([]manouche.TriedPattern, 0, len(sub)+1)
			out = append(out, append(append(chain, tp), sub...))
		}
	}
	return out
}

// Tried returns the chains of patterns the resolver tries for path, in
// declared order: up to and including the one that matches (Django's
// ResolverMatch.tried), or every chain tried when nothing matches, as a
// 404 carries. It walks the patterns one by one, so it is meant for
// DEBUG pages (the technical 404 of a view that raised Http404), not for
// every request.
func (c *Conf) Tried(path string) [][]manouche.TriedPattern {
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	out, _ := triedUntil(c.root, path[1:])
	return out
}

// triedUntil is tried, stopping after the first endpoint that matches;
// matched says whether one did.
func triedUntil(lv *level, rest string) (out [][]manouche.TriedPattern, matched bool) {
	for i := range lv.nodes {
		n := &lv.nodes[i]
		tp := manouche.TriedPattern{Pattern: n.text, Name: n.name, Namespace: n.namespace, AppName: n.appName, Include: n.include}
		var st rstate
		end, ok, err := n.match(rest, 0, &st)
		if !n.include {
			out = append(out, []manouche.TriedPattern{tp})
			if err == nil && ok {
				return out, true
			}
			continue
		}
		if err != nil || !ok {
			out = append(out, []manouche.TriedPattern{tp})
			continue
		}
		sub, done := triedUntil(n.children, rest[end:])
		for _, chain := range sub {
			out = append(out, append([]manouche.TriedPattern{tp}, chain...))
		}
		if done {
			return out, true
		}
	}
	return out, false
}
