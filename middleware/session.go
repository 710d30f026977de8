package middleware

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/manouche/manouche"
)

const (
	// sessionKeyChars are Django's VALID_KEY_CHARS.
	sessionKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789"
	// sessionKeyLen is the length of the keys Sessions makes.
	sessionKeyLen = 32
	// sessionExpiryKey is where SetExpiry keeps a custom expiry, in
	// seconds, in the session data, as Django does.
	sessionExpiryKey = "_session_expiry"
	// sessionCreateAttempts bounds the retries of a new key that a store
	// finds taken (Django's create() loops for ever; 36^32 keys make a
	// second attempt already astronomically rare).
	sessionCreateAttempts = 8
)

// SessionStore keeps sessions between requests: Django's SessionBase
// backends, reduced to what differs between them. Sessions calls it with
// the request's context, and only when a request uses its session.
//
// The session cookie holds a value the store understands, called the key
// here. A server-side store (package sessiondb) keeps the data under an
// opaque random key that Sessions makes (32 characters from [a-z0-9]) and
// the cookie holds the key; the signed-cookie store (SignedCookies) keeps
// nothing and its "key" is the signed data itself. Sessions checks a key
// read from the cookie before any call — with ValidSessionKey, or with the
// store's own ValidSessionKey method if it implements SessionKeyValidator —
// so that a malformed cookie is a fresh session and never reaches the
// store.
//
// A store may also implement Configurer (Sessions calls it once, when the
// handler is built, with the handler's settings: the signed-cookie store
// takes its key there) and ExpiredSessionsClearer. It must be safe for
// concurrent use.
type SessionStore interface {
	// Load returns the data of the session under key. ok is false when
	// there is none — never stored, deleted, expired, or (for a store
	// whose key is the data) forged: the request then gets a fresh, empty
	// session, and a new key when it is saved. The map returned belongs to
	// the caller. An error is a failure of the store itself (a database
	// that cannot be reached) and fails the request.
	Load(ctx context.Context, key string) (data map[string]any, ok bool, err error)
	// Save stores data under key, to be kept for age from now (age may be
	// zero or negative: the session has expired), and returns the value
	// of the session cookie: key itself for a server-side store, the
	// signed data for the signed-cookie store. data is only read, and not
	// kept once Save returns.
	//
	// With create, key is a new key and Save must not overwrite a session
	// stored under it: when the key is taken it returns an error matching
	// ErrSessionKeyExists, and Sessions tries another key (Django's
	// CreateError). Without create, the session under key is replaced; a
	// server-side store returns an error matching ErrSessionInterrupted
	// when it is gone, deleted since it was loaded (Django's UpdateError).
	Save(ctx context.Context, key string, data map[string]any, age time.Duration, create bool) (cookie string, err error)
	// Delete deletes the session under key; a key with no session is no
	// error.
	Delete(ctx context.Context, key string) error
}

// SessionKeyValidator is implemented by a store whose keys are not
// Sessions' own [a-z0-9] keys (the signed-cookie store): Sessions asks it,
// instead of ValidSessionKey, whether a value read from the session cookie
// is worth a Load. It must be cheap and must not block.
type SessionKeyValidator interface {
	ValidSessionKey(key string) bool
}

// ExpiredSessionsClearer is implemented by stores that can delete their
// expired sessions (Django's clear_expired); ClearExpired returns how many
// it deleted.
type ExpiredSessionsClearer interface {
	ClearExpired(ctx context.Context) (int64, error)
}

var (
	// ErrSessionKeyExists is returned (wrapped or not) by a store's Save
	// with create when the key is taken (Django's CreateError).
	ErrSessionKeyExists = errors.New("session: the session key is already taken")
	// ErrSessionInterrupted is Django's SessionInterrupted: a store's Save
	// of an existing session found it deleted meanwhile — the user logged
	// out in a concurrent request, for example. It is a
	// *manouche.BadRequest, so the handler answers 400; match it with
	// errors.Is.
	ErrSessionInterrupted error = &manouche.BadRequest{Message: "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example."}
	// errSessionDone: a change after the session middleware's response
	// phase, which would be lost.
	errSessionDone = errors.New("session: the session was changed after the session middleware's response phase had saved it, so the change would be lost; a layer that changes the session must come after middleware.Sessions in the middleware list, and a streaming body cannot change it")
	// errNoSession: a method called on the nil *Session of SessionFrom.
	errNoSession = errors.New("session: no session: the request did not go through middleware.Sessions (list it before the layers and views that use the session)")
)

