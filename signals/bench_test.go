package signals_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/manouche/manouche/signals"
)

type benchEvent struct {
	ID   int
	Path string
}

// BenchmarkSend measures one Send to 1 and 10 unbound receivers, the
// lifecycle case (request_started and request_finished on every request).
func BenchmarkSend(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("receivers=%d", n), func(b *testing.B) {
			s := signals.New[benchEvent]("bench", nil)
			var sum int
			for range n {
				s.Connect(func(_ context.Context, _ any, ev benchEvent) error {
					sum += ev.ID
					return nil
				})
			}
			if s.Len() != n {
				b.Fatalf("%d receivers connected, want %d", s.Len(), n)
			}
			ctx := context.Background()
			ev := benchEvent{ID: 1, Path: "/"}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Send(ctx, s, ev); err != nil {
					b.Fatal(err)
				}
			}
			if sum == 0 {
				b.Fatal("receivers did not run")
			}
		})
	}
}

// BenchmarkSendRobust measures SendRobust, which recovers a panic of each
// receiver and logs and collects each error, with 1 and 10 receivers that
// succeed (its cost on every send) and 10 of which one fails (the error
// path: the receiver's name, the log record, the joined error; the logger
// discards).
func BenchmarkSendRobust(b *testing.B) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		n, fail int // fail: the index of the failing receiver, or -1
	}{
		{"receivers=1", 1, -1},
		{"receivers=10", 10, -1},
		{"receivers=10/one-fails", 10, 4},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := signals.New[benchEvent]("bench", slog.New(slog.DiscardHandler))
			var sum int
			for i := range tc.n {
				s.Connect(func(_ context.Context, _ any, ev benchEvent) error {
					sum += ev.ID
					if i == tc.fail {
						return errBoom
					}
					return nil
				})
			}
			if s.Len() != tc.n {
				b.Fatalf("%d receivers connected, want %d", s.Len(), tc.n)
			}
			ctx := context.Background()
			ev := benchEvent{ID: 1, Path: "/"}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.SendRobust(ctx, s, ev); (err != nil) != (tc.fail >= 0) {
					b.Fatal(err)
				}
			}
			if sum == 0 {
				b.Fatal("receivers did not run")
			}
		})
	}
}
