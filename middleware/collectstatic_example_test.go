package middleware_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
)

func ExampleCollectStatic() {
	// The sources: os.DirFS("static") in an application; here in memory.
	src := fstest.MapFS{
		"css/site.css": {Data: []byte("body { background: url(../img/bg.png) }\n")},
		"img/bg.png":   {Data: []byte("\x89PNG")},
	}
	root, err := os.MkdirTemp("", "staticroot")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	settings := manouche.Settings{StaticURL: "/static/", StaticRoot: root}

	// What a "collectstatic" command does before the server starts.
	res, err := middleware.CollectStatic(context.Background(), middleware.CollectConfig{Settings: settings, Sources: []fs.FS{src}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Copied, "copied,", res.PostProcessed, "post-processed")
	hashed := res.Manifest.Paths["css/site.css"]
	fmt.Println(hashed)
	css, err := os.ReadFile(filepath.Join(root, hashed))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(css))

	// What the templates' static function does.
	storage, err := middleware.LoadStaticStorage(settings)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := storage.URL("img/bg.png")
	fmt.Println(u, err)
	_, err = storage.URL("img/missing.png")
	fmt.Println(err)
	// Output:
	// 2 copied, 2 post-processed
	// css/site.0d9a1162ac70.css
	// body { background: url("../img/bg.3bdaf5969285.png") }
	// /static/img/bg.3bdaf5969285.png <nil>
	// Missing staticfiles manifest entry for 'img/missing.png'
}
