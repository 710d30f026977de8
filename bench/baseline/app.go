package main

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-chi/chi/v5"
	"github.com/jmoiron/sqlx"

	"github.com/manouche/manouche/db"
)

// serverHeader is the Server header of every response: manouche's value,
// so that both servers send responses of the same size.
const serverHeader = "manouche"

// maxQueries bounds the queries and count parameters; worldRows is the
// size of the World table.
const (
	maxQueries = 500
	worldRows  = 10000
)

// The statements of example_app/tfb, unchanged.
const (
	selectWorld    = "SELECT id, randomnumber FROM world WHERE id = $1"
	selectAll      = "SELECT id, randomnumber FROM world WHERE id BETWEEN 1 AND $1"
	selectFortunes = "SELECT id, message FROM fortune"
	extraFortune   = "Additional fortune added at request time."
)

// fortunesTemplate is TFB's fortunes page, example_app/tfb's
// fortunes.html: no white space between the tags.
const fortunesTemplate = `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{{range .}}<tr><td>{{.ID}}</td><td>{{.Message}}</td></tr>{{end}}</table></body></html>`

func parseFortunes() (*template.Template, error) {
	return template.New("fortunes").Parse(fortunesTemplate)
}

// world is one World row, serialised as TFB wants it.
type world struct {
	ID           int `json:"id"`
	RandomNumber int `json:"randomNumber"`
}

// fortune is one Fortune row.
type fortune struct {
	ID      int
	Message string
}

// message is the body of /json, built per request.
type message struct {
	Message string `json:"message"`
}

// queryer is what the endpoints query through: the pool itself
// (*sqlx.DB, pooled connections) or the request's own connection
// (*sqlx.Conn, CONN_MAX_AGE 0).
type queryer interface {
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// app serves the endpoints. Safe for concurrent use.
type app struct {
	db         *sqlx.DB
	engine     string // db.Postgres or db.SQLite
	perRequest bool   // CONN_MAX_AGE 0: a connection per request
	// slots bounds the requests holding a connection of their own
	// (CONN_MAX_AGE 0) to the pool's bound, so that none waits inside
	// database/sql: a connection released while another caller waits
	// there is handed to that caller instead of being closed.
	slots  chan struct{}
	keeper *sqlx.Conn
	tmpl   *template.Template
	log    *slog.Logger

	cacheMu sync.Mutex // serialises the loading of cache
	cache   atomic.Pointer[[worldRows]world]

	// updateStmts[k] is the UPDATE statement for k distinct rows, built
	// on first use.
	updateStmts [maxQueries + 1]atomic.Pointer[string]

	closeOnce sync.Once
	closeErr  error
}

// Close closes the keeper connection, if any, and the pool.
func (a *app) Close() error {
	a.closeOnce.Do(func() {
		if a.keeper != nil {
			a.keeper.Close()
		}
		a.closeErr = a.db.Close()
	})
	return a.closeErr
}

// router returns the endpoints on a chi router, each response with the
// Server header.
func (a *app) router() http.Handler {
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Server"] = []string{serverHeader}
			next.ServeHTTP(w, r)
		})
	})
	r.Get("/plaintext", a.plaintext)
	r.Get("/json", a.json)
	r.Get("/db", a.single)
	r.Get("/queries", a.queries)
	r.Get("/fortunes", a.fortunes)
	r.Get("/updates", a.updates)
	r.Get("/cached-queries", a.cachedQueries)
	return r
}

// conn returns what the request queries through and the func that
// releases it: the pool, or with CONN_MAX_AGE 0 a new connection of the
// request's own, closed when released. The pool keeps no idle
// connection, and a request waits for a slot before it asks the pool for
// one, so that no caller waits in the pool when the connection is
// released: database/sql would hand it over rather than close it.
func (a *app) conn(ctx context.Context) (queryer, func(), error) {
	if !a.perRequest {
		return a.db, func() {}, nil
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	c, err := a.db.Connx(ctx)
	if err != nil {
		<-a.slots
		return nil, nil, err
	}
	return c, func() {
		c.Close()
		<-a.slots
	}, nil
}

// write sends body with its Content-Type and Content-Length.
func write(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.Write(body)
}

// writeJSON sends v as JSON.
func (a *app) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	write(w, "application/json", body)
}

// fail answers 500 and logs err, unless the client has gone away.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		return
	}
	a.log.ErrorContext(r.Context(), "internal server error", "path", r.URL.Path, "error", err)
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}

// plaintext is TFB's plaintext test.
func (a *app) plaintext(w http.ResponseWriter, r *http.Request) {
	write(w, "text/plain; charset=utf-8", []byte("Hello, World!"))
}

// json is TFB's JSON serialization test.
func (a *app) json(w http.ResponseWriter, r *http.Request) {
	a.writeJSON(w, r, &message{Message: "Hello, World!"})
}

// single is TFB's single query test (/db).
func (a *app) single(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, release, err := a.conn(ctx)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer release()
	var wd world
	if err := q.QueryRowxContext(ctx, selectWorld, randomID()).Scan(&wd.ID, &wd.RandomNumber); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, &wd)
}

// queries is TFB's multiple queries test.
func (a *app) queries(w http.ResponseWriter, r *http.Request) {
	n := count(r, "queries")
	ctx := r.Context()
	q, release, err := a.conn(ctx)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer release()
	ws, err := read(ctx, q, n)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, ws)
}

