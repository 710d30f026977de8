package main

import (
	"context"
	"expvar"
	"io"
	"runtime"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/signals"
)

// metrics are the example app's counters, served as JSON at /debug/vars
// in expvar's format. They live in the app's own expvar.Map, not in
// expvar's process-wide registry: two apps in one process (the tests) do
// not share them.
type metrics struct {
	vars                       expvar.Map
	started, finished, excepts expvar.Int
	status                     expvar.Map // "1xx" … "5xx", published
	streams                    expvar.Int // streaming responses whose producer returned
	// byClass are status's counters, by the code's first digit (1 to 5):
	// the layer adds to them directly, as Map.Add would find them by
	// name in a sync.Map on every response.
	byClass [6]*expvar.Int
}

// newMetrics connects the lifecycle counters to sig and publishes the
// database counters of m's aliases.
func newMetrics(sig *signals.Lifecycle, m *db.Manager, aliases []string) *metrics {
	mt := &metrics{}
	mt.vars.Init()
	mt.status.Init()
	for c := 1; c <= 5; c++ {
		mt.byClass[c] = new(expvar.Int)
		mt.status.Set(statusClass[c], mt.byClass[c])
	}
	mt.vars.Set("requests_started", &mt.started)
	mt.vars.Set("requests_finished", &mt.finished)
	mt.vars.Set("got_request_exception", &mt.excepts)
	mt.vars.Set("responses", &mt.status)
	mt.vars.Set("streams_finished", &mt.streams)
	dbs := new(expvar.Map).Init()
	for _, alias := range aliases {
		dbs.Set(alias, expvar.Func(func() any {
			s := m.Stats(alias)
			return map[string]int64{
				"connections_opened": s.Opened, "connections_reused": s.Reused,
				"connections_closed": s.Closed, "connections_kept": int64(s.Kept),
				"connections_in_use": int64(s.InUse), "on_commit_hooks_run": s.HooksRun,
			}
		}))
	}
	mt.vars.Set("databases", dbs)
	// The process: what a soak watches for growth.
	mt.vars.Set("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	mt.vars.Set("heap_alloc", expvar.Func(func() any { return readMem().HeapAlloc }))
	mt.vars.Set("heap_inuse", expvar.Func(func() any { return readMem().HeapInuse }))
	sig.RequestStarted.Connect(func(context.Context, any, signals.RequestStarted) error {
		mt.started.Add(1)
		return nil
	})
	sig.RequestFinished.Connect(func(context.Context, any, signals.RequestFinished) error {
		mt.finished.Add(1)
		return nil
	})
	sig.GotRequestException.Connect(func(context.Context, any, signals.GotRequestException) error {
		mt.excepts.Add(1)
		return nil
	})
	return mt
}

// statusClass names the class of code: "2xx" and so on.
var statusClass = [...]string{"", "1xx", "2xx", "3xx", "4xx", "5xx"}

// layer is the outermost middleware: it counts each final response by
// status class and each stream when its producer returns.
func (mt *metrics) layer(next middleware.Handler) (middleware.Middleware, error) {
	return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) {
		resp := next(r)
		if c := resp.StatusCode / 100; c >= 1 && c <= 5 {
			mt.byClass[c].Add(1)
		}
		if f := resp.Stream(); f != nil {
			resp.SetStream(func(ctx context.Context, w io.Writer) error {
				defer mt.streams.Add(1)
				return f(ctx, w)
			})
		}
		return resp, nil
	}), nil
}

// view serves the counters as one JSON object.
func (mt *metrics) view(r *manouche.Request) (*manouche.Response, error) {
	resp := manouche.NewResponse(200, []byte(mt.vars.String()), "application/json")
	resp.SetHeader("Cache-Control", "no-store")
	return resp, nil
}

// count returns the named counter's value, for tests and the shutdown
// report.
func (mt *metrics) count(name string) int64 {
	if v, ok := mt.vars.Get(name).(*expvar.Int); ok {
		return v.Value()
	}
	return 0
}

// readMem reads the runtime's memory statistics (a short stop of the
// world: only when /debug/vars is read).
func readMem() *runtime.MemStats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &ms
}
