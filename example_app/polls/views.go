package polls

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// Messages of the views, Django's.
const (
	notFoundMessage = "No Question matches the given query."
	noChoiceMessage = "You didn't select a choice."
)

// exportFlushRows is how many CSV rows the export buffers before writing
// them out (each write is flushed to the client).
const exportFlushRows = 50

// errNoChoice: the vote names no choice of the question.
var errNoChoice = errors.New("polls: no such choice")

// allowed returns the 405 answer when r's method is not one of methods
// (Django's require_http_methods), nil otherwise.
func allowed(r *manouche.Request, methods ...string) *manouche.Response {
	if slices.Contains(methods, r.Method) {
		return nil
	}
	return response.NotAllowed(methods...)
}

// conn returns the request's connection to the application's database.
func (a *App) conn(r *manouche.Request) (*db.Conn, error) {
	return a.DB.Conn(r.Context(), a.Alias)
}

// published returns the question pk if it is published (pub_date not in
// the future), and Django's get_object_or_404 error otherwise.
func (a *App) published(ctx context.Context, c *db.Conn, pk int) (Question, error) {
	var q Question
	err := c.GetContext(ctx, &q, "SELECT id, question_text, pub_date FROM polls_question WHERE id = $1 AND pub_date <= $2", pk, utcNow(a.now))
	if errors.Is(err, sql.ErrNoRows) {
		return q, &manouche.Http404{Message: notFoundMessage}
	}
	return q, err
}

// choices returns the choices of question id, in the order they were
// added.
func choices(ctx context.Context, c *db.Conn, id int64) ([]Choice, error) {
	list := []Choice{}
	err := c.SelectContext(ctx, &list, "SELECT id, question_id, choice_text, votes FROM polls_choice WHERE question_id = $1 ORDER BY id", id)
	return list, err
}

// questionPage loads the published question of the route's pk with its
// choices.
func (a *App) questionPage(r *manouche.Request) (*db.Conn, Question, []Choice, error) {
	pk, _ := manouche.Kwarg[int](r, "pk")
	c, err := a.conn(r)
	if err != nil {
		return nil, Question{}, nil, err
	}
	q, err := a.published(r.Context(), c, pk)
	if err != nil {
		return nil, q, nil, err
	}
	list, err := choices(r.Context(), c, q.ID)
	return c, q, list, err
}

// index lists the five latest published questions, newest first (the
// tutorial's IndexView with its part 5 filter).
func (a *App) index(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	c, err := a.conn(r)
	if err != nil {
		return nil, err
	}
	latest := []Question{}
	if err := c.SelectContext(r.Context(), &latest,
		"SELECT id, question_text, pub_date FROM polls_question WHERE pub_date <= $1 ORDER BY pub_date DESC, id DESC LIMIT 5", utcNow(a.now)); err != nil {
		return nil, err
	}
	return a.Engine.Response(r, "polls/index.html", map[string]any{"latest_question_list": latest}), nil
}

// detail shows the voting form of a published question (DetailView).
func (a *App) detail(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	_, q, list, err := a.questionPage(r)
	if err != nil {
		return nil, err
	}
	return a.detailPage(r, q, list, ""), nil
}

// detailPage renders the voting form, with an error message when one is
// given.
func (a *App) detailPage(r *manouche.Request, q Question, list []Choice, errorMessage string) *manouche.Response {
	data := map[string]any{"question": q, "choices": list}
	if errorMessage != "" {
		data["error_message"] = errorMessage
	}
	return a.Engine.Response(r, "polls/detail.html", data)
}

// results shows the votes of each choice (ResultsView).
func (a *App) results(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	_, q, list, err := a.questionPage(r)
	if err != nil {
		return nil, err
	}
	return a.Engine.Response(r, "polls/results.html", map[string]any{"question": q, "choices": list}), nil
}

// vote counts a vote for the posted choice and redirects to the results
// (the tutorial's vote view). Without a choice of the question it shows
// the form again with Django's error message. The count is one UPDATE
// that adds in the database, so that concurrent votes are never lost.
func (a *App) vote(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodPost); resp != nil {
		return resp, nil
	}
	pk, _ := manouche.Kwarg[int](r, "pk")
	c, err := a.conn(r)
	if err != nil {
		return nil, err
	}
	q, err := a.published(r.Context(), c, pk)
	if err != nil {
		return nil, err
	}
	post, err := r.POST()
	if err != nil {
		return nil, err
	}
	again := func() (*manouche.Response, error) {
		list, err := choices(r.Context(), c, q.ID)
		if err != nil {
			return nil, err
		}
		return a.detailPage(r, q, list, noChoiceMessage), nil
	}
	choiceID, err := strconv.ParseInt(post.Get("choice"), 10, 64)
	if err != nil || choiceID <= 0 {
		return again()
	}
	var text string
	err = c.Atomic(r.Context(), func(ctx context.Context) error {
		res, err := c.ExecContext(ctx, "UPDATE polls_choice SET votes = votes + 1 WHERE id = $1 AND question_id = $2", choiceID, q.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoChoice
		}
		return c.GetContext(ctx, &text, "SELECT choice_text FROM polls_choice WHERE id = $1", choiceID)
	})
	if errors.Is(err, errNoChoice) {
		return again()
	}
	if err != nil {
		return nil, err
	}
	if err := middleware.MessagesFrom(r).Success("You voted for " + text + "."); err != nil {
		return nil, err
	}
	// Always redirect after a successful POST, so that the back button
	// does not post the vote again.
	to, err := urls.Reverse(r, "polls:results", urls.Args(q.ID))
	if err != nil {
		return nil, err
	}
	return response.Redirect(to)
}