// ClearExpiredSessions deletes the expired sessions of store, Django's
// clearsessions command: run it from a periodic job. It fails when the
// store cannot clear (it does not implement ExpiredSessionsClearer); the
// signed-cookie store has nothing to clear and returns nil.
func ClearExpiredSessions(ctx context.Context, store SessionStore) error {
	c, ok := store.(ExpiredSessionsClearer)
	if !ok {
		return fmt.Errorf("Session engine '%T' doesn't support clearing expired sessions.", store)
	}
	_, err := c.ClearExpired(ctx)
	return err
}

// ValidSessionKey reports whether key may be a session key: 8 to 40
// characters from [a-z0-9]. Sessions makes 32-character keys; a cookie
// holding anything else is a fresh session, never a store query.
func ValidSessionKey(key string) bool {
	if len(key) < 8 || len(key) > 40 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// newSessionKey returns 32 characters from [a-z0-9] drawn from
// crypto/rand, Django's get_random_string(32, VALID_KEY_CHARS).
func newSessionKey() (string, error) {
	var out [sessionKeyLen]byte
	var buf [sessionKeyLen + 8]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("session: making a key: %w", err)
		}
		for _, b := range buf {
			// 252 = 7*36: rejecting the rest keeps the draw uniform.
			if b < 252 && n < len(out) {
				out[n] = sessionKeyChars[b%36]
				n++
			}
		}
	}
	return string(out[:]), nil
}

// Session is Django's request.session: a dictionary kept between the
// requests of one client, by a SessionStore, under a key the client holds
// in the session cookie. SessionFrom returns the request's.
//
// It is lazy: nothing is read from the store until a method needs the
// data, so a request that never uses its session costs no store call.
// Values are JSON: Set refuses what encoding/json cannot encode, and Get
// returns values as encoding/json decodes them (float64, string, bool,
// nil, []any, map[string]any), in the request that set them as in the
// later ones. Methods that reach the store use the request's context.
//
// The session middleware saves the session in its response phase when it
// was changed (see Sessions); a change after that phase (from a layer
// listed before Sessions, or a streaming body) would be lost, so Set,
// Delete, Clear, Flush and CycleKey refuse it with an error. A Session
// belongs to one request and is not safe for concurrent use, like the
// Request.
type Session struct {
	l   *sessionLayer
	r   *manouche.Request
	key string
	// fresh: key was made here (CycleKey) and is not in the store yet;
	// saving creates it.
	fresh bool
	// data is the session's dictionary once loaded.
	data   map[string]any
	loaded bool
	// pendingExpiry holds a SetExpiry made before the data was loaded
	// (seconds); it is applied to the data when it is.
	pendingExpiry    int64
	hasPendingExpiry bool

	accessed, modified bool
	// done: the response phase has run; changes are refused.
	done bool
}

// sessionLayerKey is the key of the session layer in a request's scope;
// sessionKey the key of the request's Session.
type (
	sessionLayerKey struct{}
	sessionKey      struct{}
)

// sessionsDone is stored in a request's scope when the session layer's
// response phase finds the session unused: a later SessionFrom (a layer
// listed before Sessions, in its response phase) gets nil rather than a
// session whose changes would be lost.
var sessionsDone = &Session{done: true}

func sessionsDoneValue() any { return sessionsDone }

// SessionFrom returns the request's session, or nil when the request did
// not go through the session middleware (Sessions) — or once its response
// phase has run without the session being used.
func SessionFrom(r *manouche.Request) *Session {
	if r == nil || r.Context() == nil {
		return nil
	}
	scope := manouche.ScopeFrom(r.Context())
	if scope == nil {
		return nil
	}
	v, ok := scope.Load(sessionLayerKey{})
	if !ok {
		return nil
	}
	l := v.(*sessionLayer)
	v, ok = scope.LoadOrStore(sessionKey{}, func() any { return l.newSession(r) })
	if !ok || v == sessionsDone {
		return nil
	}
	return v.(*Session)
}

// newSession returns the lazy session of r, with the key of its cookie if
// that is well formed.
func (l *sessionLayer) newSession(r *manouche.Request) *Session {
	s := &Session{l: l, r: r}
	if v, ok := r.Cookies()[l.cookieName]; ok && l.validKey(v) {
		s.key = v
	}
	return s
}

