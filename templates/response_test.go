package templates_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

func responseEngine(t *testing.T) *templates.Engine {
	return engine(t, templates.Config{
		FS:                []fs.FS{mapFS("hello.html", "Hello, {{.name}}!", "other.html", "Other {{.name}}", "page.txt", "{{.name}}")},
		ContextProcessors: []templates.ContextProcessor{templates.RequestProcessor},
	})
}

func TestResponseOptions(t *testing.T) {
	e := responseEngine(t)
	r := request(t, manouche.Settings{}, nil, "", "/")
	tests := []struct {
		label      string
		name       string
		opts       []templates.ResponseOption
		status     int
		ct         string
		names      string
		wantBody   string
		wantRender string // an error
	}{
		{label: "defaults", name: "hello.html", status: 200, ct: "text/html; charset=utf-8", names: "hello.html", wantBody: "Hello, Tom!"},
		{label: "status", name: "hello.html", opts: []templates.ResponseOption{templates.Status(201)}, status: 201, ct: "text/html; charset=utf-8", names: "hello.html", wantBody: "Hello, Tom!"},
		{label: "content type", name: "hello.html", opts: []templates.ResponseOption{templates.ContentType("text/plain; charset=utf-8"), nil}, status: 200, ct: "text/plain; charset=utf-8", names: "hello.html", wantBody: "Hello, Tom!"},
		{label: "fallbacks, first found wins", name: "missing.html", opts: []templates.ResponseOption{templates.Fallbacks("nope.html", "other.html"), templates.Fallbacks("hello.html")}, status: 200, ct: "text/html; charset=utf-8", names: "missing.html,nope.html,other.html,hello.html", wantBody: "Other Tom"},
		{label: "nothing found", name: "missing.html", opts: []templates.ResponseOption{templates.Fallbacks("nope.html")}, status: 200, ct: "text/html; charset=utf-8", names: "missing.html,nope.html", wantRender: `TemplateDoesNotExist: "missing.html", "nope.html"`},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			resp := e.Response(r, tt.name, map[string]any{"name": "Tom"}, tt.opts...)
			if resp.StatusCode != tt.status || resp.Header().Get("Content-Type") != tt.ct || resp.Kind() != manouche.Deferred {
				t.Errorf("status %d, Content-Type %q, kind %v; want %d, %q, deferred", resp.StatusCode, resp.Header().Get("Content-Type"), resp.Kind(), tt.status, tt.ct)
			}
			tr, ok := templates.Of(resp)
			if !ok || strings.Join(tr.Names, ",") != tt.names || tr.Request() != r || tr.Engine() != e {
				t.Fatalf("Of = %+v, %v; want names %q and the request and engine", tr, ok, tt.names)
			}
			out, err := resp.Render(context.Background())
			if tt.wantRender != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantRender) {
					t.Errorf("Render error = %v, want %q", err, tt.wantRender)
				}
				return
			}
			body, cerr := out.Content()
			if err != nil || cerr != nil || string(body) != tt.wantBody {
				t.Errorf("body %q (%v, %v), want %q", body, err, cerr, tt.wantBody)
			}
		})
	}
}

// TestResponseAllocations pins what building a template response costs:
// the TemplateResponse and the manouche.Response, nothing more without
// options (the options' config stays on the stack), one more with them.
func TestResponseAllocations(t *testing.T) {
	e := responseEngine(t)
	r := request(t, manouche.Settings{}, nil, "", "/")
	data := map[string]any{"name": "Tom"}
	var sink *manouche.Response
	for _, tc := range []struct {
		name string
		opts []templates.ResponseOption
		want float64
	}{
		{"no options", nil, 2},
		{"a status", []templates.ResponseOption{templates.Status(201)}, 3},
	} {
		if n := testing.AllocsPerRun(100, func() { sink = e.Response(r, "hello.html", data, tc.opts...) }); n != tc.want {
			t.Errorf("%s: %.0f allocations, want %.0f", tc.name, n, tc.want)
		}
	}
	if sink.StatusCode != 201 {
		t.Errorf("last response's status %d, want 201", sink.StatusCode)
	}
}

