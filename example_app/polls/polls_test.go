package polls_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/manouche/manouche/example_app/polls"
)

// The seeded questions, newest first.
var seeded = []string{
	"What's up?",
	"Which Go release do you run?",
	"Tabs or spaces?",
	"Where should a request's database connection live?",
}

// The tutorial's round trip through the default stack with a browser's
// cookie jar, on each database, with and without ATOMIC_REQUESTS: the
// index, the form with its CSRF token, votes refused for want of a
// choice, a vote and its redirect to the results with the flash message
// shown once, a forged token, the JSON API, the CSV export, the download
// with byte ranges, the static files and the error pages.
func TestPolls(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newSite(t, b)
			future := s.addQuestion("A question from the future?", time.Now().Add(30*24*time.Hour), "Yes", "No")
			c := s.client(true, nil)

			// The API lists the published questions, newest first.
			var list []apiQuestion
			c.getJSON("/polls/api/questions/", &list)
			var texts []string
			for _, q := range list {
				texts = append(texts, q.QuestionText)
				if q.URL != fmt.Sprintf("/polls/%d/", q.ID) {
					t.Errorf("question %d: url %q", q.ID, q.URL)
				}
				pub, err := time.Parse(time.RFC3339, q.PubDate)
				if err != nil || pub.After(time.Now()) || pub.Before(time.Now().Add(-8*24*time.Hour)) || !strings.HasSuffix(q.PubDate, "Z") {
					t.Errorf("question %d: pub_date %q (%v)", q.ID, q.PubDate, err)
				}
				if q.Choices != nil {
					t.Errorf("question %d: the list has choices: %+v", q.ID, q.Choices)
				}
			}
			if !slices.Equal(texts, seeded) {
				t.Fatalf("API questions: %q, want %q", texts, seeded)
			}
			var q apiQuestion
			c.getJSON(fmt.Sprintf("/polls/api/questions/%d/", list[0].ID), &q)
			if q.QuestionText != "What's up?" || len(q.Choices) != 3 || q.URL != list[0].URL || q.PubDate != list[0].PubDate {
				t.Fatalf("API question: %+v", q)
			}
			for i, want := range []string{"Not much", "The sky", "Just hacking again"} {
				if ch := q.Choices[i]; ch.ChoiceText != want || ch.Votes != 0 {
					t.Fatalf("choice %d: %+v, want %q with no votes", i, ch, want)
				}
			}
			detailURL := q.URL
			voteURL := detailURL + "vote/"
			resultsURL := detailURL + "results/"
			notMuch, theSky := choiceID(t, q, "Not much"), choiceID(t, q, "The sky")

			// The index: the published questions, newest first, linked
			// by their reversed URLs; only the one of the last day is new.
			resp, page := c.get("/polls/")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("index: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			last := -1
			for _, want := range list {
				link := fmt.Sprintf(`<a href="/polls/%d/">%s</a>`, want.ID, html.EscapeString(want.QuestionText))
				i := strings.Index(page, link)
				if i < 0 || i < last {
					t.Fatalf("index: %s missing or out of order:\n%s", link, page)
				}
				last = i
			}
			if strings.Contains(page, "future") || strings.Count(page, `<span class="new">new</span>`) != 1 {
				t.Fatalf("index: the future question is listed, or not one question is new:\n%s", page)
			}
			for _, want := range []string{
				"<!DOCTYPE html>",
				`<link rel="stylesheet" href="/static/polls/style.css">`,
				`<script src="/static/polls/app.js" defer></script>`,
				`<a href="/polls/api/questions/">`, `<a href="/polls/export.csv">`,
			} {
				if !strings.Contains(page, want) {
					t.Fatalf("index lacks %s:\n%s", want, page)
				}
			}

			// The form: posted to the vote URL with a CSRF token, one
			// radio button per choice.
			resp, page = c.get(detailURL)
			tok, err := token(page)
			if resp.StatusCode != 200 || err != nil || c.cookie("csrftoken") == "" {
				t.Fatalf("detail: %d, cookie %q, %v", resp.StatusCode, c.cookie("csrftoken"), err)
			}
			if !strings.Contains(page, fmt.Sprintf(`<form class="vote" method="post" action="%s">`, voteURL)) ||
				!strings.Contains(page, "<h1>What&#39;s up?</h1>") || strings.Contains(page, `class="error"`) {
				t.Fatalf("detail page:\n%s", page)
			}
			for _, ch := range q.Choices {
				input := fmt.Sprintf(`<input type="radio" name="choice" id="choice%d" value="%d"><label for="choice%d">%s</label>`, ch.ID, ch.ID, ch.ID, ch.ChoiceText)
				if !strings.Contains(page, input) {
					t.Fatalf("detail lacks %s:\n%s", input, page)
				}
			}

			// Votes without a choice of this question show the form again,
			// with Django's message and status 200, and count nothing.
			other := list[1]
			var otherQ apiQuestion
			c.getJSON(fmt.Sprintf("/polls/api/questions/%d/", other.ID), &otherQ)
			for _, tc := range []struct {
				name string
				form url.Values
			}{
				{"no choice", url.Values{}},
				{"empty", url.Values{"choice": {""}}},
				{"not a number", url.Values{"choice": {"sky"}}},
				{"negative", url.Values{"choice": {"-1"}}},
				{"unknown", url.Values{"choice": {"987654"}}},
				{"a choice of another question", url.Values{"choice": {strconv.FormatInt(otherQ.Choices[0].ID, 10)}}},
			} {
				tc.form.Set("csrfmiddlewaretoken", tok)
				resp, page := c.post(voteURL, tc.form)
				if resp.StatusCode != 200 || resp.Request.URL.Path != voteURL ||
					!strings.Contains(page, `<p class="error"><strong>You didn&#39;t select a choice.</strong></p>`) ||
					!strings.Contains(page, fmt.Sprintf(`value="%d"`, notMuch)) {
					t.Fatalf("%s: %d at %s:\n%s", tc.name, resp.StatusCode, resp.Request.URL.Path, page)
				}
			}
			if n := s.count("SELECT sum(votes) FROM polls_choice"); n != 0 {
				t.Fatalf("%d votes counted after refused votes", n)
			}

			// A vote: 302 to the results, which show it and the message,
			// once.
			resp, page = c.post(voteURL, url.Values{"csrfmiddlewaretoken": {tok}, "choice": {strconv.FormatInt(notMuch, 10)}})
			if resp.StatusCode != 200 || resp.Request.URL.Path != resultsURL {
				t.Fatalf("vote: %d at %s:\n%s", resp.StatusCode, resp.Request.URL.Path, page)
			}
			for _, want := range []string{
				`<li class="success">You voted for Not much.</li>`,
				"<li>Not much -- 1 vote</li>", "<li>The sky -- 0 votes</li>", "<li>Just hacking again -- 0 votes</li>",
				fmt.Sprintf(`<a href="%s">Vote again?</a>`, detailURL),
			} {
				if !strings.Contains(page, want) {
					t.Fatalf("results after the vote lack %s:\n%s", want, page)
				}
			}
			if _, page = c.get(resultsURL); strings.Contains(page, "You voted") || !strings.Contains(page, "<li>Not much -- 1 vote</li>") {
				t.Fatalf("results again: the message must be gone, the vote kept:\n%s", page)
			}
			if s.votes(notMuch) != 1 || s.votes(theSky) != 0 {
				t.Fatalf("votes in the database: %d, %d", s.votes(notMuch), s.votes(theSky))
			}
			c.getJSON(fmt.Sprintf("/polls/api/questions/%d/", q.ID), &q)
			if q.Choices[0].Votes != 1 || q.Choices[1].Votes != 0 {
				t.Fatalf("API after the vote: %+v", q.Choices)
			}

			// A forged token, and no token: 403, nothing counted.
			for _, forged := range []string{strings.Repeat("a", 64), ""} {
				resp, _ = c.post(voteURL, url.Values{"csrfmiddlewaretoken": {forged}, "choice": {strconv.FormatInt(theSky, 10)}})
				if resp.StatusCode != 403 {
					t.Fatalf("token %q: %d, want 403", forged, resp.StatusCode)
				}
			}
			if s.votes(theSky) != 0 {
				t.Fatal("a forged vote was counted")
			}

			// Methods: GET of the vote is 405; a POST to the form page too.
			resp, _ = c.get(voteURL)
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
				t.Fatalf("GET %s: %d, Allow %q", voteURL, resp.StatusCode, resp.Header.Get("Allow"))
			}
			resp, _ = c.post(detailURL, url.Values{"csrfmiddlewaretoken": {tok}})
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
				t.Fatalf("POST %s: %d, Allow %q", detailURL, resp.StatusCode, resp.Header.Get("Allow"))
			}

			// 404: the application's page, extending the layout, for a
			// missing or future question on every route, and for a path
			// no pattern matches.
			reason := "<p class=\"reason\">No Question matches the given query.</p>"
			for _, tc := range []struct {
				method, path, reason string
			}{
				{"GET", "/polls/987654/", reason},
				{"GET", "/polls/987654/results/", reason},
				{"GET", fmt.Sprintf("/polls/%d/", future), reason},
				{"GET", fmt.Sprintf("/polls/%d/results/", future), reason},
				{"POST", fmt.Sprintf("/polls/%d/vote/", future), reason},
				{"GET", fmt.Sprintf("/polls/%d/download/", future), reason},
				{"GET", fmt.Sprintf("/polls/api/questions/%d/", future), reason},
				{"GET", "/polls/no/such/page/", ""},
			} {
				var resp *http.Response
				var page string
				if tc.method == "POST" {
					resp, page = c.post(tc.path, url.Values{"csrfmiddlewaretoken": {tok}, "choice": {"1"}})
				} else {
					resp, page = c.get(tc.path)
				}
				if resp.StatusCode != 404 || !strings.Contains(page, "<h1>Not Found</h1>") ||
					!strings.Contains(page, "<code>"+tc.path+"</code>") ||
					!strings.Contains(page, `<link rel="stylesheet" href="/static/polls/style.css">`) ||
					(tc.reason != "") != strings.Contains(page, `class="reason"`) || !strings.Contains(page, tc.reason) {
					t.Fatalf("%s %s: %d:\n%s", tc.method, tc.path, resp.StatusCode, page)
				}
			}
			if n := s.count("SELECT sum(votes) FROM polls_choice WHERE question_id = $1", future); n != 0 {
				t.Fatal("a vote for an unpublished question was counted")
			}

			testExport(t, s, c, future)
			testDownload(t, c, detailURL+"download/")
			testStatic(t, c)
			s.finished()
		})
	}
}

