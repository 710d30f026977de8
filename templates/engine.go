package templates

import (
	"errors"
	"fmt"
	"go/token"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/urls"
)

// Config is what an Engine is built from: Django's TEMPLATES entry for the
// one backend, html/template.
type Config struct {
	// Dirs are directories searched first, in order (Django's DIRS).
	// Relative paths are made absolute when the engine is built; each must
	// exist.
	Dirs []string
	// FS are file systems searched after Dirs, in order: the Go form of
	// APP_DIRS, typically each application's embed.FS of templates (use
	// fs.Sub to drop a leading "templates/" directory). An FS that
	// implements fmt.Stringer is named by its String in messages.
	FS []fs.FS
	// Debug re-reads a template when one of its files changed (another
	// modification time or size, or a file now found in an earlier
	// loader), so edits show without a restart. Normally the handler's
	// Settings.Debug. Without it a template is read and parsed once.
	Debug bool
	// StaticURL is the prefix the static function puts before a file name
	// (STATIC_URL); it ends with "/". Empty: the request's
	// Settings.StaticURL.
	StaticURL string
	// Static, when set, answers the static function instead of StaticURL:
	// it returns the URL of the static file name (the static-files
	// middleware provides one that knows the hashed names of its manifest).
	Static func(name string) (string, error)
	// URLConf is used by the url function to reverse names when a
	// template is rendered without a request; with one, the request's
	// URLconf is used.
	URLConf *urls.Conf
	// ContextProcessors add values to the context of every template
	// rendered for a request, in order (Django's OPTIONS
	// context_processors). The view's own data wins over them.
	ContextProcessors []ContextProcessor
	// Funcs are more template functions (Django's builtins). They may not
	// be named url, static or kwargs.
	Funcs template.FuncMap
	// RequestFuncs are template functions of no argument that answer for
	// the request being rendered: {{csrf_input}} calls f(r) when, and only
	// when, the template prints it (Django's {% csrf_token %} tag is one:
	// middleware.CSRFInput). A result of type template.HTML is printed
	// unescaped. Rendering without a request makes the call an error. The
	// names may not clash with Funcs or the built-in functions.
	RequestFuncs map[string]func(r *manouche.Request) (any, error)
}

// Engine finds, parses, caches and renders templates (Django's template
// Engine with its loaders). It is built once, with NewEngine, and is safe
// for concurrent use.
//
// A template is parsed once, with the templates it extends and includes,
// and kept for the engine's life (with Config.Debug, until one of its files
// changes). Only templates that exist are kept: looking up a missing name
// costs a look in each loader every time and no memory.
type Engine struct {
	loaders   []loader
	debug     bool
	staticURL string
	static    func(string) (string, error)
	urlconf   *urls.Conf
	procs     []ContextProcessor
	funcs     template.FuncMap
	reqFuncs  map[string]func(*manouche.Request) (any, error)
	poolSize  int

	mu    sync.RWMutex
	cache map[string]*entry
}

// NewEngine checks cfg and builds an engine. Configuration errors are
// returned here: a directory that does not exist, a nil file system or
// context processor, a STATIC_URL without its trailing slash, a function
// html/template refuses or one named like a built-in, no loader at all.
// Nothing is parsed yet.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{
		debug:     cfg.Debug,
		staticURL: cfg.StaticURL,
		static:    cfg.Static,
		urlconf:   cfg.URLConf,
		procs:     slices.Clone(cfg.ContextProcessors),
		funcs:     template.FuncMap{},
		// Enough leased sets for every goroutine that can render at once,
		// and a few preempted in the middle of one.
		poolSize: 2 * runtime.GOMAXPROCS(0),
		cache:    map[string]*entry{},
	}
	for i, d := range cfg.Dirs {
		if d == "" {
			return nil, manouche.Improperlyf("templates: Config.Dirs[%d] is empty", i)
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("templates: Config.Dirs[%d]: %w", i, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("templates: Config.Dirs[%d]: %w", i, err)
		}
		if !fi.IsDir() {
			return nil, manouche.Improperlyf("templates: Config.Dirs[%d]: %s is not a directory", i, abs)
		}
		e.loaders = append(e.loaders, loader{fsys: os.DirFS(abs), dir: abs, label: abs})
	}
	for i, f := range cfg.FS {
		if f == nil {
			return nil, manouche.Improperlyf("templates: Config.FS[%d] is nil", i)
		}
		label := fmt.Sprintf("FS[%d] (%T)", i, f)
		if s, ok := f.(fmt.Stringer); ok {
			label = s.String()
		}
		e.loaders = append(e.loaders, loader{fsys: f, label: label})
	}
	if len(e.loaders) == 0 {
		return nil, manouche.Improperlyf("templates: Config has no Dirs and no FS: there is nowhere to find templates")
	}
	if cfg.StaticURL != "" && !strings.HasSuffix(cfg.StaticURL, "/") {
		return nil, manouche.Improperlyf("templates: Config.StaticURL %q must end in a slash", cfg.StaticURL)
	}
	for i, p := range cfg.ContextProcessors {
		if p == nil {
			return nil, manouche.Improperlyf("templates: Config.ContextProcessors[%d] is nil", i)
		}
	}
	for name, f := range cfg.Funcs {
		if slices.Contains(builtinFuncs, name) {
			return nil, manouche.Improperlyf("templates: Config.Funcs: %q is a built-in function", name)
		}
		e.funcs[name] = f
	}
	if err := checkFuncs(e.funcs); err != nil {
		return nil, err
	}
	for name, f := range cfg.RequestFuncs {
		switch {
		case slices.Contains(builtinFuncs, name):
			return nil, manouche.Improperlyf("templates: Config.RequestFuncs: %q is a built-in function", name)
		case e.funcs[name] != nil:
			return nil, manouche.Improperlyf("templates: Config.RequestFuncs: %q is also in Config.Funcs", name)
		case f == nil:
			return nil, manouche.Improperlyf("templates: Config.RequestFuncs: %q is nil", name)
		case !token.IsIdentifier(name):
			return nil, manouche.Improperlyf("templates: Config.RequestFuncs: %q is not a valid function name", name)
		}
	}
	e.reqFuncs = maps.Clone(cfg.RequestFuncs)
	return e, nil
}

