package middleware_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

func ExampleGZip() {
	page := strings.Repeat("<p>manouche compresses what is worth it.</p>\n", 40)
	conf, err := urls.New([]urls.Pattern{
		urls.Path("page/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.HTML(page)
			resp.Header().Set("ETag", `"v1"`)
			return resp, nil
		}),
		urls.Path("short/", func(*manouche.Request) (*manouche.Response, error) { return response.Text("too short to bother"), nil }),
		urls.Path("rows/", func(*manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) {
				for i := 1; i <= 3; i++ {
					if !yield(fmt.Appendf(nil, "row %d\n", i)) {
						return
					}
				}
			}), nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings: manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:  conf,
		// Outermost, so that it compresses what every other layer made.
		Middleware: []middleware.Factory{middleware.GZip()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct{ path, acceptEncoding string }{
		{"/page/", "gzip, br"},
		{"/page/", ""},
		{"/short/", "gzip"},
		{"/rows/", "gzip"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Accept-Encoding", c.acceptEncoding)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		hdr := rec.Header()
		fmt.Printf("%s [%s] → Content-Encoding %q, Vary %q, ETag %q\n", c.path, c.acceptEncoding,
			hdr.Get("Content-Encoding"), hdr.Get("Vary"), hdr.Get("ETag"))
		if hdr.Get("Content-Encoding") == "gzip" {
			sent := rec.Body.Len()
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				fmt.Println(err)
				return
			}
			body, err := io.ReadAll(zr)
			if err != nil {
				fmt.Println(err)
				return
			}
			// The length sent varies: up to 99 bytes of padding against BREACH.
			fmt.Printf("  decoded %d bytes, %q…; has Content-Length: %v; fewer sent: %v\n",
				len(body), body[:6], hdr.Get("Content-Length") != "", sent < len(body))
		}
	}
	// Output:
	// /page/ [gzip, br] → Content-Encoding "gzip", Vary "Accept-Encoding", ETag "W/\"v1\""
	//   decoded 1800 bytes, "<p>man"…; has Content-Length: true; fewer sent: true
	// /page/ [] → Content-Encoding "", Vary "Accept-Encoding", ETag "\"v1\""
	// /short/ [gzip] → Content-Encoding "", Vary "", ETag ""
	// /rows/ [gzip] → Content-Encoding "gzip", Vary "Accept-Encoding", ETag ""
	//   decoded 18 bytes, "row 1\n"…; has Content-Length: false; fewer sent: false
}
