package handler_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// mixin is a hook-style middleware with process_request and
// process_response (Django's MiddlewareMixin); nil funcs only trace.
type mixin struct {
	name string
	tr   *trace
	req  func(r *manouche.Request) (*manouche.Response, error)
	resp func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error)
}

func (m *mixin) ProcessRequest(r *manouche.Request) (*manouche.Response, error) {
	m.tr.Add(m.name + ">")
	if m.req != nil {
		return m.req(r)
	}
	return nil, nil
}

func (m *mixin) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	m.tr.Add("<" + m.name)
	if m.resp != nil {
		return m.resp(r, resp)
	}
	return resp, nil
}

// onlyResponse has process_response alone.
type onlyResponse struct{ seen *[]int }

func (o onlyResponse) ProcessResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	*o.seen = append(*o.seen, resp.StatusCode)
	return resp, nil
}

type viewHook struct {
	name string
	tr   *trace
	ret  func(r *manouche.Request, view manouche.View) (*manouche.Response, error)
}

func (v *viewHook) ProcessView(r *manouche.Request, view manouche.View, args []any, kwargs map[string]any) (*manouche.Response, error) {
	v.tr.Add(v.name + ".view")
	if v.ret != nil {
		return v.ret(r, view)
	}
	return nil, nil
}

type excHook struct {
	name string
	tr   *trace
	ret  func(r *manouche.Request, err error) (*manouche.Response, error)
}

func (e *excHook) ProcessException(r *manouche.Request, err error) (*manouche.Response, error) {
	e.tr.Add(e.name + ".exception")
	if e.ret != nil {
		return e.ret(r, err)
	}
	return nil, nil
}

type tmplHook struct {
	name string
	tr   *trace
	ret  func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error)
}

func (t *tmplHook) ProcessTemplateResponse(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	t.tr.Add(t.name + ".template")
	if t.ret != nil {
		return t.ret(r, resp)
	}
	return resp, nil
}

// textRenderer is a deferred body: a template whose text can be changed
// until it renders.
type textRenderer struct {
	text string
	err  error
}

func (t *textRenderer) Render(context.Context) ([]byte, error) { return []byte(t.text), t.err }

func deferred(text string) *manouche.Response {
	return manouche.NewDeferredResponse(200, &textRenderer{text: text}, "text/plain; charset=utf-8")
}

func TestOnionOrder(t *testing.T) {
	// SEMANTICS 15: request phase top-down, response phase bottom-up.
	tr := &trace{}
	view := func(r *manouche.Request) (*manouche.Response, error) {
		tr.Add("view")
		return response.Text("ok"), nil
	}
	h := build(t, handler.Config{Middleware: []middleware.Factory{layer("A", tr), layer("B", tr), layer("C", tr)}},
		urls.Path("", view))
	if rec := do(h, "GET", "/"); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
	if got, want := tr.String(), "A>,B>,C>,view,<C,<B,<A"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
}

func TestShortCircuit(t *testing.T) {
	// SEMANTICS 16: B answers in process_request; C and the view never run,
	// B's own process_response still does, then A's.
	tr := &trace{}
	b := &mixin{name: "B", tr: tr, req: func(*manouche.Request) (*manouche.Response, error) {
		return response.Forbidden("no"), nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{
		layer("A", tr), middleware.Hooks(b), layer("C", tr),
	}}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
		tr.Add("view")
		return response.Text("ok"), nil
	}))
	rec := do(h, "GET", "/")
	if rec.Code != 403 {
		t.Fatalf("status %d, want 403", rec.Code)
	}
	if got, want := tr.String(), "A>,B>,<B,<A"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
}

func TestExceptionConvertedAtEachLayer(t *testing.T) {
	// SEMANTICS 17: an error leaving a layer becomes a response there; the
	// outer layer's process_response sees the 404.
	tr := &trace{}
	var seen []int
	notFound := &mixin{name: "NF", tr: tr, req: func(*manouche.Request) (*manouche.Response, error) {
		return nil, &manouche.Http404{Message: "nope"}
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{
		middleware.Hooks(onlyResponse{&seen}), middleware.Hooks(notFound),
	}}, urls.Path("", text("ok")))
	if rec := do(h, "GET", "/"); rec.Code != 404 {
		t.Fatalf("status %d, want 404", rec.Code)
	}
	if len(seen) != 1 || seen[0] != 404 {
		t.Fatalf("outer process_response saw %v, want [404]", seen)
	}
}

