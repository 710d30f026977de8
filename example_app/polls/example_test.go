package polls_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// The polls application on an in-memory SQLite database: create the
// tables, add the demo questions, include the application's URLs under
// its namespace and ask its JSON API for the questions.
func Example() {
	m, err := db.NewManager(db.Databases{db.DefaultAlias: {Engine: db.SQLite, DSN: "file:polls_example?mode=memory&cache=shared"}},
		db.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	if err := polls.Migrate(ctx, m, db.DefaultAlias); err != nil {
		fmt.Println(err)
		return
	}
	if err := polls.Seed(ctx, m, db.DefaultAlias); err != nil {
		fmt.Println(err)
		return
	}

	eng, err := templates.NewEngine(templates.Config{FS: []fs.FS{polls.Templates()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	app := polls.New(m, db.DefaultAlias, eng)
	conf, err := urls.New([]urls.Pattern{
		urls.Include("polls/", app.URLs(), urls.AppName("polls"), urls.Namespace("polls")),
	}, eng.ErrorHandlers()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{Settings: manouche.Settings{AllowedHosts: []string{"127.0.0.1"}}, URLConf: conf})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Install(h.Signals())
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/polls/api/questions/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var questions []struct {
		ID           int64  `json:"id"`
		QuestionText string `json:"question_text"`
		URL          string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&questions); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	for _, q := range questions {
		fmt.Printf("%d %s %s\n", q.ID, q.URL, q.QuestionText)
	}
	// Output:
	// 200 OK application/json
	// 1 /polls/1/ What's up?
	// 2 /polls/2/ Which Go release do you run?
	// 3 /polls/3/ Tabs or spaces?
	// 4 /polls/4/ Where should a request's database connection live?
}
