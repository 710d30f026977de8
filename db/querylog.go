package db

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// QueryLogLimit bounds a connection's query log, as Django's queries_log
// (a deque of 9,000): past it the oldest entries are dropped.
const QueryLogLimit = 9000

// Query is one entry of the query log: Django's {"sql", "time"}, with the
// arguments kept apart from the SQL.
type Query struct {
	SQL      string
	Args     []any
	Duration time.Duration
}

// queryLog is a ring of at most limit queries.
type queryLog struct {
	mu    sync.Mutex
	limit int
	q     []Query
	next  int  // where the next entry goes once q is full
	full  bool // q has reached limit and wraps
}

func (l *queryLog) add(q Query) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		l.q = append(l.q, q)
		if len(l.q) == l.limit {
			l.full = true
		}
		return
	}
	l.q[l.next] = q
	l.next++
	if l.next == l.limit {
		l.next = 0
	}
}

// snapshot returns the entries oldest first, and whether some were
// dropped or the log is at its limit.
func (l *queryLog) snapshot() ([]Query, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Query, 0, len(l.q))
	out = append(out, l.q[l.next:]...)
	out = append(out, l.q[:l.next]...)
	return out, l.full
}

// WithQueryLog turns the query log on (Django records it when DEBUG is on:
// pass Settings.Debug): every statement a Conn runs — its SQL, arguments
// and duration, transaction control included — is recorded, at most
// QueryLogLimit per connection. The log belongs to the scope's connection,
// so it starts empty with each request (Django clears it at request start)
// and never outlives the scope. Read it with Manager.Queries. It costs a
// time.Now and a slot per statement; leave it off in production.
func WithQueryLog(on bool) ManagerOption {
	return func(m *Manager) {
		if on {
			m.queryLimit = QueryLogLimit
		} else {
			m.queryLimit = 0
		}
	}
}

// Queries returns the query log of ctx's connection to alias, oldest
// first (Django's connection.queries): nil when the scope has no
// connection to alias (Queries never opens one) or the log is off. When
// the log has reached its limit it warns, as Django: "Limit for query
// logging exceeded, only the last 9000 queries will be returned."
func (m *Manager) Queries(ctx context.Context, alias string) ([]Query, error) {
	c, err := m.existing(ctx, alias)
	if err != nil || c == nil || c.qlog == nil {
		return nil, err
	}
	qs, full := c.qlog.snapshot()
	if full {
		m.log.WarnContext(ctx, fmt.Sprintf("Limit for query logging exceeded, only the last %d queries will be returned.", c.qlog.limit), "logger", "manouche.db", "alias", alias)
	}
	return qs, nil
}