func TestRaisingLayerSkipsOwnResponsePhase(t *testing.T) {
	// SEMANTICS 18: B raises in process_request: its process_response does
	// not run, A's does; 500.
	tr := &trace{}
	var c counters
	b := &mixin{name: "B", tr: tr, req: func(*manouche.Request) (*manouche.Response, error) {
		return nil, errors.New("boom")
	}}
	cfg := handler.Config{Middleware: []middleware.Factory{middleware.Hooks(&mixin{name: "A", tr: tr}), middleware.Hooks(b)}}
	cfg.Logger = (&logBuffer{}).Logger()
	h := build(t, cfg, urls.Path("", text("ok")))
	c.Connect(h.Signals())
	if rec := do(h, "GET", "/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if got, want := tr.String(), "A>,B>,<A"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
	if c.Exceptions.Load() != 1 {
		t.Fatalf("got_request_exception sent %d times, want 1", c.Exceptions.Load())
	}
}

func TestProcessViewAnswers(t *testing.T) {
	// SEMANTICS 19: the first process_view response skips the later hooks
	// and the view, and still goes through every response phase.
	tr := &trace{}
	first := &viewHook{name: "V1", tr: tr, ret: func(r *manouche.Request, view manouche.View) (*manouche.Response, error) {
		return response.Text("Processed view " + r.ResolverMatch.URLName), nil
	}}
	second := &viewHook{name: "V2", tr: tr}
	h := build(t, handler.Config{Middleware: []middleware.Factory{
		middleware.Hooks(&mixin{name: "A", tr: tr}),
		middleware.Hooks(first),
		middleware.Hooks(second),
	}}, urls.Path("normal/", func(*manouche.Request) (*manouche.Response, error) {
		tr.Add("view")
		return response.Text("view ran"), nil
	}, urls.Name("normal_view")))
	rec := do(h, "GET", "/normal/")
	if body := rec.Body.String(); body != "Processed view normal_view" {
		t.Fatalf("body %q", body)
	}
	if got, want := tr.String(), "A>,V1.view,<A"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
}

func TestResolverErrorsSkipProcessException(t *testing.T) {
	// SEMANTICS 20: a 404 from resolving and an error from process_view
	// never reach process_exception.
	tr := &trace{}
	raising := &viewHook{name: "V", tr: tr, ret: func(*manouche.Request, manouche.View) (*manouche.Response, error) {
		return nil, errors.New("view hook failed")
	}}
	cfg := handler.Config{Middleware: []middleware.Factory{
		middleware.Hooks(&excHook{name: "E", tr: tr}), middleware.Hooks(raising),
	}, Logger: (&logBuffer{}).Logger()}
	h := build(t, cfg, urls.Path("known/", text("ok")))
	if rec := do(h, "GET", "/unknown/"); rec.Code != 404 {
		t.Fatalf("status %d, want 404", rec.Code)
	}
	if rec := do(h, "GET", "/known/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if strings.Contains(tr.String(), "E.exception") {
		t.Fatalf("process_exception ran: %s", tr)
	}
}

func TestProcessExceptionOrder(t *testing.T) {
	// SEMANTICS 21: reverse order; the first response wins.
	failing := func(*manouche.Request) (*manouche.Response, error) { return nil, errors.New("view failed") }
	caught := func(*manouche.Request, error) (*manouche.Response, error) {
		return response.Text("Exception caught"), nil
	}
	for _, tc := range []struct {
		name      string
		order     []string
		wantTrace string
	}{
		{"log outside respond", []string{"log", "respond"}, "respond.exception"},
		{"respond outside log", []string{"respond", "log"}, "log.exception,respond.exception"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &trace{}
			var mws []middleware.Factory
			for _, n := range tc.order {
				e := &excHook{name: n, tr: tr}
				if n == "respond" {
					e.ret = caught
				}
				mws = append(mws, middleware.Hooks(e))
			}
			h := build(t, handler.Config{Middleware: mws}, urls.Path("", failing))
			rec := do(h, "GET", "/")
			if rec.Code != 200 || rec.Body.String() != "Exception caught" {
				t.Fatalf("got %d %q", rec.Code, rec.Body)
			}
			if got := tr.String(); got != tc.wantTrace {
				t.Fatalf("trace %s, want %s", got, tc.wantTrace)
			}
		})
	}
}

