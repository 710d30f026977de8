package templates

import (
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
)

// extendsRe matches the extends directive, a template comment that must
// come first in the file (only white space before it):
//
//	{{/* extends "base.html" */}}
//
// The trim markers of Go comments are allowed: {{- /* extends "x" */ -}}.
var extendsRe = regexp.MustCompile(`^\s*\{\{(?:- )?/\*\s*extends\s+("(?:[^"\\\n]|\\.)*")\s*\*/(?: -)?\}\}`)

// laterExtendsRe finds an extends directive anywhere, to refuse one that is
// not first (Django: "{% extends %} must be the first tag").
var laterExtendsRe = regexp.MustCompile(`\{\{(?:- )?/\*\s*extends\s`)

// extendsOf returns the name that src extends, if it starts with the
// directive.
func extendsOf(src *source) (parent string, ok bool, err error) {
	m := extendsRe.FindStringSubmatchIndex(src.text)
	rest, off := src.text, 0
	if m != nil {
		parent, err = strconv.Unquote(src.text[m[2]:m[3]])
		if err != nil {
			return "", false, fmt.Errorf("templates: %s:1: bad extends directive: %w", src.where, err)
		}
		if parent == "" {
			return "", false, fmt.Errorf("templates: %s:1: the extends directive names no template", src.where)
		}
		rest, off = src.text[m[1]:], m[1]
	}
	if loc := laterExtendsRe.FindStringIndex(rest); loc != nil {
		line := 1 + strings.Count(src.text[:off+loc[0]], "\n")
		return "", false, fmt.Errorf("templates: %s:%d: an extends directive must come first in the template", src.where, line)
	}
	return parent, m != nil, nil
}

// entryOf reads and parses the template name with everything it needs
// into one html/template set: the chain of templates it extends, parsed
// from the root layout down to name so that each one's {{define}}
// replaces the {{block}} or {{define}} of the same name above it; then,
// until none is left, the templates that a {{template "x"}} names and
// the set does not define, read by name from the loaders (Django's
// {% include %}). It returns a nil entry and the places searched when name
// itself does not exist; any other failure is an error naming the file.
func (e *Engine) entryOf(name string) (*entry, []Tried, error) {
	first, tried, err := e.read(name, nil)
	if err != nil || first == nil {
		return nil, tried, err
	}
	chain := []*source{first}
	for cur := first; ; {
		parent, ok, err := extendsOf(cur)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		for _, s := range chain {
			if s.name == parent {
				return nil, nil, fmt.Errorf("templates: %s: extends cycle: %s", cur.where, cycle(chain, parent))
			}
		}
		src, tried, err := e.read(parent, nil)
		if err != nil {
			return nil, nil, err
		}
		if src == nil {
			return nil, nil, fmt.Errorf("templates: %s extends %q: %w", cur.where, parent, &DoesNotExistError{Names: []string{parent}, Tried: tried})
		}
		chain = append(chain, src)
		cur = src
	}

	root := chain[len(chain)-1]
	set := template.New(root.name).Funcs(e.funcMap(&state{e: e}))
	for i := len(chain) - 1; i >= 0; i-- {
		t := set
		if i < len(chain)-1 {
			t = set.New(chain[i].name)
		}
		if _, err := t.Parse(chain[i].text); err != nil {
			return nil, nil, fmt.Errorf("templates: %s: %w", chain[i].where, err)
		}
	}
	deps, err := e.addIncludes(set, chain)
	if err != nil {
		return nil, nil, err
	}
	return newEntry(name, first.where, set, deps, e.poolSize), nil, nil
}

// cycle renders an extends cycle: "a.html → b.html → a.html".
func cycle(chain []*source, again string) string {
	names := make([]string, 0, len(chain)+1)
	for _, s := range chain {
		names = append(names, s.name)
	}
	return strings.Join(append(names, again), " → ")
}

// addIncludes loads into set the templates named by {{template}} actions
// that the set does not define, and those they name in turn. Files
// loaded this way may not extend a layout, and may not redefine a
// template the set already has (their {{define}}s would silently replace
// the page's blocks). It returns every file read, chain included.
func (e *Engine) addIncludes(set *template.Template, chain []*source) ([]*source, error) {
	files := slices.Clone(chain)
	whereOf := func(parseName string) string {
		for _, s := range files {
			if s.name == parseName {
				return s.where
			}
		}
		return parseName
	}
	for {
		missing := undefinedRefs(set)
		if len(missing) == 0 {
			return files, nil
		}
		for _, ref := range missing {
			src, tried, err := e.read(ref.name, nil)
			if err != nil {
				return nil, err
			}
			if src == nil {
				return nil, fmt.Errorf("templates: %s: {{template %q}}: %w", whereOf(ref.parseName), ref.name, &DoesNotExistError{Names: []string{ref.name}, Tried: tried})
			}
			if parent, ok, err := extendsOf(src); err != nil {
				return nil, err
			} else if ok {
				return nil, fmt.Errorf("templates: %s extends %q, but it is included with {{template %q}} by %s: an included template cannot extend another", src.where, parent, ref.name, whereOf(ref.parseName))
			}
			before := map[string]*parse.Tree{}
			for _, t := range set.Templates() {
				before[t.Name()] = t.Tree
			}
			if _, err := set.New(src.name).Parse(src.text); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", src.where, err)
			}
			for _, t := range set.Templates() {
				if old, ok := before[t.Name()]; ok && old != t.Tree {
					return nil, fmt.Errorf("templates: %s redefines %q, which %s already defines", src.where, t.Name(), whereOf(old.ParseName))
				}
			}
			files = append(files, src)
		}
	}
}

// ref is a {{template "name"}} action: the name it calls and the file it
// was parsed from.
type ref struct{ name, parseName string }

// undefinedRefs returns, sorted by name, the {{template}} calls in set
// whose name the set does not define.
func undefinedRefs(set *template.Template) []ref {
	seen := map[string]bool{}
	var out []ref
	for _, t := range set.Templates() {
		if t.Tree == nil {
			continue
		}
		walk(t.Tree.Root, func(n *parse.TemplateNode) {
			if seen[n.Name] || set.Lookup(n.Name) != nil {
				return
			}
			seen[n.Name] = true
			out = append(out, ref{name: n.Name, parseName: t.Tree.ParseName})
		})
	}
	slices.SortFunc(out, func(a, b ref) int { return strings.Compare(a.name, b.name) })
	return out
}

// walk calls f for every {{template}} action under n.
func walk(n parse.Node, f func(*parse.TemplateNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.IfNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.RangeNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.WithNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.TemplateNode:
		f(n)
	}
}
