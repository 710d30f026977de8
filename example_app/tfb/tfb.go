package tfb

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// maxQueries is the upper bound of the queries and count parameters.
const maxQueries = 500

// Statements. Placeholders are numbered in the order they appear, which
// both lib/pq and SQLite (for which "$1" is a name, numbered by first
// appearance) bind positionally.
const (
	selectWorld    = "SELECT id, randomnumber FROM world WHERE id = $1"
	selectAll      = "SELECT id, randomnumber FROM world WHERE id BETWEEN 1 AND $1"
	selectFortunes = "SELECT id, message FROM fortune"
	extraFortune   = "Additional fortune added at request time."
)

//go:embed templates/fortunes.html
var templateFiles embed.FS

// Templates returns the package's templates: "fortunes.html", TFB's
// fortunes page with no white space between its tags. Give it to
// templates.Config.FS of the engine handed to New.
func Templates() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err) // "templates" is a valid path: fs.Sub cannot fail
	}
	return sub
}

// world is one World row, serialised as TFB wants it.
type world struct {
	ID           int `json:"id"`
	RandomNumber int `json:"randomNumber"`
}

// fortune is one Fortune row, for the template.
type fortune struct {
	ID      int
	Message string
}

// message is the body of /json, built per request.
type message struct {
	Message string `json:"message"`
}

// App serves the TFB endpoints from the database alias of a db.Manager.
// Build it with New; it is safe for concurrent use. What it keeps between
// requests is bounded by construction: the World cache of /cached-queries
// (10,000 rows, loaded once) and the text of the UPDATE statement of each
// row count (at most 500 of them).
type App struct {
	m     *db.Manager
	alias string
	eng   *templates.Engine

	cacheMu sync.Mutex // serialises the loading of cache
	cache   atomic.Pointer[[worldRows]world]

	// updateStmts[k] is the UPDATE statement for k distinct rows, built on
	// first use.
	updateStmts [maxQueries + 1]atomic.Pointer[string]
}

// New returns the App serving the tables Migrate made in the database
// alias of m; eng renders "fortunes.html" (an engine whose loaders include
// Templates()).
func New(m *db.Manager, alias string, eng *templates.Engine) *App {
	return &App{m: m, alias: alias, eng: eng}
}

// URLs returns the TFB endpoints, at the site root and without trailing
// slashes, each named as its path: json, plaintext, db, queries, fortunes,
// updates and cached-queries.
func (a *App) URLs() []urls.Pattern {
	return []urls.Pattern{
		urls.Path("json", a.json, urls.Name("json")),
		urls.Path("plaintext", a.plaintext, urls.Name("plaintext")),
		urls.Path("db", a.db, urls.Name("db")),
		urls.Path("queries", a.queries, urls.Name("queries")),
		urls.Path("fortunes", a.fortunes, urls.Name("fortunes")),
		urls.Path("updates", a.updates, urls.Name("updates")),
		urls.Path("cached-queries", a.cachedQueries, urls.Name("cached-queries")),
	}
}

// json is TFB's JSON serialization test.
func (a *App) json(r *manouche.Request) (*manouche.Response, error) {
	return response.JSON(&message{Message: "Hello, World!"})
}

// plaintext is TFB's plaintext test.
func (a *App) plaintext(r *manouche.Request) (*manouche.Response, error) {
	return response.Text("Hello, World!"), nil
}

// db is TFB's single query test.
func (a *App) db(r *manouche.Request) (*manouche.Response, error) {
	ctx := r.Context()
	c, err := a.m.Conn(ctx, a.alias)
	if err != nil {
		return nil, err
	}
	var w world
	if err := c.QueryRowxContext(ctx, selectWorld, randomID()).Scan(&w.ID, &w.RandomNumber); err != nil {
		return nil, err
	}
	return response.JSON(&w)
}

// queries is TFB's multiple queries test.
func (a *App) queries(r *manouche.Request) (*manouche.Response, error) {
	n, err := count(r, "queries")
	if err != nil {
		return nil, err
	}
	ws, err := a.read(r.Context(), n)
	if err != nil {
		return nil, err
	}
	return response.JSON(ws)
}