func TestResponseBadStatusPanics(t *testing.T) {
	e := responseEngine(t)
	for _, code := range []int{0, 99, 600} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "from 100 to 599") {
					t.Errorf("Status(%d): recover() = %v, want a panic about the range", code, p)
				}
			}()
			e.Response(nil, "hello.html", nil, templates.Status(code))
		}()
	}
}

// SEMANTICS 64: content before render is an error; the template and
// context can be changed until the render, which happens once; post-render
// callbacks run in order, may replace the response, and run at once when
// added after the render.
func TestResponseLifecycle(t *testing.T) {
	e := responseEngine(t)
	r := request(t, manouche.Settings{}, nil, "", "/")
	resp := e.Response(r, "hello.html", nil)

	if _, err := resp.Content(); !errors.Is(err, manouche.ErrContentNotRendered) {
		t.Errorf("Content before render: %v, want ErrContentNotRendered", err)
	}
	if resp.IsRendered() {
		t.Error("IsRendered before render")
	}
	tr, _ := templates.Of(resp)
	if tr.Context == nil {
		t.Fatal("Context is nil for nil data")
	}
	// A process_template_response hook's changes.
	tr.Names = []string{"other.html"}
	tr.Context["name"] = "Ann"

	var order []string
	if err := resp.AddPostRenderCallback(func(r *manouche.Response) (*manouche.Response, error) {
		b, err := r.Content()
		order = append(order, "first saw "+string(b))
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	replacement := manouche.NewResponse(202, []byte("replaced"), "")
	_ = resp.AddPostRenderCallback(func(*manouche.Response) (*manouche.Response, error) {
		order = append(order, "second")
		return replacement, nil
	})

	out, err := resp.Render(context.Background())
	if err != nil || out != replacement {
		t.Fatalf("Render = %v, %v; want the replacement", out, err)
	}
	if got := strings.Join(order, ","); got != "first saw Other Ann,second" {
		t.Errorf("callbacks: %q", got)
	}
	if body, _ := resp.Content(); string(body) != "Other Ann" {
		t.Errorf("rendered body %q, want %q", body, "Other Ann")
	}
	if _, ok := templates.Of(resp); ok {
		t.Error("Of after render = true, want false")
	}

	// Renders once: changing the template afterwards changes nothing.
	tr.Names = []string{"hello.html"}
	again, err := resp.Render(context.Background())
	if body, _ := again.Content(); err != nil || again != resp || string(body) != "Other Ann" {
		t.Errorf("second Render = %q, %v; want the first body, unchanged", body, err)
	}
	// A callback added after the render runs at once.
	ran := false
	_ = resp.AddPostRenderCallback(func(*manouche.Response) (*manouche.Response, error) { ran = true; return nil, nil })
	if !ran {
		t.Error("a callback added after the render did not run")
	}
}

func TestResponseRenderFailures(t *testing.T) {
	e := responseEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp := e.Response(nil, "hello.html", nil)
	if _, err := resp.Render(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a cancelled context: %v, want context.Canceled", err)
	}
	if resp.IsRendered() {
		t.Error("a failed render marked the response rendered")
	}

	var zero templates.TemplateResponse
	if _, err := zero.Render(context.Background()); err == nil || !strings.Contains(err.Error(), "without an Engine") {
		t.Errorf("zero TemplateResponse: %v", err)
	}
	tr, _ := templates.Of(e.Response(nil, "hello.html", nil))
	tr.Names = nil
	if _, err := tr.Render(context.Background()); err == nil || !strings.Contains(err.Error(), "no template name") {
		t.Errorf("no names: %v", err)
	}
}

func TestOf(t *testing.T) {
	if _, ok := templates.Of(nil); ok {
		t.Error("Of(nil) = true")
	}
	if _, ok := templates.Of(manouche.NewResponse(200, nil, "")); ok {
		t.Error("Of(buffered) = true")
	}
	other := manouche.NewDeferredResponse(200, rendererFunc(func(context.Context) ([]byte, error) { return nil, nil }), "")
	if _, ok := templates.Of(other); ok {
		t.Error("Of(another renderer) = true")
	}
}

type rendererFunc func(context.Context) ([]byte, error)

func (f rendererFunc) Render(ctx context.Context) ([]byte, error) { return f(ctx) }
