package manouche

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Scope holds what belongs to one request and to no other: the per-request
// state of packages such as db (the request's database connections). The
// handler puts a new Scope in every request's context before it sends
// request_started, so request_started and request_finished receivers and
// the view all find the same one through their context, and nothing else
// can (DESIGN promise 2). Background work makes its own with NewScope.
//
// A Scope is safe for concurrent use.
type Scope struct {
	mu sync.Mutex
	// inline holds the first stored pairs, more the rest: a scope holds
	// a handful (one per package that keeps request state), so an array
	// in the scope itself beats a map. Six: a page through the default
	// middleware stack that uses the database stores five (the session
	// layer and session, the message layer, the CSRF state, the db state).
	// Pairs are never changed or removed once stored, so readers take no
	// lock: a writer (holding mu) fills inline[n] and then publishes n+1,
	// or publishes a new copy of more, and a reader sees a pair only once
	// it is complete. Every layer and the db layer look their state up
	// several times a request, so a lookup is a scan and nothing more.
	n        atomic.Int32 // pairs published in inline
	finished bool         // guarded by mu; beside n, in the same word
	inline   [6]scopeEntry
	more     atomic.Pointer[[]scopeEntry]
}

type scopeKey struct{}

// scopeEntry is one key and value stored in a Scope.
type scopeEntry struct{ key, value any }

// lookup finds key among the published pairs; it needs no lock.
func (s *Scope) lookup(key any) (any, bool) {
	n := int(s.n.Load())
	for i := range n {
		if e := &s.inline[i]; e.key == key {
			return e.value, true
		}
	}
	if n == len(s.inline) {
		if more := s.more.Load(); more != nil {
			for _, e := range *more {
				if e.key == key {
					return e.value, true
				}
			}
		}
	}
	return nil, false
}

// store adds a pair and publishes it; s.mu is held.
func (s *Scope) store(key, value any) {
	if n := s.n.Load(); int(n) < len(s.inline) {
		s.inline[n] = scopeEntry{key, value}
		s.n.Store(n + 1)
		return
	}
	var more []scopeEntry
	if old := s.more.Load(); old != nil {
		more = slices.Clip(*old) // a new array: readers may be ranging over the old one
	}
	more = append(more, scopeEntry{key, value})
	s.more.Store(&more)
}

// ScopeContext is a context carrying a Scope, the Scope inside it: one
// allocation for both. NewScope allocates one; a handler that allocates
// its per-request state in one piece embeds one and calls Init.
type ScopeContext struct {
	context.Context
	scope Scope
}

// Init makes c a copy of parent carrying a new, empty Scope, and returns
// the Scope. It is for a ScopeContext not in use yet (a zero one).
func (c *ScopeContext) Init(parent context.Context) *Scope {
	*c = ScopeContext{Context: parent}
	return &c.scope
}

// Value returns the Scope for the scope key, and parent's values for the
// others.
func (c *ScopeContext) Value(key any) any {
	if _, ok := key.(scopeKey); ok { // a type test: no interface comparison call
		return &c.scope
	}
	return c.Context.Value(key)
}

// NewScope returns a copy of ctx carrying a new, empty Scope, and the
// Scope.
func NewScope(ctx context.Context) (context.Context, *Scope) {
	c := new(ScopeContext)
	return c, c.Init(ctx)
}

// ScopeFrom returns the Scope ctx carries, or nil.
func ScopeFrom(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// Load returns the value stored under key.
func (s *Scope) Load(key any) (any, bool) {
	return s.lookup(key)
}

// LoadOrStore returns the value stored under key, storing the result of
// create first if there is none. create runs at most once per key, under
// the Scope's lock: it must not use the Scope. Once the scope is finished
// nothing new is stored: ok is false when key holds no value.
func (s *Scope) LoadOrStore(key any, create func() any) (v any, ok bool) {
	if v, ok := s.lookup(key); ok {
		return v, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.lookup(key); ok { // stored meanwhile
		return v, true
	}
	if s.finished {
		return nil, false
	}
	v = create()
	s.store(key, v)
	return v, true
}

// Finish marks the end of the scope: from then on LoadOrStore stores
// nothing new, so that no resource is taken for a request that is ending.
// The handler finishes a request's scope just before request_finished, so
// its receivers clean up what the scope holds, knowing nothing more can be
// added. Finish is idempotent.
func (s *Scope) Finish() {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
}

// Finished reports whether Finish was called.
func (s *Scope) Finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}
