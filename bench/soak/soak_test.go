package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestSoak builds the example app and runs a short soak against it: 2,000
// requests of the whole mix, without an error, every request finished and
// the goroutines back once the load stops, and a clean stop. The RSS
// target is not checked: 2,000 requests are too few for the heap to reach
// its steady size.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example app")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	res, err := run(ctx, []string{"-n", "2000", "-every", "500", "-c", "4", "-max", "3m"}, &out, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("\n%s", out.String())
	if res.Requests != 2000 || res.Cut {
		t.Errorf("%d requests answered, want 2000 (cut: %v)", res.Requests, res.Cut)
	}
	if res.Errors != 0 {
		t.Errorf("%d errors: %v", res.Errors, res.FirstErrors)
	}
	for _, ep := range res.Endpoints {
		if ep.sent.Load() != 250 {
			t.Errorf("%s: %d requests, want 250", ep.path, ep.sent.Load())
		}
	}
	if len(res.Samples) != 4 {
		t.Errorf("%d samples, want 4 (every 500 requests)", len(res.Samples))
	}
	if !res.CountersEqual {
		t.Errorf("requests_started %d, requests_finished %d after the load", res.Settled.started-1, res.Settled.finished)
	}
	if res.Before.goroutines < 0 || res.Before.heapInuse < 0 {
		t.Errorf("/debug/vars publishes no goroutines or heap_inuse: %+v", res.Before)
	}
	if !res.GoroutinesBack {
		t.Errorf("goroutines: %d before, %d after", res.Before.goroutines, res.Settled.goroutines)
	}
	if res.ChildExit != nil || !strings.HasPrefix(res.ChildFinal, "stopped: requests started") {
		t.Errorf("the app's stop: %v, %q", res.ChildExit, res.ChildFinal)
	}
	if !strings.Contains(out.String(), "| requests_started == requests_finished after the load") {
		t.Errorf("no targets table:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-c", "0"}, {"-every", "0"}, {"-max", "0s"}, {"extra"}} {
		var log bytes.Buffer
		if _, err := parseFlags(args, &log); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil || o.n != 1_000_000 || o.max != 15*time.Minute || o.every != 100_000 || o.workers != 8 {
		t.Errorf("defaults %+v, %v", o, err)
	}
}

func TestChildEnv(t *testing.T) {
	env := childEnv([]string{"PATH=/bin", "DEBUG=1", "CONN_HEALTH_CHECKS=1"}, map[string]string{"DEBUG": "0", "CONN_HEALTH_CHECKS": ""})
	got := strings.Join(env, " ")
	if got != "PATH=/bin DEBUG=0" {
		t.Errorf("env %q", got)
	}
}
