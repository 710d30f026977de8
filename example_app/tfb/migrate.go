package tfb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/manouche/manouche/db"
)

// worldRows is the number of rows of the World table: ids 1..worldRows,
// randomnumber in 1..worldRows.
const worldRows = 10000

// fortunes are TFB's 12 fortunes, fortunes[i] having id i+1, as Migrate
// stores them.
var fortunes = [...]string{
	"fortune: No such file or directory",
	"A computer scientist is someone who fixes things that aren't broken.",
	"After enough decimal places, nobody gives a damn.",
	"A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
	"A computer program does what you tell it to do, not what you want it to do.",
	"Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
	"Any program that runs right is obsolete.",
	"A list is only as strong as its weakest link. — Donald Knuth",
	"Feature: A bug with seniority.",
	"Computers make very fast, very accurate mistakes.",
	`<script>alert("This should not be displayed in a browser alert box.");</script>`,
	"フレームワークのベンチマーク",
}

// seedBatch is the number of rows per INSERT while seeding: two
// parameters a row keeps a statement under SQLite's historical limit of
// 999 parameters.
const seedBatch = 250

// schema creates the tables; the same statements serve SQLite and
// PostgreSQL (see the package documentation for the names).
var schema = []string{
	"CREATE TABLE IF NOT EXISTS world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL)",
	"CREATE TABLE IF NOT EXISTS fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL)",
}

// Migrate creates the world and fortune tables in the database alias of
// m if they do not exist, and seeds them when rows are missing: World ids
// 1..10000 with a random randomnumber in 1..10000, and the 12 fortunes.
// Rows already there are left as they are (INSERT … ON CONFLICT DO
// NOTHING), so Migrate is idempotent and safe to run from two processes
// at once. The seeding runs in one transaction with multi-row INSERTs.
// With a context that carries no scope (not a request's), Migrate makes a
// Background scope of its own and finishes it.
func Migrate(ctx context.Context, m *db.Manager, alias string) error {
	return m.Do(ctx, alias, func(ctx context.Context, c *db.Conn) error {
		for _, q := range schema {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("tfb: migrating: %w", err)
			}
		}
		err := c.Atomic(ctx, func(ctx context.Context) error {
			if err := seed(ctx, c, "world", worldRows, func(id int) any { return rand.IntN(worldRows) + 1 }); err != nil {
				return err
			}
			return seed(ctx, c, "fortune", len(fortunes), func(id int) any { return fortunes[id-1] })
		})
		if err != nil {
			return fmt.Errorf("tfb: seeding: %w", err)
		}
		return nil
	})
}

// seed inserts the rows (id, value(id)) for ids 1..n into table unless
// all of them are there; rows present are kept.
func seed(ctx context.Context, c *db.Conn, table string, n int, value func(id int) any) error {
	col := "randomnumber"
	if table == "fortune" {
		col = "message"
	}
	var have int
	if err := c.QueryRowxContext(ctx, "SELECT count(*) FROM "+table+" WHERE id BETWEEN 1 AND $1", n).Scan(&have); err != nil {
		return err
	}
	if have == n {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, 2*min(n, seedBatch))
	for lo := 1; lo <= n; lo += seedBatch {
		hi := min(lo+seedBatch-1, n)
		sb.Reset()
		args = args[:0]
		sb.WriteString("INSERT INTO " + table + " (id, " + col + ") VALUES ")
		for id := lo; id <= hi; id++ {
			if id > lo {
				sb.WriteByte(',')
			}
			k := len(args)
			sb.WriteString("($")
			sb.WriteString(strconv.Itoa(k + 1))
			sb.WriteString(",$")
			sb.WriteString(strconv.Itoa(k + 2))
			sb.WriteByte(')')
			args = append(args, id, value(id))
		}
		sb.WriteString(" ON CONFLICT (id) DO NOTHING")
		if _, err := c.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
