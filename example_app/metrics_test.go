package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/signals"
)

// The counters: lifecycle signals, responses by status class, streams
// counted when their producer returns (not for a HEAD, which never runs
// it), and the database counters read live from the manager.
func TestMetrics(t *testing.T) {
	sig := signals.NewLifecycle(slog.New(slog.DiscardHandler))
	m, err := db.NewManager(db.Databases{alias: {Engine: db.SQLite, DSN: "file:metrics_test?mode=memory&cache=shared"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	mt := newMetrics(sig, m, []string{alias})
	ctx := context.Background()
	hr := httptest.NewRequest("GET", "/", nil)
	_ = sig.RequestStarted.Send(ctx, nil, signals.RequestStarted{Request: hr})
	_ = sig.RequestFinished.Send(ctx, nil, signals.RequestFinished{Request: hr})
	_ = sig.GotRequestException.Send(ctx, nil, signals.GotRequestException{Request: hr, Err: errors.New("boom")})

	responses := []*manouche.Response{
		response.Text("ok"), response.NotFound("no"), response.ServerError("oops"),
		response.Stream(func(ctx context.Context, w io.Writer) error { _, err := io.WriteString(w, "s"); return err }),
	}
	var i int
	layer, err := mt.layer(func(*manouche.Request) *manouche.Response { i++; return responses[i-1] })
	if err != nil {
		t.Fatal(err)
	}
	r := manouche.NewRequest(httptest.NewRecorder(), hr, &manouche.Settings{}, nil, "", "/")
	var last *manouche.Response
	for range responses {
		if last, err = layer.Serve(r); err != nil {
			t.Fatal(err)
		}
	}
	if mt.count("streams_finished") != 0 {
		t.Fatal("a stream counted before its producer ran")
	}
	var buf bytes.Buffer
	if err := last.Stream()(ctx, &buf); err != nil || buf.String() != "s" {
		t.Fatalf("wrapped producer: %q, %v", buf.String(), err)
	}

	resp, err := mt.view(r)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := resp.Content()
	var got struct {
		Started, Finished, Exceptions, Streams int64
		Responses                              map[string]int64
		Databases                              map[string]map[string]int64
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	for name, dst := range map[string]any{
		"requests_started": &got.Started, "requests_finished": &got.Finished,
		"got_request_exception": &got.Exceptions, "streams_finished": &got.Streams,
		"responses": &got.Responses, "databases": &got.Databases,
	} {
		if err := json.Unmarshal(raw[name], dst); err != nil {
			t.Fatalf("%s: %v in %s", name, err, body)
		}
	}
	if got.Started != 1 || got.Finished != 1 || got.Exceptions != 1 || got.Streams != 1 {
		t.Errorf("counters %+v", got)
	}
	if got.Responses["2xx"] != 2 || got.Responses["4xx"] != 1 || got.Responses["5xx"] != 1 {
		t.Errorf("responses %v", got.Responses)
	}
	if _, ok := got.Databases[alias]["on_commit_hooks_run"]; !ok {
		t.Errorf("databases %v", got.Databases)
	}
	for _, name := range []string{"goroutines", "heap_alloc", "heap_inuse"} {
		var n int64
		if err := json.Unmarshal(raw[name], &n); err != nil || n <= 0 {
			t.Errorf("%s = %s (%v)", name, raw[name], err)
		}
	}
	if ct := resp.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}
