package polls_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
)

// Migrate and Seed are idempotent, also when run concurrently, and the
// schema is Django's: a cascading foreign key, the votes' default, the
// index, varchar(200) where the database enforces it.
func TestMigrateAndSeed(t *testing.T) {
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			m := manager(t, b)
			s := &site{t: t, m: m}
			ctx := context.Background()
			concurrently := func(name string, f func(context.Context, *db.Manager, string) error) {
				t.Helper()
				var wg sync.WaitGroup
				errs := make([]error, 4)
				for i := range errs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = f(ctx, m, db.DefaultAlias)
					}()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			concurrently("Migrate", polls.Migrate)
			if err := polls.Migrate(ctx, m, db.DefaultAlias); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
			if n := s.count("SELECT count(*) FROM polls_question"); n != 0 {
				t.Fatalf("%d questions after Migrate", n)
			}
			concurrently("Seed", polls.Seed)
			if err := polls.Seed(ctx, m, db.DefaultAlias); err != nil {
				t.Fatalf("Seed again: %v", err)
			}
			if q, c := s.count("SELECT count(*) FROM polls_question"), s.count("SELECT count(*) FROM polls_choice"); q != 4 || c != 12 {
				t.Fatalf("after seeding five times: %d questions, %d choices; want 4, 12", q, c)
			}
			if n := s.count("SELECT count(*) FROM polls_question WHERE pub_date > $1", time.Now().UTC()); n != 0 {
				t.Fatalf("%d seeded questions are not published yet", n)
			}
			// Migrating keeps the data.
			if err := polls.Migrate(ctx, m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			if n := s.count("SELECT count(*) FROM polls_question"); n != 4 {
				t.Fatalf("%d questions after migrating again", n)
			}

			id := s.addQuestion("Cascade?", time.Now().Add(-time.Hour), "Yes", "No")
			if n := s.count("SELECT sum(votes) FROM polls_choice WHERE question_id = $1", id); n != 0 {
				t.Fatalf("new choices have %d votes", n)
			}
			s.inScope(func(ctx context.Context, c *db.Conn) error {
				_, err := c.ExecContext(ctx, "DELETE FROM polls_question WHERE id = $1", id)
				return err
			})
			if n := s.count("SELECT count(*) FROM polls_choice WHERE question_id = $1", id); n != 0 {
				t.Fatalf("%d choices left after deleting their question", n)
			}
			index := map[string]string{
				db.SQLite:   "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1",
				db.Postgres: "SELECT count(*) FROM pg_indexes WHERE indexname = $1",
			}[b.engine]
			if n := s.count(index, "polls_choice_question_id_idx"); n != 1 {
				t.Fatal("no index on polls_choice.question_id")
			}
			// A choice of a question that does not exist is refused.
			ctx2, finish := m.Background(ctx)
			defer finish()
			c, err := m.Conn(ctx2, db.DefaultAlias)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ExecContext(ctx2, "INSERT INTO polls_choice (question_id, choice_text) VALUES ($1, $2)", 987654, "orphan"); err == nil {
				t.Fatal("a choice without its question was inserted")
			}
			if b.engine == db.Postgres {
				if _, err := c.ExecContext(ctx2, "INSERT INTO polls_question (question_text, pub_date) VALUES ($1, $2)", strings.Repeat("x", 201), time.Now()); err == nil {
					t.Fatal("a question of 201 characters was inserted")
				}
			}
		})
	}
}

// Seed adds nothing to a table that has questions already.
func TestSeedKeepsExistingQuestions(t *testing.T) {
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			m := manager(t, b)
			s := &site{t: t, m: m}
			if err := polls.Migrate(context.Background(), m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			s.addQuestion("Mine?", time.Now().Add(-time.Hour), "Yes")
			if err := polls.Seed(context.Background(), m, db.DefaultAlias); err != nil {
				t.Fatal(err)
			}
			if n := s.count("SELECT count(*) FROM polls_question"); n != 1 {
				t.Fatalf("%d questions, want the one that was there", n)
			}
		})
	}
}

// Migrate and Seed report a database they cannot use.
func TestMigrateErrors(t *testing.T) {
	m := manager(t, backends[0])
	for name, f := range map[string]func(context.Context, *db.Manager, string) error{"Migrate": polls.Migrate, "Seed": polls.Seed} {
		if err := f(context.Background(), m, "replica"); !errors.Is(err, db.ErrNoAlias) {
			t.Errorf("%s of an unknown alias: %v", name, err)
		}
	}
	// Seed before Migrate: no table.
	if err := polls.Seed(context.Background(), m, db.DefaultAlias); err == nil || !strings.Contains(err.Error(), "polls_question") {
		t.Errorf("Seed without the tables: %v", err)
	}
}

// The tutorial's tests of was_published_recently (part 5).
func TestWasPublishedRecently(t *testing.T) {
	for _, tc := range []struct {
		name string
		age  time.Duration
		want bool
	}{
		{"future question", -30 * 24 * time.Hour, false},
		{"old question", 24*time.Hour + time.Second, false},
		{"recent question", 23*time.Hour + 59*time.Minute + 59*time.Second, true},
		{"just published", time.Millisecond, true},
	} {
		q := polls.Question{QuestionText: tc.name, PubDate: time.Now().Add(-tc.age)}
		if got := q.WasPublishedRecently(); got != tc.want {
			t.Errorf("%s: WasPublishedRecently() = %v", tc.name, got)
		}
	}
}
