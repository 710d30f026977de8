package tfb_test

import (
	"fmt"
	"io/fs"
	"log"
	"net/http/httptest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/tfb"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// The TFB endpoints behind the Server layer and Django's default stack.
// /json and /plaintext touch no database: nothing connects (a real
// server runs tfb.Migrate first, for the other endpoints).
func Example() {
	m, err := db.NewManager(db.Databases{db.DefaultAlias: {Engine: db.SQLite, DSN: "file:tfb_example?mode=memory&cache=shared"}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	eng, err := templates.NewEngine(templates.Config{FS: []fs.FS{tfb.Templates()}})
	if err != nil {
		log.Fatal(err)
	}
	app := tfb.New(m, db.DefaultAlias, eng)
	conf, err := urls.New(app.URLs())
	if err != nil {
		log.Fatal(err)
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}, SecretKey: "example-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"},
		URLConf:    conf,
		Middleware: append([]middleware.Factory{tfb.ServerHeaderMiddleware()}, middleware.Default(nil)...),
	})
	if err != nil {
		log.Fatal(err)
	}
	m.Install(h.Signals())

	for _, path := range []string{"/json", "/plaintext"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s: %d, Server: %s, Content-Type: %s\n%s\n", path, w.Code, w.Header().Get("Server"), w.Header().Get("Content-Type"), w.Body)
	}
	fmt.Println(m.Stats(db.DefaultAlias).Opened, "connections opened")
	// Output:
	// /json: 200, Server: manouche, Content-Type: application/json
	// {"message":"Hello, World!"}
	// /plaintext: 200, Server: manouche, Content-Type: text/plain; charset=utf-8
	// Hello, World!
	// 0 connections opened
}