// read reads n random World rows, one query each, on the connection of
// ctx's scope.
func (a *App) read(ctx context.Context, n int) ([]world, error) {
	c, err := a.m.Conn(ctx, a.alias)
	if err != nil {
		return nil, err
	}
	ws := make([]world, n)
	for i := range ws {
		w := &ws[i]
		if err := c.QueryRowxContext(ctx, selectWorld, randomID()).Scan(&w.ID, &w.RandomNumber); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// fortunes is TFB's fortunes test: the rows, one more made now, sorted by
// message in byte order, rendered by the template engine as a deferred
// template response (after the request's middleware have seen it).
func (a *App) fortunes(r *manouche.Request) (*manouche.Response, error) {
	ctx := r.Context()
	c, err := a.m.Conn(ctx, a.alias)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryxContext(ctx, selectFortunes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := make([]fortune, 0, len(fortunes)+1)
	for rows.Next() {
		var f fortune
		if err := rows.Scan(&f.ID, &f.Message); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list = append(list, fortune{ID: 0, Message: extraFortune})
	slices.SortFunc(list, func(x, y fortune) int { return strings.Compare(x.Message, y.Message) })
	return a.eng.Response(r, "fortunes.html", map[string]any{"fortunes": list}), nil
}

// updates is TFB's database updates test: n rows read one by one, each
// given a new random number that differs from its old one, all written
// back by one UPDATE statement.
func (a *App) updates(r *manouche.Request) (*manouche.Response, error) {
	n, err := count(r, "queries")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	ws, err := a.read(ctx, n)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		ws[i].RandomNumber = newNumber(ws[i].RandomNumber)
	}
	// Sorted by id, so that concurrent updates take the rows' locks in
	// the same order (no deadlock); one entry per id, the last one drawn.
	batch := slices.Clone(ws)
	slices.SortStableFunc(batch, func(x, y world) int { return cmp.Compare(x.ID, y.ID) })
	rows := batch[:0]
	for _, w := range batch {
		if k := len(rows); k > 0 && rows[k-1].ID == w.ID {
			rows[k-1] = w
			continue
		}
		rows = append(rows, w)
	}
	if len(rows) < len(ws) {
		// An id read twice: every entry of the response shows what the
		// table now holds.
		for i := range ws {
			k, _ := slices.BinarySearchFunc(rows, ws[i].ID, func(w world, id int) int { return cmp.Compare(w.ID, id) })
			ws[i].RandomNumber = rows[k].RandomNumber
		}
	}
	c, err := a.m.Conn(ctx, a.alias)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, 2*len(rows))
	for _, w := range rows {
		args = append(args, w.ID, w.RandomNumber)
	}
	if _, err := c.ExecContext(ctx, a.updateSQL(c.Engine(), len(rows)), args...); err != nil {
		return nil, err
	}
	return response.JSON(ws)
}

// updateSQL returns the statement that sets the randomnumber of k rows,
// given as k (id, randomnumber) pairs of parameters:
//
//	PostgreSQL: UPDATE world SET randomnumber = v.r FROM (VALUES ($1::int,$2::int),($3,$4),…) AS v(id, r) WHERE world.id = v.id
//	SQLite:     WITH v(id, r) AS (VALUES ($1,$2),($3,$4),…) UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id
//
// One statement is one transaction on both: atomic, and on SQLite it
// waits for the write lock under the busy timeout.
func (a *App) updateSQL(engine string, k int) string {
	if p := a.updateStmts[k].Load(); p != nil {
		return *p
	}
	var sb strings.Builder
	sb.Grow(96 + 12*k)
	if engine == db.Postgres {
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
		if i == 0 && engine == db.Postgres {
			sb.WriteString("::int") // the first row types the VALUES list
		}
		sb.WriteString(",$")
		sb.WriteString(strconv.Itoa(2*i + 2))
		if i == 0 && engine == db.Postgres {
			sb.WriteString("::int")
		}
		sb.WriteByte(')')
	}
	if engine == db.Postgres {
		sb.WriteString(") AS v(id, r) WHERE world.id = v.id")
	} else {
		sb.WriteString(") UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id")
	}
	q := sb.String()
	a.updateStmts[k].Store(&q)
	return q
}

// cachedQueries is TFB's cached queries test, from the in-memory copy of
// the World table.
func (a *App) cachedQueries(r *manouche.Request) (*manouche.Response, error) {
	n, err := count(r, "count")
	if err != nil {
		return nil, err
	}
	cache, err := a.worlds(r.Context())
	if err != nil {
		return nil, err
	}
	ws := make([]world, n)
	for i := range ws {
		ws[i] = cache[randomID()-1]
	}
	return response.JSON(ws)
}

// worlds returns the cache of the World table, loading it on first use
// through the connection of ctx's scope. A failed load is not kept: the
// next request tries again.
func (a *App) worlds(ctx context.Context) (*[worldRows]world, error) {
	if p := a.cache.Load(); p != nil {
		return p, nil
	}
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if p := a.cache.Load(); p != nil {
		return p, nil
	}
	c, err := a.m.Conn(ctx, a.alias)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryxContext(ctx, selectAll, worldRows)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := new([worldRows]world)
	n := 0
	for rows.Next() {
		var w world
		if err := rows.Scan(&w.ID, &w.RandomNumber); err != nil {
			return nil, err
		}
		p[w.ID-1] = w // 1 <= id <= worldRows: the WHERE clause
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n != worldRows {
		return nil, fmt.Errorf("tfb: the world table has %d of the ids 1..%d (run Migrate)", n, worldRows)
	}
	a.cache.Store(p)
	return p, nil
}

// count returns the query parameter name clamped to 1..500: missing,
// empty, not a number or below 1 is 1; above 500, however large, is 500.
func count(r *manouche.Request, name string) (int, error) {
	q, err := r.GET()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(q.Get(name))
	switch {
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return maxQueries, nil
	case err != nil, n < 1:
		return 1, nil
	case n > maxQueries:
		return maxQueries, nil
	}
	return n, nil
}

// randomID returns a random World id.
func randomID() int { return rand.IntN(worldRows) + 1 }

// newNumber returns a random number in 1..worldRows other than old, so
// that the row really changes.
func newNumber(old int) int {
	n := rand.IntN(worldRows-1) + 1 // 1..worldRows-1
	if n >= old {
		n++ // skip old: uniform over the other worldRows-1 values
	}
	return n
}