// apiQuestion is a question in the JSON API.
type apiQuestion struct {
	ID           int64  `json:"id"`
	QuestionText string `json:"question_text"`
	PubDate      string `json:"pub_date"`
	URL          string `json:"url"`
}

// apiChoice is a choice in the JSON API.
type apiChoice struct {
	ID         int64  `json:"id"`
	ChoiceText string `json:"choice_text"`
	Votes      int64  `json:"votes"`
}

func toAPI(r *manouche.Request, q Question) (apiQuestion, error) {
	u, err := urls.Reverse(r, "polls:detail", urls.Args(q.ID))
	return apiQuestion{
		ID:           q.ID,
		QuestionText: q.QuestionText,
		PubDate:      q.PubDate.UTC().Format(time.RFC3339),
		URL:          u,
	}, err
}

// apiQuestions lists the published questions, newest first, as JSON.
func (a *App) apiQuestions(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	c, err := a.conn(r)
	if err != nil {
		return nil, err
	}
	var list []Question
	if err := c.SelectContext(r.Context(), &list,
		"SELECT id, question_text, pub_date FROM polls_question WHERE pub_date <= $1 ORDER BY pub_date DESC, id DESC", utcNow(a.now)); err != nil {
		return nil, err
	}
	out := make([]apiQuestion, 0, len(list))
	for _, q := range list {
		aq, err := toAPI(r, q)
		if err != nil {
			return nil, err
		}
		out = append(out, aq)
	}
	return response.JSON(out)
}

// apiQuestion returns a published question with its choices and their
// votes as JSON; a missing one is the application's 404.
func (a *App) apiQuestion(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	_, q, list, err := a.questionPage(r)
	if err != nil {
		return nil, err
	}
	aq, err := toAPI(r, q)
	if err != nil {
		return nil, err
	}
	out := struct {
		apiQuestion
		Choices []apiChoice `json:"choices"`
	}{aq, make([]apiChoice, 0, len(list))}
	for _, ch := range list {
		out.Choices = append(out.Choices, apiChoice{ID: ch.ID, ChoiceText: ch.ChoiceText, Votes: ch.Votes})
	}
	return response.JSON(out)
}

// export streams every choice of the published questions with its votes
// as CSV, ordered by question and choice. The rows are read from the
// database while the body is written, after every middleware has run, on
// the request's connection, which the request keeps until the stream
// ends; nothing is held in memory but a few rows.
func (a *App) export(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	// Connect now: a database that cannot be reached is a 500 page, not a
	// stream cut after its headers.
	c, err := a.conn(r)
	if err != nil {
		return nil, err
	}
	now := utcNow(a.now)
	resp := response.Stream(func(ctx context.Context, w io.Writer) error {
		return writeExport(ctx, c, now, w)
	})
	resp.SetHeader("Content-Type", "text/csv; charset=utf-8")
	resp.SetHeader("Content-Disposition", `attachment; filename="votes.csv"`)
	return resp, nil
}

// writeExport writes the CSV of the votes of the questions published by
// now to w.
func writeExport(ctx context.Context, c *db.Conn, now time.Time, w io.Writer) (err error) {
	rows, err := c.QueryxContext(ctx,
		"SELECT q.id, q.question_text, c.id, c.choice_text, c.votes FROM polls_choice c "+
			"JOIN polls_question q ON q.id = c.question_id WHERE q.pub_date <= $1 ORDER BY q.id, c.id", now)
	if err != nil {
		return fmt.Errorf("polls: export: %w", err)
	}
	defer func() {
		if cerr := rows.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("polls: export: %w", cerr)
		}
	}()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"question_id", "question", "choice_id", "choice", "votes"}); err != nil {
		return err
	}
	cw.Flush() // the headers and the first line go out at once
	var (
		qid, cid, votes int64
		qtext, ctext    string
	)
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(&qid, &qtext, &cid, &ctext, &votes); err != nil {
			return fmt.Errorf("polls: export: %w", err)
		}
		if err := cw.Write([]string{strconv.FormatInt(qid, 10), qtext, strconv.FormatInt(cid, 10), ctext, strconv.FormatInt(votes, 10)}); err != nil {
			return err
		}
		if n%exportFlushRows == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("polls: export: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// download sends the polls guide as an attachment, with byte ranges, from
// the page of a published question.
func (a *App) download(r *manouche.Request) (*manouche.Response, error) {
	if resp := allowed(r, http.MethodGet, http.MethodHead); resp != nil {
		return resp, nil
	}
	pk, _ := manouche.Kwarg[int](r, "pk")
	c, err := a.conn(r)
	if err != nil {
		return nil, err
	}
	if _, err := a.published(r.Context(), c, pk); err != nil {
		return nil, err
	}
	f, err := guideFiles.Open(guidePath)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("polls: the embedded %s is a %T, which cannot seek", guidePath, f)
	}
	// response.File closes f (an io.Closer) when the response is closed.
	return response.File(r, rs,
		response.Attachment("polls-guide.txt"),
		response.ContentType("text/plain; charset=utf-8"),
		response.Size(fi.Size()),
		response.ETag(a.guideETag),
	), nil
}