// read reads n random World rows, one query each.
func read(ctx context.Context, q queryer, n int) ([]world, error) {
	ws := make([]world, n)
	for i := range ws {
		w := &ws[i]
		if err := q.QueryRowxContext(ctx, selectWorld, randomID()).Scan(&w.ID, &w.RandomNumber); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// fortunes is TFB's fortunes test: the rows, one more made now, sorted by
// message in byte order, rendered by html/template into a buffer.
func (a *app) fortunes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, release, err := a.conn(ctx)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer release()
	list, err := readFortunes(ctx, q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	list = append(list, fortune{ID: 0, Message: extraFortune})
	slices.SortFunc(list, func(x, y fortune) int { return strings.Compare(x.Message, y.Message) })
	var buf bytes.Buffer
	buf.Grow(1536)
	if err := a.tmpl.Execute(&buf, list); err != nil {
		a.fail(w, r, err)
		return
	}
	write(w, "text/html; charset=utf-8", buf.Bytes())
}

func readFortunes(ctx context.Context, q queryer) ([]fortune, error) {
	rows, err := q.QueryxContext(ctx, selectFortunes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := make([]fortune, 0, 16)
	for rows.Next() {
		var f fortune
		if err := rows.Scan(&f.ID, &f.Message); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	return list, rows.Err()
}

// updates is TFB's database updates test, as example_app/tfb does it: n
// rows read one by one, each given a new random number other than its
// old one, all written back by one UPDATE statement, ids sorted and
// de-duplicated (the last number drawn for an id wins and the response
// shows it for every entry of that id).
func (a *app) updates(w http.ResponseWriter, r *http.Request) {
	n := count(r, "queries")
	ctx := r.Context()
	q, release, err := a.conn(ctx)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer release()
	ws, err := read(ctx, q, n)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for i := range ws {
		ws[i].RandomNumber = newNumber(ws[i].RandomNumber)
	}
	batch := slices.Clone(ws)
	slices.SortStableFunc(batch, func(x, y world) int { return cmp.Compare(x.ID, y.ID) })
	rows := batch[:0]
	for _, wd := range batch {
		if k := len(rows); k > 0 && rows[k-1].ID == wd.ID {
			rows[k-1] = wd
			continue
		}
		rows = append(rows, wd)
	}
	if len(rows) < len(ws) {
		for i := range ws {
			k, _ := slices.BinarySearchFunc(rows, ws[i].ID, func(x world, id int) int { return cmp.Compare(x.ID, id) })
			ws[i].RandomNumber = rows[k].RandomNumber
		}
	}
	args := make([]any, 0, 2*len(rows))
	for _, wd := range rows {
		args = append(args, wd.ID, wd.RandomNumber)
	}
	if _, err := q.ExecContext(ctx, a.updateSQL(len(rows)), args...); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, ws)
}

// updateSQL returns example_app/tfb's statement setting the randomnumber
// of k rows from k (id, randomnumber) pairs of parameters:
//
//	PostgreSQL: UPDATE world SET randomnumber = v.r FROM (VALUES ($1::int,$2::int),($3,$4),…) AS v(id, r) WHERE world.id = v.id
//	SQLite:     WITH v(id, r) AS (VALUES ($1,$2),($3,$4),…) UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id
func (a *app) updateSQL(k int) string {
	if p := a.updateStmts[k].Load(); p != nil {
		return *p
	}
	pg := a.engine == db.Postgres
	var sb strings.Builder
	sb.Grow(96 + 12*k)
	if pg {
		sb.WriteString("UPDATE world SET randomnumber = v.r FROM (VALUES ")
	} else {
		sb.WriteString("WITH v(id, r) AS (VALUES ")
	}
	for i := range k {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("($")
		sb.WriteString(strconv.Itoa(2*i + 1))
		if i == 0 && pg {
			sb.WriteString("::int")
		}
		sb.WriteString(",$")
		sb.WriteString(strconv.Itoa(2*i + 2))
		if i == 0 && pg {
			sb.WriteString("::int")
		}
		sb.WriteByte(')')
	}
	if pg {
		sb.WriteString(") AS v(id, r) WHERE world.id = v.id")
	} else {
		sb.WriteString(") UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id")
	}
	s := sb.String()
	a.updateStmts[k].Store(&s)
	return s
}

// cachedQueries is TFB's cached queries test, from an in-memory copy of
// the World table.
func (a *app) cachedQueries(w http.ResponseWriter, r *http.Request) {
	n := count(r, "count")
	cache, err := a.worlds(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ws := make([]world, n)
	for i := range ws {
		ws[i] = cache[randomID()-1]
	}
	a.writeJSON(w, r, ws)
}

// worlds returns the cache of the World table, loaded on first use; a
// failed load is not kept.
func (a *app) worlds(ctx context.Context) (*[worldRows]world, error) {
	if p := a.cache.Load(); p != nil {
		return p, nil
	}
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if p := a.cache.Load(); p != nil {
		return p, nil
	}
	q, release, err := a.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := q.QueryxContext(ctx, selectAll, worldRows)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := new([worldRows]world)
	n := 0
	for rows.Next() {
		var wd world
		if err := rows.Scan(&wd.ID, &wd.RandomNumber); err != nil {
			return nil, err
		}
		p[wd.ID-1] = wd // 1 <= id <= worldRows: the WHERE clause
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n != worldRows {
		return nil, fmt.Errorf("the world table has %d of the ids 1..%d", n, worldRows)
	}
	a.cache.Store(p)
	return p, nil
}

// count returns the query parameter name clamped to 1..500: missing,
// empty, not a number or below 1 is 1; above 500, however large, is 500.
func count(r *http.Request, name string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	switch {
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return maxQueries
	case err != nil, n < 1:
		return 1
	case n > maxQueries:
		return maxQueries
	}
	return n
}

// randomID returns a random World id.
func randomID() int { return rand.IntN(worldRows) + 1 }

// newNumber returns a random number in 1..worldRows other than old.
func newNumber(old int) int {
	n := rand.IntN(worldRows-1) + 1
	if n >= old {
		n++
	}
	return n
}
