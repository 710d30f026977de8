package middleware

import (
	"maps"
	"slices"

	"github.com/manouche/manouche"
)

// StaticIndexNames returns the names the static layer m serves now (its
// index), sorted. For tests only.
func StaticIndexNames(m Middleware) []string {
	return slices.Sorted(maps.Keys(*m.(*staticFiles).files.Load()))
}

// StaticLookup returns the index name the static layer m serves for r, as
// Serve finds it. For tests only.
func StaticLookup(m Middleware, r *manouche.Request) (string, bool) {
	s := m.(*staticFiles)
	name, ok := s.relName(r)
	if !ok {
		return "", false
	}
	e, err := s.find(name)
	if err != nil || e == nil {
		return "", false
	}
	return e.name, true
}
