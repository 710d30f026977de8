package sessiondb_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/sessiondb"
	"github.com/manouche/manouche/urls"
)

// Sessions in a database: migrate once, hand the store to the session
// middleware, clear expired sessions from a periodic job.
func Example() {
	m, err := db.NewManager(db.Databases{db.DefaultAlias: {Engine: db.SQLite, DSN: "file:sessiondb_example?mode=memory&cache=shared"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	if err := sessiondb.Migrate(ctx, m, db.DefaultAlias); err != nil {
		fmt.Println(err)
		return
	}
	store := sessiondb.New(m, db.DefaultAlias)

	visits := func(r *manouche.Request) (*manouche.Response, error) {
		s := middleware.SessionFrom(r)
		n, _, err := s.Get("visits")
		if err != nil {
			return nil, err
		}
		count, _ := n.(float64) // JSON numbers come back as float64
		if err := s.Set("visits", count+1); err != nil {
			return nil, err
		}
		return response.Text(fmt.Sprintf("visit %v", count+1)), nil
	}
	conf, err := urls.New([]urls.Pattern{urls.Path("", visits)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.Sessions(store)},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Install(h.Signals())

	cookie := ""
	for range 3 {
		req := httptest.NewRequest("GET", "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if c := rec.Result().Cookies(); len(c) == 1 {
			cookie = c[0].Name + "=" + c[0].Value
		}
		fmt.Println(rec.Body.String())
	}

	// Django's clearsessions, from a job: no request scope needed.
	fmt.Println(middleware.ClearExpiredSessions(ctx, store))
	// Output:
	// visit 1
	// visit 2
	// visit 3
	// <nil>
}
