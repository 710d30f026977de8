package db_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// memory is an in-memory SQLite database of its own for each example.
func memory(name string) db.Databases {
	return db.Databases{db.DefaultAlias: {Engine: db.SQLite, DSN: "file:" + name + "?mode=memory&cache=shared"}}
}

// A view reaches its request's connection through the request's context;
// request_finished gives it back.
func ExampleManager() {
	m, err := db.NewManager(memory("example_manager"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	count := func(r *manouche.Request) (*manouche.Response, error) {
		c, err := m.Conn(r.Context(), db.DefaultAlias)
		if err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(r.Context(), "CREATE TABLE IF NOT EXISTS hits (at TEXT)"); err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(r.Context(), "INSERT INTO hits VALUES (datetime())"); err != nil {
			return nil, err
		}
		var n int
		if err := c.GetContext(r.Context(), &n, "SELECT count(*) FROM hits"); err != nil {
			return nil, err
		}
		return response.Text(fmt.Sprintf("%d hits", n)), nil
	}
	conf, _ := urls.New([]urls.Pattern{urls.Path("", count)})
	h, err := handler.New(handler.Config{URLConf: conf, Settings: manouche.Settings{AllowedHosts: []string{"*"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Install(h.Signals())()

	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		fmt.Println(rec.Body.String())
	}
	s := m.Stats(db.DefaultAlias)
	fmt.Printf("opened %d, closed %d, in use %d\n", s.Opened, s.Closed, s.InUse)
	// Output:
	// 1 hits
	// 2 hits
	// opened 2, closed 2, in use 0
}

// A goroutine, a job or a command makes its own scope and finishes it.
func ExampleManager_Background() {
	m, err := db.NewManager(memory("example_background"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	work := func(ctx context.Context) error {
		ctx, finish := m.Background(ctx)
		defer finish() // closes or keeps the connection, as at a request's end
		c, err := m.Conn(ctx, db.DefaultAlias)
		if err != nil {
			return err
		}
		var v string
		if err := c.GetContext(ctx, &v, "SELECT sqlite_version() IS NOT NULL"); err != nil {
			return err
		}
		fmt.Println("worked:", v)
		return nil
	}
	if err := work(context.Background()); err != nil {
		fmt.Println(err)
	}
	_, err = m.Conn(context.Background(), db.DefaultAlias)
	fmt.Println(errors.Is(err, db.ErrNoScope))
	// Output:
	// worked: 1
	// true
}

// Nested blocks use savepoints: the inner failure is rolled back alone,
// the outer block commits the rest, and the on-commit hook runs after.
func ExampleConn_Atomic() {
	m, err := db.NewManager(memory("example_atomic"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx, finish := m.Background(context.Background())
	defer finish()
	c, err := m.Conn(ctx, db.DefaultAlias)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.ExecContext(ctx, "CREATE TABLE account (name TEXT PRIMARY KEY)"); err != nil {
		fmt.Println(err)
		return
	}

	err = c.Atomic(ctx, func(ctx context.Context) error {
		if _, err := c.ExecContext(ctx, "INSERT INTO account VALUES ('ada')"); err != nil {
			return err
		}
		// A query that may fail goes in a nested block, so that its
		// failure does not doom the outer one.
		err := c.Atomic(ctx, func(ctx context.Context) error {
			_, err := c.ExecContext(ctx, "INSERT INTO account VALUES ('ada')")
			return err
		})
		fmt.Println("duplicate refused:", err != nil)
		if _, err := c.ExecContext(ctx, "INSERT INTO account VALUES ('grace')"); err != nil {
			return err
		}
		return c.OnCommit(ctx, func(context.Context) error {
			fmt.Println("committed; send the welcome mails")
			return nil
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	if err := c.SelectContext(ctx, &names, "SELECT name FROM account ORDER BY name"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(names, ", "))
	// Output:
	// duplicate refused: true
	// committed; send the welcome mails
	// ada, grace
}

// ATOMIC_REQUESTS: the view runs inside a transaction, rolled back when
// it fails; a route opts out with NonAtomic.
func ExampleManager_MakeViewAtomic() {
	dbs := memory("example_atomic_requests")
	def := dbs[db.DefaultAlias]
	def.AtomicRequests = true
	dbs[db.DefaultAlias] = def
	m, err := db.NewManager(dbs)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	inAtomic := func(r *manouche.Request) (*manouche.Response, error) {
		c, err := m.Conn(r.Context(), db.DefaultAlias)
		if err != nil {
			return nil, err
		}
		return response.Text(fmt.Sprint("in atomic block: ", c.InAtomicBlock())), nil
	}
	conf, _ := urls.New([]urls.Pattern{
		urls.Path("atomic/", inAtomic),
		urls.Path("plain/", inAtomic, urls.Attr(db.NonAtomic())),
	})
	h, err := handler.New(handler.Config{
		URLConf:      conf,
		Settings:     manouche.Settings{AllowedHosts: []string{"*"}},
		ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{m.MakeViewAtomic},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Install(h.Signals())()
	for _, path := range []string{"/atomic/", "/plain/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Body.String())
	}
	// Output:
	// /atomic/ in atomic block: true
	// /plain/ in atomic block: false
}

// With WithQueryLog (DEBUG), each scope's statements can be read back.
func ExampleManager_Queries() {
	m, err := db.NewManager(memory("example_queries"), db.WithQueryLog(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx, finish := m.Background(context.Background())
	defer finish()
	_ = m.Atomic(ctx, db.DefaultAlias, func(ctx context.Context) error {
		c, _ := m.Conn(ctx, db.DefaultAlias)
		var n int
		return c.GetContext(ctx, &n, "SELECT $1 * 2", 21)
	})
	qs, _ := m.Queries(ctx, db.DefaultAlias)
	for _, q := range qs {
		fmt.Println(q.SQL, q.Args)
	}
	// Output:
	// BEGIN IMMEDIATE []
	// SELECT $1 * 2 [21]
	// COMMIT []
}
