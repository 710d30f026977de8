package middleware_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
)

// BenchmarkGZipConditionalGet measures the response phase of GZip and
// ConditionalGet alone, on a 4 KiB HTML page: the next layer builds the
// response (the "next only" figure), the layer processes it.
//
//	go test -run '^$' -bench 'GZipConditionalGet' -benchmem -count 5 ./middleware/
func BenchmarkGZipConditionalGet(b *testing.B) {
	page := bytes.Repeat([]byte("<p>Django's request lifecycle, in Go: a page of text.</p>\n"), 80)[:4096]
	next := func(*manouche.Request) *manouche.Response {
		return response.Bytes(200, page, "text/html; charset=utf-8")
	}
	request := func(hdr ...string) *manouche.Request {
		hr := httptest.NewRequest("GET", "/page/", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			hr.Header.Set(hdr[i], hdr[i+1])
		}
		return manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/page/")
	}
	layer := func(f middleware.Factory, h middleware.Handler) middleware.Middleware {
		m, err := f(h)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	etag := layer(middleware.ConditionalGet(), next).(interface {
		Serve(*manouche.Request) (*manouche.Response, error)
	})
	first, _ := etag.Serve(request())
	tag := first.Header().Get("Etag")

	for _, bc := range []struct {
		name string
		m    middleware.Middleware
		r    *manouche.Request
	}{
		{"next only", middleware.Func(func(r *manouche.Request) (*manouche.Response, error) { return next(r), nil }), request()},
		{"GZip", layer(middleware.GZip(), next), request("Accept-Encoding", "gzip, deflate, br")},
		{"GZip without gzip", layer(middleware.GZip(), next), request()},
		{"ConditionalGet 200", layer(middleware.ConditionalGet(), next), request()},
		{"ConditionalGet 304", layer(middleware.ConditionalGet(), next), request("If-None-Match", tag)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				if _, err := bc.m.Serve(bc.r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	// A stream of 4 KiB in 16 writes, compressed on the fly and flushed
	// after each.
	gz := layer(middleware.GZip(), func(*manouche.Request) *manouche.Response {
		return response.Stream(func(ctx context.Context, w io.Writer) error {
			for i := 0; i < len(page); i += 256 {
				if _, err := w.Write(page[i : i+256]); err != nil {
					return err
				}
			}
			return nil
		})
	})
	r := request("Accept-Encoding", "gzip")
	b.Run("GZip stream", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			resp, _ := gz.Serve(r)
			if err := resp.Stream()(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
