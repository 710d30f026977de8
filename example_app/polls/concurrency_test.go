package polls_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// Concurrent votes for one choice are all counted: 16 browsers, each with
// its own session and CSRF cookie, vote 10 times each at once. The UPDATE
// adds in the database, so none is lost; SQLite serialises the writers
// (BEGIN IMMEDIATE and the busy timeout), PostgreSQL locks the row.
func TestConcurrentVotes(t *testing.T) {
	const browsers, votes = 16, 10
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newSite(t, b)
			var q apiQuestion
			s.client(true, nil).getJSON("/polls/api/questions/1/", &q)
			sky := choiceID(t, q, "The sky")
			tr := &http.Transport{MaxIdleConnsPerHost: browsers}
			defer tr.CloseIdleConnections()

			var wg sync.WaitGroup
			errs := make(chan error, browsers*votes)
			for i := range browsers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := s.client(false, tr)
					resp, page, err := c.tryGet("/polls/1/")
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("detail: %d", resp.StatusCode)
					}
					var tok string
					if err == nil {
						tok, err = token(page)
					}
					if err != nil {
						errs <- fmt.Errorf("browser %d: %w", i, err)
						return
					}
					form := url.Values{"csrfmiddlewaretoken": {tok}, "choice": {strconv.FormatInt(sky, 10)}}
					for j := range votes {
						resp, body, err := c.tryPost("/polls/1/vote/", form)
						if err == nil && (resp.StatusCode != 302 || resp.Header.Get("Location") != "/polls/1/results/") {
							err = fmt.Errorf("%d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
						}
						if err != nil {
							errs <- fmt.Errorf("browser %d, vote %d: %w", i, j, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if t.Failed() {
				t.FailNow()
			}
			if n := s.votes(sky); n != browsers*votes {
				t.Fatalf("%d votes counted, want %d", n, browsers*votes)
			}
			if n := s.count("SELECT sum(votes) FROM polls_choice"); n != browsers*votes {
				t.Fatalf("%d votes in all, want %d", n, browsers*votes)
			}
			// Each browser's session holds its ten messages, unread.
			if n := s.count("SELECT count(*) FROM manouche_session"); n != browsers {
				t.Fatalf("%d sessions, want %d", n, browsers)
			}
			s.client(true, nil).getJSON("/polls/api/questions/1/", &q)
			if got := q.Choices[1]; got.ID != sky || got.Votes != browsers*votes {
				t.Fatalf("API: %+v", got)
			}
			s.finished()
		})
	}
}
