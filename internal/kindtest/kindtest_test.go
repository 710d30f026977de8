package kindtest_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/internal/kindtest"
	"github.com/manouche/manouche/middleware"
)

// With no middleware every case is what its view sent.
func TestBareHandler(t *testing.T) {
	s := kindtest.Start(t, kindtest.Config{})
	for _, c := range kindtest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			res := s.Do(t, c, nil)
			kindtest.Check(t, c, res)
			switch c.Name {
			case "ranged":
				if got := res.Header.Get("Content-Range"); got != "bytes 100-299/4000" {
					t.Errorf("Content-Range %q", got)
				}
			case "head-file", "head-buffered":
				if got := res.Header.Get("Content-Length"); got != "4000" {
					t.Errorf("Content-Length %q", got)
				}
			}
		})
	}
}

// buffering is a layer that breaks streaming: it runs the stream into a
// buffer before the response is written. The harness must catch it.
func buffering(next middleware.Handler) (middleware.Middleware, error) {
	return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
		resp := next(r)
		if f := resp.Stream(); f != nil && r.Method == "GET" && r.Header().Get("Range") == "" {
			var buf bytes.Buffer
			if err := f(r.Context(), &buf); err != nil {
				return nil, err
			}
			resp.SetContent(buf.Bytes())
		}
		return resp, nil
	}), nil
}

// A layer that buffers a stream is reported, not hung on: the gated view
// gives up after its bound and Streamed is false.
func TestCatchesBuffering(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the gate's bound")
	}
	s := kindtest.Start(t, kindtest.Config{Middleware: []middleware.Factory{buffering}, GateWait: time.Second})
	for _, c := range kindtest.Cases() {
		if c.Name != "streaming" {
			continue
		}
		res := s.Do(t, c, http.Header{})
		if res.Streamed {
			t.Fatal("a buffered stream counted as streamed")
		}
		if !bytes.Equal(res.Body, kindtest.Body) {
			t.Fatal("body lost")
		}
	}
}
