package polls

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"time"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

var (
	//go:embed templates
	templateFiles embed.FS
	//go:embed static
	staticFiles embed.FS
	//go:embed files/guide.txt
	guideFiles embed.FS
)

// guidePath is the downloadable guide in guideFiles.
const guidePath = "files/guide.txt"

// Templates returns the application's templates, named as the views and
// error handlers ask for them: "base.html", "polls/index.html",
// "polls/detail.html", "polls/results.html", "404.html" and "500.html".
// Give it to templates.Config.FS.
func Templates() fs.FS { return sub(templateFiles, "templates") }

// Static returns the application's static files, "polls/style.css",
// "polls/app.js" and "polls/images/background.svg": the FS of
// middleware.StaticConfig, or a source of middleware.CollectStatic.
func Static() fs.FS { return sub(staticFiles, "static") }

func sub(fsys embed.FS, dir string) fs.FS {
	f, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant, valid name
	}
	return f
}

// Question is a row of polls_question (the tutorial's Question model).
type Question struct {
	ID           int64     `db:"id"`
	QuestionText string    `db:"question_text"`
	PubDate      time.Time `db:"pub_date"`
}

// String returns the question's text, as the model's __str__.
func (q Question) String() string { return q.QuestionText }

// WasPublishedRecently reports whether the question was published within
// the last day, and not in the future (the tutorial's method, with the
// part 5 fix).
func (q Question) WasPublishedRecently() bool {
	now := time.Now()
	return !q.PubDate.After(now) && !q.PubDate.Before(now.Add(-24*time.Hour))
}

// Choice is a row of polls_choice (the tutorial's Choice model).
type Choice struct {
	ID         int64  `db:"id"`
	QuestionID int64  `db:"question_id"`
	ChoiceText string `db:"choice_text"`
	Votes      int64  `db:"votes"`
}

// String returns the choice's text, as the model's __str__.
func (c Choice) String() string { return c.ChoiceText }

// App is the polls application: its views share the database manager,
// the alias of its database and the template engine. Build it with New.
type App struct {
	// DB is the connection manager; the views use the request's
	// connection to Alias.
	DB *db.Manager
	// Alias is the database the tables are in.
	Alias string
	// Engine renders the pages; it must load Templates().
	Engine *templates.Engine

	now       func() time.Time
	guideETag string
}

// New returns the application on the database alias of m, rendering with
// eng.
func New(m *db.Manager, alias string, eng *templates.Engine) *App {
	guide, err := guideFiles.ReadFile(guidePath)
	if err != nil {
		panic(err) // embedded at build time
	}
	sum := sha256.Sum256(guide)
	return &App{
		DB:        m,
		Alias:     alias,
		Engine:    eng,
		now:       time.Now,
		guideETag: `"` + hex.EncodeToString(sum[:8]) + `"`,
	}
}

// URLs returns the application's URL patterns, to be included under the
// application namespace "polls":
//
//	urls.Include("polls/", app.URLs(), urls.AppName("polls"), urls.Namespace("polls"))
func (a *App) URLs() []urls.Pattern {
	return []urls.Pattern{
		urls.Path("", a.index, urls.Name("index")),
		urls.Path("<int:pk>/", a.detail, urls.Name("detail")),
		urls.Path("<int:pk>/results/", a.results, urls.Name("results")),
		urls.Path("<int:pk>/vote/", a.vote, urls.Name("vote")),
		urls.Path("api/questions/", a.apiQuestions, urls.Name("api-questions")),
		urls.Path("api/questions/<int:pk>/", a.apiQuestion, urls.Name("api-question")),
		urls.Path("export.csv", a.export, urls.Name("export")),
		urls.Path("<int:pk>/download/", a.download, urls.Name("download")),
	}
}

// Placeholders are numbered in the order they appear in each statement:
// SQLite reads "$1" as a name and numbers parameters by first appearance,
// so both engines take the same text.