// checkFuncs returns html/template's objection to a function (it panics on
// a value that is not a function, or returns the wrong results) as an
// error.
func checkFuncs(m template.FuncMap) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = manouche.Improperlyf("templates: Config.Funcs: %v", p)
		}
	}()
	template.New("").Funcs(m)
	return nil
}

// Render renders the template name with data into w (Django's
// render_to_string). With a request, the context processors add their
// values first and the url function reverses with the request's URLconf;
// r may be nil. Nothing is written when rendering fails.
func (e *Engine) Render(w io.Writer, r *manouche.Request, name string, data map[string]any) error {
	b, err := e.render(r, []string{name}, data)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// render renders the first of names that exists, for r (nil: no request,
// no processors), with data.
func (e *Engine) render(r *manouche.Request, names []string, data map[string]any) ([]byte, error) {
	en, err := e.selectTemplate(names)
	if err != nil {
		return nil, err
	}
	ctx, err := e.context(r, data)
	if err != nil {
		return nil, err
	}
	return en.execute(e, r, ctx)
}

// selectTemplate returns the first of names that exists (Django's
// select_template; get_template for one name). When none does, the error
// is a *DoesNotExistError listing every place searched for every name.
// Any other failure (a syntax error, a missing layout) is returned as it
// is, without trying the next name.
func (e *Engine) selectTemplate(names []string) (*entry, error) {
	if len(names) == 0 {
		return nil, errors.New("templates: no template name given")
	}
	var tried []Tried
	for _, name := range names {
		en, t, err := e.get(name)
		if err != nil {
			return nil, err
		}
		if en != nil {
			return en, nil
		}
		tried = append(tried, t...)
	}
	return nil, &DoesNotExistError{Names: slices.Clone(names), Tried: tried}
}

// get returns the cached entry for name, loading it if needed (with Debug,
// also when one of its files changed). A nil entry with the places
// searched means name does not exist; it is not cached.
func (e *Engine) get(name string) (*entry, []Tried, error) {
	e.mu.RLock()
	en := e.cache[name]
	e.mu.RUnlock()
	if en != nil && (!e.debug || en.fresh(e)) {
		return en, nil, nil
	}
	en, tried, err := e.entryOf(name)
	e.mu.Lock()
	if en != nil {
		e.cache[name] = en
	} else {
		delete(e.cache, name) // deleted or broken since it was cached
	}
	e.mu.Unlock()
	return en, tried, err
}

// context returns the template context: the processors' values, then
// data's, which win (Django's RequestContext). Without a request or
// processors it is data itself.
func (e *Engine) context(r *manouche.Request, data map[string]any) (map[string]any, error) {
	if r == nil || len(e.procs) == 0 {
		return data, nil
	}
	// Sized for one value a processor, the usual case: a context of up
	// to eight values then stays in Go's small-map form, half the bytes
	// and allocations of the table a larger hint makes.
	ctx := make(map[string]any, len(data)+len(e.procs))
	for _, p := range e.procs {
		if err := p(r, ctx); err != nil {
			return nil, fmt.Errorf("templates: context processor %s: %w", manouche.FuncName(p), err)
		}
	}
	for k, v := range data {
		ctx[k] = v
	}
	return ctx, nil
}
