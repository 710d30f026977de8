package middleware

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/signing"
)

const (
	// sessionCookieSalt separates session cookies from other signed values.
	sessionCookieSalt = "manouche.middleware.session"
	// sessionCookieMaxLen is the largest cookie (name=value) the store
	// sets: browsers keep at least 4096 bytes per cookie and drop larger
	// ones silently.
	sessionCookieMaxLen = 4096
)

// SignedCookies returns the signed-cookie session store, Django's
// signed_cookies backend: the session data itself, as JSON (compressed
// when that helps), signed with Settings.SecretKey and the time by
// package signing (a TimestampSigner, salt "manouche.middleware.session"),
// is the session cookie; nothing is kept on the server. Use it with
// Sessions; building the handler fails when Settings.SecretKey is empty.
//
// A cookie whose signature is bad, or that is older than the session's
// age (Settings.Session.CookieAge, or the session's own SetExpiry), is an
// empty session. Django's caveats apply:
//
//   - a session cannot be invalidated on the server: a copy of an old
//     cookie stays valid until it expires, even after Flush (logging out)
//     — keep the age short, or use a server-side store (package
//     sessiondb);
//   - the data is signed, not encrypted: the client can read it;
//   - a cookie holds at most 4096 bytes: saving a session whose cookie
//     would be larger fails with an error (a 500) rather than leaving the
//     browser to drop it silently.
//
// Call SignedCookies once per handler: a store configured with one
// handler's settings refuses another's.
func SignedCookies() SessionStore { return &sessionCookieStore{} }

// sessionCookieStore is the signed-cookie store.
type sessionCookieStore struct {
	cfg atomic.Pointer[sessionCookieConfig]
	// now is the clock; nil means time.Now (tests set it).
	now func() time.Time
}

// sessionCookieConfig is what the store takes from the handler's settings.
type sessionCookieConfig struct {
	signer     signing.TimestampSigner
	age        time.Duration
	cookieName string
}

// Configure takes the secret key, the session age and the cookie name
// from s; an empty Settings.SecretKey is refused.
func (c *sessionCookieStore) Configure(s *manouche.Settings) error {
	if s.SecretKey == "" {
		return manouche.Improperlyf("The SECRET_KEY setting must not be empty: the signed-cookie session store (middleware.SignedCookies) signs the session cookie with Settings.SecretKey.")
	}
	cfg := &sessionCookieConfig{
		signer:     signing.TimestampSigner{Key: s.SecretKey, Salt: sessionCookieSalt, Now: c.now, FallbackKeys: s.SecretKeyFallbacks},
		age:        s.Session.CookieAge,
		cookieName: s.Session.CookieName,
	}
	if cfg.age <= 0 {
		cfg.age = sessionDefaultCookieAge
	}
	if cfg.cookieName == "" {
		cfg.cookieName = sessionDefaultCookieName
	}
	if old := c.cfg.Load(); old != nil {
		if old.signer.Key != cfg.signer.Key || old.age != cfg.age || old.cookieName != cfg.cookieName {
			return manouche.Improperlyf("middleware.SignedCookies: this store is already configured with another handler's settings; call SignedCookies() once per handler.")
		}
		return nil
	}
	c.cfg.Store(cfg)
	return nil
}

func (c *sessionCookieStore) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// ValidSessionKey reports whether a cookie value can be a signed session:
// at most 4096 bytes of the characters a signed value is made of.
func (c *sessionCookieStore) ValidSessionKey(key string) bool {
	if len(key) < 8 || len(key) > sessionCookieMaxLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		switch ch := key[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_', ch == ':', ch == '.':
		default:
			return false
		}
	}
	return true
}

// Load checks the signature and the age of the cookie and decodes it; a
// bad or expired cookie is no session (ok false), never an error.
func (c *sessionCookieStore) Load(_ context.Context, key string) (map[string]any, bool, error) {
	cfg := c.cfg.Load()
	if cfg == nil || !c.ValidSessionKey(key) {
		return nil, false, nil
	}
	var data map[string]any
	at, err := cfg.signer.LoadsTimestamp(key, &data)
	if err != nil {
		return nil, false, nil
	}
	maxAge := cfg.age
	if secs, ok := sessionExpirySeconds(data); ok && secs != 0 {
		// The session's own expiry, shorter or longer than the default
		// (Django checks only the default, its ticket #19201).
		maxAge = time.Duration(secs) * time.Second
	}
	if c.clock().Sub(at) > maxAge {
		return nil, false, nil
	}
	if data == nil {
		data = map[string]any{}
	}
	return data, true, nil
}

// Save signs data; the result is the cookie value. A cookie over 4096
// bytes is refused.
func (c *sessionCookieStore) Save(_ context.Context, _ string, data map[string]any, _ time.Duration, _ bool) (string, error) {
	cfg := c.cfg.Load()
	if cfg == nil {
		return "", manouche.Improperlyf("middleware.SignedCookies: the store was never configured (it is configured by middleware.Sessions when the handler is built).")
	}
	v, err := cfg.signer.Dumps(data, true)
	if err != nil {
		return "", err
	}
	if n := len(cfg.cookieName) + 1 + len(v); n > sessionCookieMaxLen {
		return "", fmt.Errorf("session: the signed session cookie would be %d bytes long, over the %d bytes browsers keep (they would drop it silently); keep less in the session, or use a server-side store (package sessiondb)", n, sessionCookieMaxLen)
	}
	return v, nil
}

// Delete does nothing: the client holds the only copy, and the session
// middleware deletes the cookie.
func (c *sessionCookieStore) Delete(context.Context, string) error { return nil }

// ClearExpired does nothing: expired cookies are refused when read
// (Django's signed_cookies clear_expired).
func (c *sessionCookieStore) ClearExpired(context.Context) (int64, error) { return 0, nil }
