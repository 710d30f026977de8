package middleware_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// staticDiscard is a ResponseWriter that keeps nothing, so the benchmark
// counts the serving work, not a recorder's. It can Flush, as a server's
// writer can (the handler flushes each write of a stream).
type staticDiscard struct {
	h    http.Header
	code int
}

func (d *staticDiscard) Header() http.Header         { return d.h }
func (d *staticDiscard) Write(p []byte) (int, error) { return len(p), nil }
func (d *staticDiscard) WriteHeader(code int)        { d.code = code }
func (d *staticDiscard) Flush()                      {}

func (d *staticDiscard) reset() { clear(d.h) }

// BenchmarkStatic serves a 4 KiB CSS file whole, and a 1000-byte range of
// it, through the whole handler with the Static middleware (request
// started and finished, the index lookup, open, response.File, close),
// next to http.ServeContent on a bare chi route for the same file (open,
// stat, ServeContent, close), in the same run.
//
//	go test -run '^$' -bench Static -benchmem -count 5 ./middleware/
func BenchmarkStatic(b *testing.B) {
	root := b.TempDir()
	path := filepath.Join(root, "css", "bench.css")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("body { margin: 0; padding: 0 }\n"), 133)[:4096], 0o644); err != nil {
		b.Fatal(err)
	}
	settings := manouche.Settings{AllowedHosts: []string{"example.com"}, StaticURL: "/static/", StaticRoot: root}
	conf, err := urls.New([]urls.Pattern{urls.Path("hello/", func(*manouche.Request) (*manouche.Response, error) {
		return response.Text("Hello, World!"), nil
	})})
	if err != nil {
		b.Fatal(err)
	}
	h, err := handler.New(handler.Config{Settings: settings, URLConf: conf, Logger: slog.New(slog.DiscardHandler),
		Middleware: []middleware.Factory{middleware.Static(middleware.StaticConfig{Settings: settings})}})
	if err != nil {
		b.Fatal(err)
	}
	mux := chi.NewRouter()
	mux.Get("/static/css/bench.css", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	})

	for _, c := range []struct {
		name       string
		rng        string
		wantStatus int
	}{{"full", "", 200}, {"range", "bytes=100-1099", 206}} {
		req, _ := http.NewRequest("GET", "http://example.com/static/css/bench.css", nil)
		req.RequestURI = "/static/css/bench.css"
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		for _, side := range []struct {
			name string
			h    http.Handler
		}{{"manouche", h}, {"chi+ServeContent", mux}} {
			b.Run(side.name+"/"+c.name, func(b *testing.B) {
				w := &staticDiscard{h: http.Header{}}
				side.h.ServeHTTP(w, req)
				if w.code != c.wantStatus || w.h.Get("Content-Length") == "" {
					b.Fatalf("status %d, headers %v", w.code, w.h)
				}
				b.ReportAllocs()
				for b.Loop() {
					w.reset()
					side.h.ServeHTTP(w, req)
				}
			})
		}
	}
}