func TestProcessExceptionResponseGetsFullTreatment(t *testing.T) {
	// SEMANTICS 22: a deferred response from process_exception goes through
	// the template hooks, is rendered, then through every response phase.
	tr := &trace{}
	exc := &excHook{name: "E", tr: tr, ret: func(*manouche.Request, error) (*manouche.Response, error) {
		return deferred("rendered"), nil
	}}
	tmpl := &tmplHook{name: "T", tr: tr, ret: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
		resp.Renderer().(*textRenderer).text += " after template hook"
		return resp, nil
	}}
	outer := &mixin{name: "O", tr: tr, resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
		resp.Header().Set("X-Outer", "yes")
		return resp, nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{
		middleware.Hooks(outer), middleware.Hooks(tmpl), middleware.Hooks(exc),
	}}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return nil, errors.New("x") }))
	rec := do(h, "GET", "/")
	if rec.Body.String() != "rendered after template hook" || rec.Header().Get("X-Outer") != "yes" {
		t.Fatalf("got %q, X-Outer=%q", rec.Body, rec.Header().Get("X-Outer"))
	}
	if got, want := tr.String(), "O>,E.exception,T.template,<O"; got != want {
		t.Fatalf("trace %s, want %s", got, want)
	}
}

func TestProcessExceptionRaising(t *testing.T) {
	// SEMANTICS 23: an error inside process_exception replaces the original.
	var c counters
	exc := &excHook{name: "E", tr: &trace{}, ret: func(*manouche.Request, error) (*manouche.Response, error) {
		return nil, errors.New("hook failed")
	}}
	logs := &logBuffer{}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(exc)}, Logger: logs.Logger()},
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return nil, &manouche.Http404{} }))
	c.Connect(h.Signals())
	if rec := do(h, "GET", "/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if c.Exceptions.Load() != 1 || !strings.Contains(logs.String(), "hook failed") {
		t.Fatalf("exceptions %d, log %s", c.Exceptions.Load(), logs)
	}
}

func noResponse(*manouche.Request) (*manouche.Response, error) { return nil, nil }

func TestViewReturnedNil(t *testing.T) {
	// SEMANTICS 24: a view returning nothing is a 500 naming the view.
	logs := &logBuffer{}
	h := build(t, handler.Config{Logger: logs.Logger()}, urls.Path("no_response_fbv/", noResponse))
	if rec := do(h, "GET", "/no_response_fbv/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	want := "The view github.com/manouche/manouche/handler_test.noResponse didn't return a *manouche.Response. It returned nil instead."
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, logs)
	}
}

func TestTemplateResponseHooks(t *testing.T) {
	// SEMANTICS 25: template hooks bottom-up, then one render; a hook that
	// returns nil is an error naming it.
	tr := &trace{}
	appendName := func(name string) func(*manouche.Request, *manouche.Response) (*manouche.Response, error) {
		return func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
			resp.Renderer().(*textRenderer).text += "\n" + name
			return resp, nil
		}
	}
	h := build(t, handler.Config{Middleware: []middleware.Factory{
		middleware.Hooks(&tmplHook{name: "Outer", tr: tr, ret: appendName("Outer")}),
		middleware.Hooks(&tmplHook{name: "TemplateResponseMiddleware", tr: tr, ret: appendName("TemplateResponseMiddleware")}),
	}}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return deferred("template_response OK"), nil }))
	rec := do(h, "GET", "/")
	if want := "template_response OK\nTemplateResponseMiddleware\nOuter"; rec.Body.String() != want {
		t.Fatalf("body %q, want %q", rec.Body, want)
	}

	logs := &logBuffer{}
	bad := &tmplHook{name: "Bad", tr: tr, ret: func(*manouche.Request, *manouche.Response) (*manouche.Response, error) { return nil, nil }}
	h = build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(bad)}, Logger: logs.Logger()},
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) { return deferred("x"), nil }))
	if rec := do(h, "GET", "/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if want := "*handler_test.tmplHook.ProcessTemplateResponse didn't return a *manouche.Response. It returned nil instead."; !strings.Contains(logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, logs)
	}
}

