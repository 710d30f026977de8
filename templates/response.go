package templates

import (
	"context"
	"errors"
	"fmt"

	"github.com/manouche/manouche"
)

// TemplateResponse is the Renderer of a template response (Django's
// TemplateResponse): a deferred *manouche.Response whose body is rendered
// after the view and the process_template_response hooks, so that they can
// still change which template is rendered and with what context. Get it
// from a response with Of.
//
// It renders once: manouche.Response.Render calls Render, sets the body,
// runs the post-render callbacks, and later Renders do nothing
// (SEMANTICS 64). Reading the response's content before that is
// manouche.ErrContentNotRendered.
type TemplateResponse struct {
	// Names are the templates to render, tried in order; the first that
	// exists is rendered (Django's template_name, which may be a list:
	// select_template). A middleware may replace them before the render.
	Names []string
	// Context is the view's data (Django's context_data), never nil. A
	// middleware may change it before the render. The context processors'
	// values are added under it when it renders; its own keys win.
	Context map[string]any

	engine *Engine
	req    *manouche.Request
	one    [1]string // backs Names for the usual single name
}

// ResponseOption configures Engine.Response.
type ResponseOption func(*responseConfig)

type responseConfig struct {
	status      int
	contentType string
	fallbacks   []string
}

// Status sets the response's status (default 200). Engine.Response panics,
// as response.Bytes does, when code is not from 100 to 599.
func Status(code int) ResponseOption {
	return func(c *responseConfig) { c.status = code }
}

// ContentType sets the response's Content-Type (default
// "text/html; charset=utf-8").
func ContentType(ct string) ResponseOption {
	return func(c *responseConfig) { c.contentType = ct }
}

// Fallbacks adds templates to try, in order, when the first name does not
// exist (Django's template_name given as a list).
func Fallbacks(names ...string) ResponseOption {
	return func(c *responseConfig) { c.fallbacks = append(c.fallbacks, names...) }
}

// Response returns a deferred template response (Django's
// TemplateResponse(request, template_name, context)) that renders the
// template name, with data and the context processors' values for r, when
// the handler renders it: after the process_template_response hooks,
// which may change its TemplateResponse. A render error goes to the
// process_exception hooks like a view's error.
func (e *Engine) Response(r *manouche.Request, name string, data map[string]any, opts ...ResponseOption) *manouche.Response {
	cfg := responseConfig{status: 200}
	if len(opts) > 0 {
		cfg = configure(opts)
	}
	if !manouche.ValidStatus(cfg.status) {
		panic(fmt.Sprintf("templates.Response: HTTP status code must be an integer from 100 to 599 (got %d)", cfg.status))
	}
	if data == nil {
		data = map[string]any{}
	}
	t := &TemplateResponse{Context: data, engine: e, req: r}
	t.one[0] = name
	t.Names = t.one[:]
	if len(cfg.fallbacks) > 0 {
		t.Names = append([]string{name}, cfg.fallbacks...)
	}
	return manouche.NewDeferredResponse(cfg.status, t, cfg.contentType)
}

// configure applies opts to the defaults. It is apart from Response, and
// called only when there are options, because an option is called with
// the config's address: in Response's own frame that sent the config to
// the heap on every template response, options or not.
func configure(opts []ResponseOption) responseConfig {
	cfg := responseConfig{status: 200}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return cfg
}

// Of returns the TemplateResponse of resp, a template response not yet
// rendered: a process_template_response hook uses it to change the
// template or the context.
func Of(resp *manouche.Response) (*TemplateResponse, bool) {
	if resp == nil {
		return nil, false
	}
	t, ok := resp.Renderer().(*TemplateResponse)
	return t, ok
}

// Request returns the request the template is rendered for (nil when it
// was built without one).
func (t *TemplateResponse) Request() *manouche.Request { return t.req }

// Engine returns the engine that renders it.
func (t *TemplateResponse) Engine() *Engine { return t.engine }

// Render renders the first of Names that exists with Context and the
// context processors' values (Django's rendered_content). It fails when ctx
// is already done, and with a *DoesNotExistError when no name exists.
// manouche.Response.Render calls it once; calling it directly renders
// again.
func (t *TemplateResponse) Render(ctx context.Context) ([]byte, error) {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if t.engine == nil {
		return nil, errors.New("templates: a TemplateResponse without an Engine: build it with Engine.Response")
	}
	return t.engine.render(t.req, t.Names, t.Context)
}
