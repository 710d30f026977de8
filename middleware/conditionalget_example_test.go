package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

func ExampleConditionalGet() {
	conf, err := urls.New([]urls.Pattern{
		urls.Path("article/", func(*manouche.Request) (*manouche.Response, error) {
			resp := response.HTML("<h1>An article</h1>")
			resp.Header().Set("Last-Modified", "Sat, 12 Feb 2011 17:38:44 GMT")
			resp.Header().Set("Cache-Control", "max-age=60")
			return resp, nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.ConditionalGet()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	get := func(hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/article/", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	first := get()
	etag := first.Header().Get("ETag") // the quoted MD5 of the body
	fmt.Println(first.Code, etag, first.Body.String())

	for _, hdr := range [][]string{
		{"If-None-Match", etag},
		{"If-None-Match", `W/` + etag}, // weak comparison
		{"If-Modified-Since", "Sat, 12 Feb 2011 17:38:44 GMT"},
		{"If-Modified-Since", "Sat, 12 Feb 2011 17:00:00 GMT"},
		{"If-Match", `"something else"`},
	} {
		rec := get(hdr...)
		fmt.Printf("%s: %s → %d, Content-Type %q, Cache-Control %q, body %d bytes\n",
			hdr[0], hdr[1], rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), rec.Body.Len())
	}
	// Output:
	// 200 "f4da338af9d23a6f4fa5c1e0a04e5349" <h1>An article</h1>
	// If-None-Match: "f4da338af9d23a6f4fa5c1e0a04e5349" → 304, Content-Type "", Cache-Control "max-age=60", body 0 bytes
	// If-None-Match: W/"f4da338af9d23a6f4fa5c1e0a04e5349" → 304, Content-Type "", Cache-Control "max-age=60", body 0 bytes
	// If-Modified-Since: Sat, 12 Feb 2011 17:38:44 GMT → 304, Content-Type "", Cache-Control "max-age=60", body 0 bytes
	// If-Modified-Since: Sat, 12 Feb 2011 17:00:00 GMT → 200, Content-Type "text/html; charset=utf-8", Cache-Control "max-age=60", body 19 bytes
	// If-Match: "something else" → 412, Content-Type "text/html; charset=utf-8", Cache-Control "", body 0 bytes
}
