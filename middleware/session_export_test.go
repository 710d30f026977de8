package middleware

import "time"

// SignedCookiesWithClock is SignedCookies with a clock, for tests of
// expiry.
func SignedCookiesWithClock(now func() time.Time) SessionStore {
	return &sessionCookieStore{now: now}
}

// NewSessionKey exposes the key generator to tests.
func NewSessionKey() (string, error) { return newSessionKey() }