func TestRenderErrorGoesToProcessException(t *testing.T) {
	// SEMANTICS 21/25: a render error goes through process_exception.
	tr := &trace{}
	exc := &excHook{name: "E", tr: tr, ret: func(r *manouche.Request, err error) (*manouche.Response, error) {
		return response.Text("caught: " + err.Error()), nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(exc)}},
		urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
			return manouche.NewDeferredResponse(200, &textRenderer{err: errors.New("bad template")}, ""), nil
		}))
	if rec := do(h, "GET", "/"); rec.Body.String() != "caught: bad template" {
		t.Fatalf("body %q", rec.Body)
	}
}

func TestResponsePhaseSeesRenderedContent(t *testing.T) {
	// SEMANTICS 26: a template response returned by process_view is rendered
	// before any process_response reads it.
	var content string
	reader := &mixin{name: "R", tr: &trace{}, resp: func(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
		b, err := resp.Content()
		if err != nil {
			return nil, err
		}
		content = string(b)
		return resp, nil
	}}
	pv := &viewHook{name: "V", tr: &trace{}, ret: func(*manouche.Request, manouche.View) (*manouche.Response, error) {
		return deferred("from process_view"), nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(reader), middleware.Hooks(pv)}},
		urls.Path("", text("view")))
	if rec := do(h, "GET", "/"); rec.Code != 200 || content != "from process_view" {
		t.Fatalf("status %d, content %q", rec.Code, content)
	}
}

func TestResponseOnlyMiddlewareSeesErrors(t *testing.T) {
	// SEMANTICS 27: a middleware with process_response alone sees 404 and
	// 500 responses too.
	var seen []int
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(onlyResponse{&seen})}, Logger: (&logBuffer{}).Logger()},
		urls.Path("fail/", func(*manouche.Request) (*manouche.Response, error) { panic("boom") }))
	do(h, "GET", "/missing/")
	do(h, "GET", "/fail/")
	if fmt.Sprint(seen) != "[404 500]" {
		t.Fatalf("saw %v, want [404 500]", seen)
	}
}

func TestFactoryCalledOnce(t *testing.T) {
	// SEMANTICS 2: the chain is built once, when the handler is built.
	calls := 0
	f := func(next middleware.Handler) (middleware.Middleware, error) {
		calls++
		return middleware.Func(func(r *manouche.Request) (*manouche.Response, error) { return next(r), nil }), nil
	}
	h := build(t, handler.Config{Middleware: []middleware.Factory{f}}, urls.Path("", text("ok")))
	for i := 0; i < 100; i++ {
		do(h, "GET", "/")
	}
	if calls != 1 {
		t.Fatalf("factory called %d times, want 1", calls)
	}
}

func nilFactory(next middleware.Handler) (middleware.Middleware, error) { return nil, nil }

func notUsed(next middleware.Handler) (middleware.Middleware, error) {
	return nil, fmt.Errorf("%w: no cache configured", middleware.ErrNotUsed)
}

