package sessiondb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/middleware"
)

// Table is the name of the sessions table.
const Table = "manouche_session"

// Store is the database session store: a middleware.SessionStore and a
// middleware.ExpiredSessionsClearer. It is safe for concurrent use.
type Store struct {
	m     *db.Manager
	alias string
	now   func() time.Time
}

// Option configures New.
type Option func(*Store)

// WithClock sets the clock that expiry dates are computed and compared
// with (tests); nil means time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns the store keeping sessions in the manouche_session table of
// the database alias of m (create it with Migrate).
func New(m *db.Manager, alias string, opts ...Option) *Store {
	s := &Store{m: m, alias: alias}
	for _, o := range opts {
		o(s)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Placeholders are numbered in the order they appear in each statement:
// SQLite reads "$1" as a name and numbers parameters by first appearance.

// clock returns now in UTC to the microsecond: what both databases store,
// and, on SQLite, a text form whose order is the time order.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Migrate creates the manouche_session table and its index on expire_date
// in the database alias of m, if they do not exist. It is idempotent. With
// a context that carries no scope it makes a Background scope of its own.
func Migrate(ctx context.Context, m *db.Manager, alias string) error {
	return m.Do(ctx, alias, func(ctx context.Context, c *db.Conn) error {
		expire := "timestamp with time zone"
		if c.Engine() == db.SQLite {
			expire = "datetime"
		}
		stmts := []string{
			"CREATE TABLE IF NOT EXISTS " + Table + " (" +
				"session_key varchar(40) NOT NULL PRIMARY KEY, " +
				"session_data text NOT NULL, " +
				"expire_date " + expire + " NOT NULL)",
			"CREATE INDEX IF NOT EXISTS " + Table + "_expire_date_idx ON " + Table + " (expire_date)",
		}
		for _, q := range stmts {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sessiondb: migrating: %w", err)
			}
		}
		return nil
	})
}

// Load returns the session under key unless it has expired. A row whose
// data is not a JSON object loads as an empty session, as Django's decode
// does.
func (s *Store) Load(ctx context.Context, key string) (map[string]any, bool, error) {
	if !middleware.ValidSessionKey(key) {
		return nil, false, nil
	}
	var raw string
	err := s.m.Do(ctx, s.alias, func(ctx context.Context, c *db.Conn) error {
		return c.GetContext(ctx, &raw, "SELECT session_data FROM "+Table+" WHERE session_key = $1 AND expire_date > $2", key, s.clock())
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sessiondb: loading: %w", err)
	}
	var data map[string]any
	if json.Unmarshal([]byte(raw), &data) != nil || data == nil {
		data = map[string]any{}
	}
	return data, true, nil
}

// Save stores data under key until age from now: a new row with create
// (middleware.ErrSessionKeyExists when key is taken), else an update of
// the existing row (middleware.ErrSessionInterrupted when it is gone).
func (s *Store) Save(ctx context.Context, key string, data map[string]any, age time.Duration, create bool) (string, error) {
	if !middleware.ValidSessionKey(key) {
		return "", fmt.Errorf("sessiondb: refusing to save under the malformed key %q", key)
	}
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("sessiondb: encoding the session: %w", err)
	}
	expire := s.clock().Add(age)
	var n int64
	err = s.m.Do(ctx, s.alias, func(ctx context.Context, c *db.Conn) error {
		var res sql.Result
		var err error
		if create {
			res, err = c.ExecContext(ctx, "INSERT INTO "+Table+" (session_key, session_data, expire_date) VALUES ($1, $2, $3) ON CONFLICT (session_key) DO NOTHING", key, string(b), expire)
		} else {
			res, err = c.ExecContext(ctx, "UPDATE "+Table+" SET session_data = $1, expire_date = $2 WHERE session_key = $3", string(b), expire, key)
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("sessiondb: saving: %w", err)
	case n == 0 && create:
		return "", middleware.ErrSessionKeyExists
	case n == 0:
		return "", middleware.ErrSessionInterrupted
	}
	return key, nil
}

// Delete deletes the session under key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !middleware.ValidSessionKey(key) {
		return nil
	}
	err := s.m.Do(ctx, s.alias, func(ctx context.Context, c *db.Conn) error {
		_, err := c.ExecContext(ctx, "DELETE FROM "+Table+" WHERE session_key = $1", key)
		return err
	})
	if err != nil {
		return fmt.Errorf("sessiondb: deleting: %w", err)
	}
	return nil
}

// ClearExpired deletes the expired sessions and returns how many
// (Django's clear_expired). With a context that carries no scope (a job)
// it makes a Background scope of its own.
func (s *Store) ClearExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.m.Do(ctx, s.alias, func(ctx context.Context, c *db.Conn) error {
		res, err := c.ExecContext(ctx, "DELETE FROM "+Table+" WHERE expire_date < $1", s.clock())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sessiondb: clearing expired sessions: %w", err)
	}
	return n, nil
}

var (
	_ middleware.SessionStore           = (*Store)(nil)
	_ middleware.ExpiredSessionsClearer = (*Store)(nil)
)
