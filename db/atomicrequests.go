package db

import (
	"context"
	"slices"

	"github.com/manouche/manouche"
)

// nonAtomicKey is the route attribute key of NonAtomic.
type nonAtomicKey struct{}

// NonAtomic returns the route attribute, key and value for urls.Attr,
// that opts a view out of AtomicRequests on the given aliases
// (DefaultAlias when none): Django's @non_atomic_requests, the Go way.
//
//	urls.Path("upload/", upload, urls.Attr(db.NonAtomic()))
//	urls.Path("sync/", sync, urls.Attr(db.NonAtomic("default", "replica")))
//
// An alias without AtomicRequests, or not configured at all, has no
// effect. Set on an include, it covers every route under it.
func NonAtomic(aliases ...string) (key, value any) {
	if len(aliases) == 0 {
		aliases = []string{DefaultAlias}
	}
	return nonAtomicKey{}, slices.Clone(aliases)
}

// MakeViewAtomic is Django's make_view_atomic, for
// handler.Config.ViewWrappers: for each database with AtomicRequests (in
// alias order, the first outermost), it runs the view inside Atomic on
// that database, unless the route opts out with NonAtomic. Only
// the view call is wrapped (SEMANTICS 83): process_view before it, and
// after it process_exception (which sees the error after the rollback),
// template rendering, process_response and the writing of a stream, run
// outside the transaction; the commit happens before the first byte is
// written. The view returning an error or panicking rolls back. Wrapping
// connects to the database even if the view runs no query, as Django's
// atomic does. With no database using AtomicRequests it returns view
// itself and costs nothing.
func (m *Manager) MakeViewAtomic(r *manouche.Request, view manouche.View) manouche.View {
	if len(m.atomicAliases) == 0 {
		return view
	}
	var exempt any
	if r.ResolverMatch != nil {
		exempt, _ = r.ResolverMatch.Attr(nonAtomicKey{})
	}
	for i := len(m.atomicAliases) - 1; i >= 0; i-- {
		alias := m.atomicAliases[i]
		if exempted(exempt, alias) {
			continue
		}
		view = m.atomicView(alias, view)
	}
	return view
}

// atomicView wraps view in Atomic on alias.
func (m *Manager) atomicView(alias string, view manouche.View) manouche.View {
	return func(r *manouche.Request) (*manouche.Response, error) {
		var resp *manouche.Response
		err := m.Atomic(r.Context(), alias, func(context.Context) error {
			var err error
			resp, err = view(r)
			return err
		})
		if err != nil && resp != nil {
			// The view answered, then the commit (or an on-commit hook)
			// failed: its response is not the answer, but it may hold
			// files, so it is closed with the discarded ones.
			r.KeepResponse(resp)
			resp = nil
		}
		return resp, err
	}
}

// exempted reports whether the NonAtomic value v names alias.
func exempted(v any, alias string) bool {
	aliases, _ := v.([]string)
	return slices.Contains(aliases, alias)
}