// load reads the data from the store on first use. A key that the store
// does not know (expired, deleted, forged) is dropped, as Django does: the
// session is then a new one.
func (s *Session) load() error {
	s.accessed = true
	if s.loaded {
		return nil
	}
	if s.key == "" || s.fresh {
		s.data = map[string]any{}
	} else {
		data, ok, err := s.l.store.Load(s.r.Context(), s.key)
		if err != nil {
			return fmt.Errorf("session: loading: %w", err)
		}
		if !ok {
			s.key = ""
			data = nil
		}
		if data == nil {
			data = map[string]any{}
		}
		s.data = data
	}
	s.loaded = true
	if s.hasPendingExpiry {
		s.data[sessionExpiryKey] = float64(s.pendingExpiry)
		s.hasPendingExpiry = false
	}
	return nil
}

// change is the common start of the methods that change the session.
func (s *Session) change() error {
	if s == nil {
		return errNoSession
	}
	if s.done {
		return errSessionDone
	}
	return s.load()
}

// Get returns the value under key and whether there is one.
func (s *Session) Get(key string) (any, bool, error) {
	if s == nil {
		return nil, false, errNoSession
	}
	if err := s.load(); err != nil {
		return nil, false, err
	}
	v, ok := s.data[key]
	return v, ok, nil
}

// String returns the value under key when it is a string; ok is false
// when there is none or it is not a string.
func (s *Session) String(key string) (string, bool, error) {
	v, ok, err := s.Get(key)
	if err != nil || !ok {
		return "", false, err
	}
	str, ok := v.(string)
	return str, ok, nil
}

// Set stores v under key. v must be JSON-encodable; what is stored, and
// what Get returns from now on, is v as encoding/json decodes it (a
// struct becomes a map[string]any, an int a float64).
func (s *Session) Set(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("session: the value for %q is not JSON-encodable: %w", key, err)
	}
	var decoded any
	if err := json.Unmarshal(b, &decoded); err != nil {
		return fmt.Errorf("session: the value for %q does not decode from JSON: %w", key, err)
	}
	if err := s.change(); err != nil {
		return err
	}
	s.data[key] = decoded
	s.modified = true
	return nil
}

// Delete removes key; a key that is not there is no error (and no
// change).
func (s *Session) Delete(key string) error {
	if err := s.change(); err != nil {
		return err
	}
	if _, ok := s.data[key]; ok {
		delete(s.data, key)
		s.modified = true
	}
	return nil
}