// testExport checks the CSV export: streamed, every choice of the
// published questions with its votes, in order, also past a flush of
// the CSV writer.
func testExport(t *testing.T, s *site, c *client, future int64) {
	t.Helper()
	var many []string
	for i := range 120 {
		many = append(many, fmt.Sprintf("Number %d, \"quoted\"", i))
	}
	numbers := s.addQuestion("Pick a number", time.Now().Add(-time.Hour), many...)

	resp, body := c.get("/polls/export.csv")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="votes.csv"` {
		t.Fatalf("export: %d, %v", resp.StatusCode, resp.Header)
	}
	if resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Fatalf("export: not streamed: Content-Length %d, Transfer-Encoding %v", resp.ContentLength, resp.TransferEncoding)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("export: %v:\n%s", err, body)
	}
	if want := []string{"question_id", "question", "choice_id", "choice", "votes"}; !slices.Equal(records[0], want) {
		t.Fatalf("export header %q", records[0])
	}
	rows := records[1:]
	if len(rows) != 4*3+120 {
		t.Fatalf("export: %d rows, want %d:\n%s", len(rows), 4*3+120, body)
	}
	var prevQ, prevC int64
	total := 0
	for i, r := range rows {
		qid, _ := strconv.ParseInt(r[0], 10, 64)
		cid, _ := strconv.ParseInt(r[2], 10, 64)
		votes, err := strconv.Atoi(r[4])
		if err != nil || qid < prevQ || (qid == prevQ && cid <= prevC) || qid == future {
			t.Fatalf("export row %d: %q (after %d/%d)", i, r, prevQ, prevC)
		}
		prevQ, prevC = qid, cid
		total += votes
		if r[1] == "What's up?" && r[3] == "Not much" && votes != 1 {
			t.Fatalf("export row %q: want 1 vote", r)
		}
	}
	if total != 1 {
		t.Fatalf("export: %d votes in all, want 1", total)
	}
	if last := rows[len(rows)-1]; last[0] != strconv.FormatInt(numbers, 10) || last[3] != `Number 119, "quoted"` {
		t.Fatalf("export: last row %q", last)
	}
}

// testDownload checks the guide's download: an attachment with byte
// ranges.
func testDownload(t *testing.T, c *client, path string) {
	t.Helper()
	guide, err := os.ReadFile("files/guide.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := len(guide)
	full, _ := c.get(path)
	etag := full.Header.Get("Etag")
	if etag == "" {
		t.Fatal("the download has no ETag")
	}
	for _, tc := range []struct {
		name          string
		header        []string
		status        int
		contentRange  string
		body          []byte
		contentLength int64
	}{
		{"whole", nil, 200, "", guide, int64(n)},
		{"range", []string{"Range", "bytes=100-299"}, 206, fmt.Sprintf("bytes 100-299/%d", n), guide[100:300], 200},
		{"suffix", []string{"Range", "bytes=-50"}, 206, fmt.Sprintf("bytes %d-%d/%d", n-50, n-1, n), guide[n-50:], 50},
		{"open end", []string{"Range", fmt.Sprintf("bytes=%d-", n-10)}, 206, fmt.Sprintf("bytes %d-%d/%d", n-10, n-1, n), guide[n-10:], 10},
		{"unsatisfiable", []string{"Range", fmt.Sprintf("bytes=%d-", n)}, 416, fmt.Sprintf("bytes */%d", n), nil, 0},
		{"if-range matches", []string{"Range", "bytes=0-9", "If-Range", etag}, 206, fmt.Sprintf("bytes 0-9/%d", n), guide[:10], 10},
		{"if-range stale", []string{"Range", "bytes=0-9", "If-Range", `"stale"`}, 200, "", guide, int64(n)},
	} {
		resp, body := c.get(path, tc.header...)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Range") != tc.contentRange ||
			!bytes.Equal([]byte(body), tc.body) || resp.ContentLength != tc.contentLength {
			t.Fatalf("download, %s: %d, Content-Range %q, Content-Length %d, %d bytes", tc.name, resp.StatusCode,
				resp.Header.Get("Content-Range"), resp.ContentLength, len(body))
		}
		if tc.status == 416 {
			continue
		}
		if resp.Header.Get("Content-Disposition") != `attachment; filename="polls-guide.txt"` ||
			resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Fatalf("download, %s: headers %v", tc.name, resp.Header)
		}
	}
}

// testStatic checks that the static files are served.
func testStatic(t *testing.T, c *client) {
	t.Helper()
	for _, tc := range []struct{ name, contentType string }{
		{"polls/style.css", "text/css; charset=utf-8"},
		{"polls/app.js", "text/javascript; charset=utf-8"},
		{"polls/images/background.svg", "image/svg+xml"},
	} {
		want, err := fs.ReadFile(polls.Static(), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := c.get("/static/" + tc.name)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.contentType || body != string(want) {
			t.Fatalf("static %s: %d %q, %d bytes", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	if _, css := c.get("/static/polls/style.css"); !strings.Contains(css, `url("images/background.svg")`) {
		t.Fatal("the style sheet does not use the background image")
	}
}