// schema returns the statements that create the tables and the index on
// engine, idempotently.
func schema(engine string) []string {
	id, stamp := "serial PRIMARY KEY", "timestamp with time zone"
	if engine == db.SQLite {
		id, stamp = "integer NOT NULL PRIMARY KEY AUTOINCREMENT", "datetime"
	}
	return []string{
		"CREATE TABLE IF NOT EXISTS polls_question (" +
			"id " + id + ", " +
			"question_text varchar(200) NOT NULL, " +
			"pub_date " + stamp + " NOT NULL)",
		"CREATE TABLE IF NOT EXISTS polls_choice (" +
			"id " + id + ", " +
			"question_id integer NOT NULL REFERENCES polls_question (id) ON DELETE CASCADE, " +
			"choice_text varchar(200) NOT NULL, " +
			"votes integer NOT NULL DEFAULT 0)",
		"CREATE INDEX IF NOT EXISTS polls_choice_question_id_idx ON polls_choice (question_id)",
	}
}

// migrateLock is the key of the PostgreSQL advisory lock that serialises
// concurrent migrations (two CREATE TABLE IF NOT EXISTS of the same table
// may otherwise conflict); "polls" in ASCII.
const migrateLock = 0x706f6c6c73

// Migrate creates the tables polls_question and polls_choice, and the
// index on polls_choice.question_id, in the database alias of m, if they
// do not exist: Django's migrate for the polls app. It is idempotent, runs
// in one transaction, and on PostgreSQL concurrent calls wait for each
// other. With a context that carries no scope it makes a Background scope
// of its own.
func Migrate(ctx context.Context, m *db.Manager, alias string) error {
	err := m.Do(ctx, alias, func(ctx context.Context, c *db.Conn) error {
		return c.Atomic(ctx, func(ctx context.Context) error {
			if c.Engine() == db.Postgres {
				if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
					return err
				}
			}
			for _, q := range schema(c.Engine()) {
				if _, err := c.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("polls: migrating: %w", err)
	}
	return nil
}

// seeds are the demo questions, the first of them the newest.
var seeds = []struct {
	text    string
	age     time.Duration
	choices []string
}{
	{"What's up?", time.Minute, []string{"Not much", "The sky", "Just hacking again"}},
	{"Which Go release do you run?", 26 * time.Hour, []string{"The latest one", "The one before", "Whatever my distribution ships"}},
	{"Tabs or spaces?", 3 * 24 * time.Hour, []string{"Tabs", "Spaces", "Whatever gofmt says"}},
	{"Where should a request's database connection live?", 7 * 24 * time.Hour, []string{"In the request", "In the thread", "In a global"}},
}

// Seed inserts a few demo questions with their choices, published in the
// past, when polls_question is empty; otherwise it does nothing, so it is
// idempotent, also when called concurrently (the check and the inserts
// are one transaction, which on PostgreSQL locks the table against other
// writers and on SQLite begins IMMEDIATE). With a context that carries no
// scope it makes a Background scope of its own.
func Seed(ctx context.Context, m *db.Manager, alias string) error {
	err := m.Do(ctx, alias, func(ctx context.Context, c *db.Conn) error {
		return c.Atomic(ctx, func(ctx context.Context) error {
			if c.Engine() == db.Postgres {
				if _, err := c.ExecContext(ctx, "LOCK TABLE polls_question IN SHARE ROW EXCLUSIVE MODE"); err != nil {
					return err
				}
			}
			var n int64
			if err := c.GetContext(ctx, &n, "SELECT count(*) FROM polls_question"); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			now := utcNow(time.Now)
			for _, s := range seeds {
				var id int64
				if err := c.GetContext(ctx, &id, "INSERT INTO polls_question (question_text, pub_date) VALUES ($1, $2) RETURNING id", s.text, now.Add(-s.age)); err != nil {
					return err
				}
				for _, ch := range s.choices {
					if _, err := c.ExecContext(ctx, "INSERT INTO polls_choice (question_id, choice_text, votes) VALUES ($1, $2, 0)", id, ch); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("polls: seeding: %w", err)
	}
	return nil
}

// utcNow returns now() in UTC to the microsecond: what both databases
// store, and on SQLite a text form whose order is the time order.
func utcNow(now func() time.Time) time.Time { return now().UTC().Truncate(time.Microsecond) }