// Keys returns the keys of the session, sorted.
func (s *Session) Keys() ([]string, error) {
	if s == nil {
		return nil, errNoSession
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// Clear empties the session and keeps its key (Django's clear()); a
// custom expiry goes too. The store is not called.
func (s *Session) Clear() error {
	if s == nil {
		return errNoSession
	}
	if s.done {
		return errSessionDone
	}
	s.data = map[string]any{}
	s.loaded = true
	s.hasPendingExpiry = false
	s.accessed, s.modified = true, true
	return nil
}

// Flush is logging out (Django's flush()): it empties the session,
// deletes the stored session at once and drops the key. Unless something
// is stored in the session afterwards, the response deletes the session
// cookie.
func (s *Session) Flush() error {
	if err := s.Clear(); err != nil {
		return err
	}
	if s.key != "" && !s.fresh {
		if err := s.l.store.Delete(s.r.Context(), s.key); err != nil {
			return fmt.Errorf("session: deleting: %w", err)
		}
	}
	s.key, s.fresh = "", false
	return nil
}

// CycleKey gives the session a new key and keeps its data, and deletes the
// session stored under the old key at once, so that the old key loads
// nothing any more (Django's cycle_key). Call it when a user logs in, so
// that a key known before the login (session fixation) is worthless
// after. The session is saved under the new key by the response.
func (s *Session) CycleKey() error {
	if err := s.change(); err != nil {
		return err
	}
	key, err := newSessionKey()
	if err != nil {
		return err
	}
	old, oldFresh := s.key, s.fresh
	s.key, s.fresh = key, true
	s.modified = true
	if old != "" && !oldFresh {
		if err := s.l.store.Delete(s.r.Context(), old); err != nil {
			return fmt.Errorf("session: deleting the old session: %w", err)
		}
	}
	return nil
}

// Key returns the session key (Django's session_key): the value of the
// session cookie, or "" for a session that has none yet. After CycleKey it
// is the new key; for the signed-cookie store it is the signed data.
func (s *Session) Key() string {
	if s == nil {
		return ""
	}
	return s.key
}

// Modified reports whether the session was changed, so that the response
// saves it.
func (s *Session) Modified() bool { return s != nil && s.modified }

// Accessed reports whether the session was used (read or changed), so that
// the response varies on Cookie.
func (s *Session) Accessed() bool { return s != nil && s.accessed }

// IsEmpty reports whether the session has neither a key nor data
// (Django's is_empty()); it does not load the session.
func (s *Session) IsEmpty() bool {
	if s == nil {
		return true
	}
	return s.key == "" && len(s.data) == 0 && !s.hasPendingExpiry
}

// SetExpiry sets the session's lifetime, Django's set_expiry: d > 0
// keeps it d from its last save (whole seconds, at least one); 0 makes the
// cookie a browser-session cookie, dropped when the browser closes (the
// store keeps the session for Settings.Session.CookieAge); d < 0 expires it
// at once. The expiry is kept in the session data under
// "_session_expiry", in seconds, as Django does; Clear removes it. A
// change after the response phase is lost.
func (s *Session) SetExpiry(d time.Duration) {
	if s == nil || s.done {
		return
	}
	secs := int64(d / time.Second)
	switch {
	case d > 0 && d%time.Second != 0:
		secs++
	case d < 0 && secs == 0:
		secs = -1
	}
	s.accessed, s.modified = true, true
	if !s.loaded && (s.key == "" || s.fresh) {
		_ = s.load() // no store call: nothing to read
	}
	if s.loaded {
		s.data[sessionExpiryKey] = float64(secs)
		return
	}
	s.pendingExpiry, s.hasPendingExpiry = secs, true
}

// customExpiry returns the expiry SetExpiry stored, in seconds.
func (s *Session) customExpiry() (int64, bool) {
	if s.hasPendingExpiry {
		return s.pendingExpiry, true
	}
	if !s.loaded {
		if s.load() != nil {
			return 0, false
		}
	}
	return sessionExpirySeconds(s.data)
}

// sessionExpirySeconds reads "_session_expiry" from session data: a
// number of seconds (anything else, or a number beyond what a
// time.Duration holds, is ignored).
func sessionExpirySeconds(data map[string]any) (int64, bool) {
	f, ok := data[sessionExpiryKey].(float64)
	if !ok || f != f || f > 1<<33 || f < -(1<<33) {
		return 0, false
	}
	return int64(f), true
}

// ExpiryAge returns how long the session lives from now: its SetExpiry
// when one was set, else Settings.Session.CookieAge (two weeks by
// default), also for a browser-session expiry (Django's
// get_expiry_age()). It loads the session if need be; a store error then
// counts as no custom expiry.
func (s *Session) ExpiryAge() time.Duration {
	if s == nil || s.l == nil {
		return 0
	}
	if secs, ok := s.customExpiry(); ok && secs != 0 {
		return time.Duration(secs) * time.Second
	}
	return s.l.age
}

// expireAtBrowserClose is Django's get_expire_at_browser_close().
func (s *Session) expireAtBrowserClose() bool {
	if secs, ok := s.customExpiry(); ok {
		return secs == 0
	}
	return s.l.browserClose
}

// save stores the session, creating it under a new key when it has none
// (or a fresh one from CycleKey), retrying while the store finds the key
// taken.
func (s *Session) save(ctx context.Context) error {
	if err := s.load(); err != nil {
		return err
	}
	age := s.ExpiryAge()
	if s.key != "" && !s.fresh {
		cookie, err := s.l.store.Save(ctx, s.key, s.data, age, false)
		if err != nil {
			if errors.Is(err, ErrSessionInterrupted) {
				return err
			}
			return fmt.Errorf("session: saving: %w", err)
		}
		s.key = cookie
		return nil
	}
	for range sessionCreateAttempts {
		if s.key == "" {
			key, err := newSessionKey()
			if err != nil {
				return err
			}
			s.key = key
		}
		cookie, err := s.l.store.Save(ctx, s.key, s.data, age, true)
		if errors.Is(err, ErrSessionKeyExists) {
			s.key = ""
			continue
		}
		if err != nil {
			return fmt.Errorf("session: saving a new session: %w", err)
		}
		s.key, s.fresh = cookie, false
		return nil
	}
	return fmt.Errorf("session: the store found %d new random keys taken in a row; is its Save with create right?", sessionCreateAttempts)
}