func TestBuildErrors(t *testing.T) {
	// SEMANTICS 3: a factory returning nil fails the build with a message
	// naming it; MiddlewareNotUsed leaves the layer out, logged with Debug.
	conf, err := urls.New([]urls.Pattern{urls.Path("", text("ok"))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = handler.New(handler.Config{URLConf: conf, Middleware: []middleware.Factory{nilFactory}})
	var ic *manouche.ImproperlyConfigured
	if !errors.As(err, &ic) || ic.Message != "Middleware factory github.com/manouche/manouche/handler_test.nilFactory returned nil." {
		t.Fatalf("err = %v", err)
	}
	if _, err := handler.New(handler.Config{}); !errors.As(err, &ic) {
		t.Fatalf("missing URLConf: err = %v", err)
	}

	logs := &logBuffer{}
	tr := &trace{}
	h := build(t, handler.Config{Settings: manouche.Settings{Debug: true}, Logger: logs.Logger(),
		Middleware: []middleware.Factory{layer("A", tr), notUsed, layer("C", tr)}}, urls.Path("", text("ok")))
	do(h, "GET", "/")
	if tr.String() != "A>,C>,<C,<A" {
		t.Fatalf("trace %s", tr)
	}
	if want := "MiddlewareNotUsed('github.com/manouche/manouche/handler_test.notUsed'): MiddlewareNotUsed: no cache configured"; !strings.Contains(logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, logs)
	}
}

func TestResolverMatchTiming(t *testing.T) {
	// SEMANTICS 8: nil in process_request, set before process_view.
	var inRequest, inView string
	req := &mixin{name: "R", tr: &trace{}, req: func(r *manouche.Request) (*manouche.Response, error) {
		inRequest = fmt.Sprint(r.ResolverMatch == nil)
		return nil, nil
	}}
	pv := &viewHook{name: "V", tr: &trace{}, ret: func(r *manouche.Request, _ manouche.View) (*manouche.Response, error) {
		inView = r.ResolverMatch.URLName
		return nil, nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(req), middleware.Hooks(pv)}},
		urls.Path("x/", text("ok"), urls.Name("the-x")))
	do(h, "GET", "/x/")
	if inRequest != "true" || inView != "the-x" {
		t.Fatalf("process_request saw nil=%s, process_view saw %q", inRequest, inView)
	}
}

