package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
	"github.com/manouche/manouche/example_app/polls"
	"github.com/manouche/manouche/example_app/tfb"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/sessiondb"
	"github.com/manouche/manouche/signals"
	"github.com/manouche/manouche/templates"
	"github.com/manouche/manouche/urls"
)

// alias is the one database the example app uses.
const alias = db.DefaultAlias

// app is the example application: its database, templates, URLconf,
// handler and counters. Nothing is global; two apps run side by side in
// the tests.
type app struct {
	cfg       config
	log       *slog.Logger
	db        *db.Manager
	engine    *templates.Engine
	conf      *urls.Conf
	handler   *handler.Handler
	serve     http.Handler // what the server serves: handler, wrapped when bare
	metrics   *metrics     // nil when METRICS is off
	sessions  *sessiondb.Store
	uninstall func()
}

// staticSources are the apps' static directories, collected into
// STATIC_ROOT.
func staticSources() []fs.FS { return []fs.FS{polls.Static()} }

// openDB opens the connection manager (nothing connects yet).
func openDB(cfg config, log *slog.Logger) (*db.Manager, error) {
	return db.NewManager(db.Databases{alias: cfg.Database}, db.WithLogger(log), db.WithQueryLog(cfg.Settings.Debug))
}

// newApp builds the application on its own database manager. It does not
// migrate: run migrate first (runserver does).
func newApp(cfg config, log *slog.Logger) (*app, error) {
	m, err := openDB(cfg, log)
	if err != nil {
		return nil, err
	}
	a, err := build(cfg, log, m)
	if err != nil {
		m.Close()
		return nil, err
	}
	return a, nil
}

func build(cfg config, log *slog.Logger, m *db.Manager) (*app, error) {
	a := &app{cfg: cfg, log: log, db: m, sessions: sessiondb.New(m, alias)}

	// Hashed static names when collectstatic has run; plain ones, served
	// from the apps' own files, when it has not.
	staticCfg := middleware.StaticConfig{Settings: cfg.Settings}
	storage, err := middleware.LoadStaticStorage(cfg.Settings)
	if err != nil {
		return nil, fmt.Errorf("static files in %s: %w", cfg.Settings.StaticRoot, err)
	}
	if storage.Manifest() == nil {
		staticCfg.FS = polls.Static()
	}

	eng, err := templates.NewEngine(templates.Config{
		FS:     []fs.FS{polls.Templates(), tfb.Templates()},
		Debug:  cfg.Settings.Debug,
		Static: storage.URL,
		ContextProcessors: []templates.ContextProcessor{
			templates.RequestProcessor, templates.DebugProcessor, templates.StaticProcessor,
			middleware.MessagesProcessor,
		},
		RequestFuncs: map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
	})
	if err != nil {
		return nil, err
	}
	a.engine = eng

	sig := signals.NewLifecycle(log)
	if cfg.Metrics {
		// Counting costs a few atomic adds per request, contended across
		// cores: an app that does not serve the counters does not count.
		a.metrics = newMetrics(sig, m, []string{alias})
	}

	patterns := []urls.Pattern{
		urls.Path("", a.home, urls.Name("home")),
		urls.Include("polls/", polls.New(m, alias, eng).URLs(), urls.AppName("polls"), urls.Namespace("polls")),
		urls.Path("live/<int:n>/", a.live, urls.Name("live")),
	}
	patterns = append(patterns, tfb.New(m, alias, eng).URLs()...)
	if cfg.Metrics {
		patterns = append(patterns, urls.Path("debug/vars", a.metrics.view, urls.Name("debug-vars")))
	}
	if a.conf, err = urls.New(patterns, eng.ErrorHandlers()...); err != nil {
		return nil, err
	}

	var mw []middleware.Factory
	if !cfg.Bare {
		mw = middleware.Default(a.sessions)
		mw = slices.Insert(mw, 1, middleware.Static(staticCfg)) // WhiteNoise's place: right after Security
		if a.metrics != nil {
			mw = append([]middleware.Factory{a.metrics.layer}, mw...)
		}
	}
	if a.handler, err = handler.New(handler.Config{
		Settings: cfg.Settings, URLConf: a.conf, Middleware: mw, Logger: log, Signals: sig,
	}); err != nil {
		return nil, err
	}
	// TFB's Server header is no part of the app's stack: net/http code
	// around the handler sets it, as the baseline's handlers do, with or
	// without middleware (a response's own Server header still wins).
	a.serve = tfb.ServerHeaderHandler(a.handler)
	a.uninstall = m.Install(sig)
	return a, nil
}

// Close disconnects the app from its signals and closes every database
// connection it holds.
func (a *app) Close() error {
	if a.uninstall != nil {
		a.uninstall()
		a.uninstall = nil
	}
	return a.db.Close()
}

// home sends the visitor to the polls.
func (a *app) home(r *manouche.Request) (*manouche.Response, error) {
	to, err := urls.Reverse(r, "polls:index")
	if err != nil {
		return nil, err
	}
	return response.Redirect(to)
}

// live streams the vote total n times, once every 100 ms, querying as it
// goes: a stream that holds its request's database connection until its
// last line (the graceful-shutdown test uses it as the slow stream).
func (a *app) live(r *manouche.Request) (*manouche.Response, error) {
	n, _ := manouche.Kwarg[int](r, "n")
	if n < 1 || n > 600 {
		return nil, &manouche.Http404{Message: "n must be 1 to 600"}
	}
	conn, err := a.db.Conn(r.Context(), alias)
	if err != nil {
		return nil, err
	}
	resp := response.Stream(func(ctx context.Context, w io.Writer) error {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 1; i <= n; i++ {
			var votes int64
			if err := conn.GetContext(ctx, &votes, "SELECT COALESCE(SUM(votes), 0) FROM polls_choice"); err != nil {
				return err
			}
			if _, err := io.WriteString(w, strconv.Itoa(i)+" votes="+strconv.FormatInt(votes, 10)+"\n"); err != nil {
				return err
			}
			if i < n {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
				}
			}
		}
		return nil
	})
	resp.SetHeader("Content-Type", "text/plain; charset=utf-8")
	return resp, nil
}
