// Package testkit holds the helpers the lifecycle tests of several
// packages share: an ordered trace, a log buffer, counters of the
// lifecycle signals, a counting closer and a bounded wait. It is internal
// and only tests import it.
package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manouche/manouche/signals"
)

// Trace records, in order, what ran: layers, hooks, views.
type Trace struct {
	mu sync.Mutex
	s  []string
}

// Add appends s.
func (t *Trace) Add(s string) {
	t.mu.Lock()
	t.s = append(t.s, s)
	t.mu.Unlock()
}

// String returns the entries joined with commas.
func (t *Trace) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.s, ",")
}

// LogBuffer collects slog text lines; safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Logger returns a logger writing text lines, debug level included, to l.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Counters counts the lifecycle signals of one handler.
type Counters struct {
	Started, Finished, Exceptions atomic.Int64
}

// Connect connects the counting receivers to sig.
func (c *Counters) Connect(sig *signals.Lifecycle) {
	sig.RequestStarted.Connect(func(context.Context, any, signals.RequestStarted) error {
		c.Started.Add(1)
		return nil
	})
	sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error {
		c.Finished.Add(1)
		return nil
	})
	sig.GotRequestException.Connect(func(context.Context, any, signals.GotRequestException) error {
		c.Exceptions.Add(1)
		return nil
	})
}

// CountCloser counts its Close calls.
type CountCloser struct{ N atomic.Int64 }

// Close counts the call.
func (c *CountCloser) Close() error {
	c.N.Add(1)
	return nil
}

// WaitFor polls cond until it holds and fails the test after a generous
// bound (5 s). It is for events a server goroutine completes after the
// client has read everything, such as request_finished; it asserts no
// duration.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not reached", what)
}

// Discard is an http.ResponseWriter that keeps nothing but its header
// map, so that a benchmark counts the handler's work, not a recorder's.
// Reset empties the map between requests, as a server's fresh writer is.
type Discard struct{ H http.Header }

// NewDiscard returns a Discard with an empty header map.
func NewDiscard() *Discard { return &Discard{H: http.Header{}} }

func (d *Discard) Header() http.Header         { return d.H }
func (d *Discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *Discard) WriteHeader(int)             {}

// Reset empties the header map.
func (d *Discard) Reset() { clear(d.H) }

// BenchRequest is a GET of target (an absolute URL) as a server builds
// it, with ctx as its context: the request BenchServe serves.
func BenchRequest(ctx context.Context, target string) *http.Request {
	req := httptest.NewRequestWithContext(ctx, "GET", target, nil)
	req.RequestURI = req.URL.RequestURI()
	return req
}

// BenchServe is the loop of a benchmark that serves one request: req
// once into a recorder, which must be a 200 and which check may refuse
// (a missing header), then b.N times into a reused Discard, with
// allocations reported. The request is reused: its context is the one
// every iteration runs with.
func BenchServe(b *testing.B, h http.Handler, req *http.Request, check func(*httptest.ResponseRecorder) error) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	err := check(rec)
	if rec.Code != http.StatusOK {
		err = errors.New("not a 200")
	}
	if err != nil {
		b.Fatalf("%s %s: %v (status %d, body %.200q)", req.Method, req.URL.Path, err, rec.Code, rec.Body)
	}
	w := NewDiscard()
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		h.ServeHTTP(w, req)
	}
}

// BodyIs is a BenchServe check: the body must be want.
func BodyIs(want string) func(*httptest.ResponseRecorder) error {
	return func(rec *httptest.ResponseRecorder) error {
		if got := rec.Body.String(); got != want {
			return fmt.Errorf("body %q, want %q", got, want)
		}
		return nil
	}
}
