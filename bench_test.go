package manouche_test

import (
	"testing"

	"github.com/manouche/manouche"
)

// benchCloser counts its closes; one value serves every iteration, so
// registering it allocates nothing of its own.
type benchCloser struct{ n int }

func (c *benchCloser) Close() error { c.n++; return nil }

// responseSink keeps each response on the heap, as a view's is (the
// handler keeps it past the view's return): without it the compiler may
// put the response and its closer slices on the benchmark's stack.
var responseSink *manouche.Response

// BenchmarkResponseClose measures closing a response: with nothing
// registered, with one after-close hook, and with two closers and the
// hook (a file response's file, a database stream's rows). Close runs once per response, so each
// iteration builds one; "new" is that building alone, to subtract. A
// second Close, which does nothing, is "closed-again".
func BenchmarkResponseClose(b *testing.B) {
	body := []byte("Hello, World!")
	c1, c2 := &benchCloser{}, &benchCloser{}
	var hooks int
	hook := func() { hooks++ }
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := manouche.NewResponse(200, body, "")
			responseSink = r
			if r.StatusCode != 200 {
				b.Fatal(r.StatusCode)
			}
		}
	})
	b.Run("closers=0", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := manouche.NewResponse(200, body, "")
			responseSink = r
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("closers=0/hook", func(b *testing.B) {
		hooks = 0
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			r := manouche.NewResponse(200, body, "")
			responseSink = r
			r.AfterClose(hook)
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if hooks != n {
			b.Fatalf("hook ran %d times in %d closes", hooks, n)
		}
	})
	b.Run("closers=2/hook", func(b *testing.B) {
		c1.n, c2.n, hooks = 0, 0, 0
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			r := manouche.NewResponse(200, body, "")
			responseSink = r
			r.AddCloser(c1)
			r.AddCloser(c2)
			r.AfterClose(hook)
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if c1.n != n || c2.n != n || hooks != n {
			b.Fatalf("closers ran %d and %d times, the hook %d, in %d closes", c1.n, c2.n, hooks, n)
		}
	})
	b.Run("closed-again", func(b *testing.B) {
		r := manouche.NewResponse(200, body, "")
		r.AddCloser(c1)
		r.AfterClose(hook)
		r.Close()
		c1.n, hooks = 0, 0
		b.ReportAllocs()
		for b.Loop() {
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
		}
		if c1.n != 0 || hooks != 0 {
			b.Fatal("a second Close ran a closer or the hook")
		}
	})
}