func TestPerRequestURLConf(t *testing.T) {
	// SEMANTICS 9: a middleware switches the URLconf for the rest of the
	// request, reverse() included, also inside a stream; the next request
	// starts on the root URLconf again.
	second, err := urls.New([]urls.Pattern{
		urls.Path("second_test/", func(r *manouche.Request) (*manouche.Response, error) {
			return response.StreamSeq(func(yield func([]byte) bool) {
				u, err := urls.Reverse(r, "second")
				if err != nil {
					u = err.Error()
				}
				yield([]byte(u))
			}), nil
		}, urls.Name("second")),
	})
	if err != nil {
		t.Fatal(err)
	}
	switcher := &mixin{name: "S", tr: &trace{}, req: func(r *manouche.Request) (*manouche.Response, error) {
		if r.Header().Get("X-Switch") != "" {
			r.URLConf = second
		}
		return nil, nil
	}}
	h := build(t, handler.Config{Middleware: []middleware.Factory{middleware.Hooks(switcher)}},
		urls.Path("test/me/", text("root")))
	if rec := do(h, "GET", "/second_test/", "X-Switch", "1"); rec.Code != 200 || rec.Body.String() != "/second_test/" {
		t.Fatalf("switched: %d %q", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/test/me/", "X-Switch", "1"); rec.Code != 404 {
		t.Fatalf("switched /test/me/: %d", rec.Code)
	}
	if rec := do(h, "GET", "/test/me/"); rec.Code != 200 {
		t.Fatalf("next request: %d", rec.Code)
	}
}

var _ = http.StatusOK

// wrapper is a view wrapper that traces around the view (what
// db.Manager.MakeViewAtomic does with a transaction).
func wrapper(name string, tr *trace) func(*manouche.Request, manouche.View) manouche.View {
	return func(_ *manouche.Request, view manouche.View) manouche.View {
		return func(r *manouche.Request) (*manouche.Response, error) {
			tr.Add(name + "(")
			resp, err := view(r)
			tr.Add(")" + name)
			return resp, err
		}
	}
}

func TestViewWrappers(t *testing.T) {
	// Django's make_view_atomic: after process_view, around the view
	// alone; the last wrapper outermost; process_exception sees the error
	// once the wrappers have unwound.
	for _, tc := range []struct {
		name string
		view manouche.View
		code int
		want string
	}{
		{"ok", func(*manouche.Request) (*manouche.Response, error) { return response.Text("ok"), nil }, 200,
			"A>,P.view,W2(,W1(,)W1,)W2,<A"},
		{"error", func(*manouche.Request) (*manouche.Response, error) { return nil, errors.New("x") }, 500,
			"A>,P.view,W2(,W1(,)W1,)W2,E.exception,<A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &trace{}
			h := build(t, handler.Config{
				Middleware: []middleware.Factory{
					layer("A", tr),
					middleware.Hooks(&viewHook{name: "P", tr: tr}),
					middleware.Hooks(&excHook{name: "E", tr: tr}),
				},
				ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{wrapper("W1", tr), wrapper("W2", tr)},
				Logger:       slog.New(slog.DiscardHandler),
			}, urls.Path("", tc.view))
			if rec := do(h, "GET", "/"); rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if got := tr.String(); got != tc.want {
				t.Errorf("trace %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := handler.New(handler.Config{URLConf: confWith(t, nil), ViewWrappers: []func(*manouche.Request, manouche.View) manouche.View{nil}}); err == nil ||
		!strings.Contains(err.Error(), "ViewWrappers[0] is nil") {
		t.Errorf("a nil wrapper: %v", err)
	}
}

func TestResponseReturnedWithErrorIsClosed(t *testing.T) {
	// A view (or a wrapper whose commit failed) may return a response
	// with its error: the error wins, the response's closers still run.
	cc := &countCloser{}
	h := build(t, handler.Config{Logger: slog.New(slog.DiscardHandler)}, urls.Path("", func(*manouche.Request) (*manouche.Response, error) {
		resp := response.Text("lost")
		resp.AddCloser(cc)
		return resp, errors.New("failed after building a response")
	}))
	if rec := do(h, "GET", "/"); rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if n := cc.N.Load(); n != 1 {
		t.Errorf("closed %d times, want 1", n)
	}
}

// configured is a layer that records the settings the handler configures
// it with.
type configured struct {
	next middleware.Handler
	got  *manouche.Settings
	err  error
}

func (c *configured) Serve(r *manouche.Request) (*manouche.Response, error) {
	if r.Settings != c.got {
		return response.Text("request settings differ from the configured ones"), nil
	}
	return c.next(r), nil
}

func (c *configured) Configure(s *manouche.Settings) error {
	c.got = s
	return c.err
}

// Configure is called once at build with the settings requests carry; its
// error fails handler.New and names the layer.
func TestConfigureAtBuild(t *testing.T) {
	layer := &configured{}
	h := build(t, handler.Config{
		Settings: manouche.Settings{SecretKey: "k"},
		Middleware: []middleware.Factory{func(next middleware.Handler) (middleware.Middleware, error) {
			layer.next = next
			return layer, nil
		}},
	}, urls.Path("", text("ok")))
	if layer.got == nil || layer.got.SecretKey != "k" {
		t.Fatalf("Configure got %+v", layer.got)
	}
	if rec := do(h, "GET", "/"); rec.Body.String() != "ok" {
		t.Fatalf("body %q", rec.Body.String())
	}

	bad := &configured{err: errors.New("X_FRAME_OPTIONS must be DENY or SAMEORIGIN")}
	conf, _ := urls.New([]urls.Pattern{urls.Path("", text("ok"))})
	_, err := handler.New(handler.Config{URLConf: conf, Middleware: []middleware.Factory{
		func(next middleware.Handler) (middleware.Middleware, error) { bad.next = next; return bad, nil },
	}})
	if err == nil || !strings.Contains(err.Error(), "configuring middleware *handler_test.configured: X_FRAME_OPTIONS") {
		t.Fatalf("handler.New error = %v", err)
	}
}
