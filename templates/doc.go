// Package templates is manouche's template engine: Django's TEMPLATES, its
// loaders, context processors and TemplateResponse, on html/template and
// its contextual auto-escaping.
//
//	TEMPLATES = [{"DIRS": …, "APP_DIRS": True,   NewEngine(Config{Dirs: …, FS: []fs.FS{appTemplates},
//	  "OPTIONS": {"context_processors": […]}}]     ContextProcessors: […]})
//	get_template / select_template                Engine.Render, Fallbacks
//	render_to_string(name, context, request)      e.Render(w, r, name, data)
//	TemplateResponse(request, name, context)      e.Response(r, name, data, opts...)
//	response.template_name, .context_data         templates.Of(resp).Names, .Context
//	{% extends "base.html" %}                     {{/* extends "base.html" */}}
//	{% block content %}…{% endblock %}            {{block "content" .}}…{{end}} / {{define "content"}}…{{end}}
//	{% include "nav.html" %}                      {{template "nav.html" .}}
//	{% url "polls:detail" 5 %}, pk=5              {{url "polls:detail" 5}}, {{url "polls:detail" (kwargs "pk" 5)}}
//	{% static "site.css" %}                       {{static "site.css"}}
//	context_processors.request/debug/static/csrf  RequestProcessor, DebugProcessor, StaticProcessor, CSRFProcessor
//	{% csrf_token %}                              {{csrf_input}}, with Config.RequestFuncs (middleware.CSRFInputFunc)
//	check's template checks                       Engine.Check
//	TemplateDoesNotExist, loader postmortem       *DoesNotExistError, its Tried
//	404.html, 500.html, 400.html, 403.html        Engine.ErrorView, Engine.ErrorHandlers
//
// # Loaders
//
// A template name is a slash-separated path, such as "polls/detail.html",
// looked for in each of Config.Dirs, then in each of Config.FS (an
// embed.FS, say), in order; the first file found is used. A name that
// starts with "/" or has a ".." element is found nowhere. When no loader
// has a name, the error is a *DoesNotExistError that lists every place
// searched, as Django's template-loader postmortem.
//
// # Layouts
//
// A template extends another when its first line is the directive
//
//	{{/* extends "base.html" */}}
//
// a Go template comment, so the file is still plain html/template. The
// engine parses base.html and then the child into one set: the child's
// {{define "name"}} replaces base.html's {{block "name" .}} (or {{define}})
// of the same name, and the set executes base.html. A block the child does
// not define shows the base's default. Layouts may extend layouts, to any
// depth; a cycle is an error. As in Django, what a child has outside its
// {{define}}s is not rendered. One difference is Go's: a {{define}} whose
// body is only white space or comments does not replace a block; write
// {{define "name"}}{{""}}{{end}} to empty one.
//
// A {{template "x" .}} whose name the set does not define is read from the
// loaders as the file "x" (Django's include), with what it includes in
// turn. An included file may not extend a layout, nor redefine a template
// the page defines.
//
// # Context
//
// A template rendered for a request gets the values of
// Config.ContextProcessors, in order, then the view's data, which wins
// (Django's RequestContext). RequestProcessor adds "request",
// DebugProcessor "debug", StaticProcessor "STATIC_URL" and CSRFProcessor
// "csrf_token" (lazily, from the CSRF middleware's token function).
//
// # Functions
//
// Besides html/template's and Config.Funcs, every template has url (Django's
// {% url %}: urls.Reverse with the request's URLconf, mount prefix and
// current namespace), static (the STATIC_URL followed by the name, or the
// answer of Config.Static, which knows hashed names) and kwargs (keyword
// arguments for url). A failure of url or static is an error of the render,
// not a panic and not an empty string.
//
// Config.RequestFuncs adds functions of no argument that answer for the
// request being rendered, called only when the template prints them:
// {{csrf_input}} (middleware.CSRFInputFunc) makes a CSRF token, and sends
// its cookie, only on pages with a form. A template.HTML result is
// printed unescaped.
//
// Engine.Check parses every template of every loader and reports each
// broken one with its file and line, for a project's start-up checks.
//
// # Template responses
//
// Engine.Response returns a deferred *manouche.Response: the handler runs
// the process_template_response hooks, which may change its
// TemplateResponse's Names and Context (find it with Of), then renders it
// once, runs its post-render callbacks, and only then the process_response
// hooks. A render error (a missing template, a failing url, a context
// processor's error) goes to the process_exception hooks like a view's
// error (SEMANTICS 21, 25, 64).
//
// # Caching
//
// A template is read and parsed once, with its layouts and includes, and
// kept for the engine's life. Only templates that exist are kept, so names
// that do not exist (a 404 page asked for a million made-up names) cost a
// look in each loader and no memory (DESIGN promise 6). With Config.Debug
// each render checks the modification time and size of every file of the
// template, and re-reads it when one changed.
//
// # Error pages
//
// Engine.ErrorHandlers gives urls.New the four error views: each renders
// "404.html" (and so on) when it exists, with Django's context, and
// Django's default page otherwise.
//
// # Decisions
//
// html/template has no per-execution functions, and refuses to clone a set
// it has executed. To let url and static see the request without cloning
// and re-escaping a set per request, the engine keeps, per template, a
// small bounded pool of clones with their own functions, each leased by
// one render at a time and escaped once, on its first use.
//
// Unlike Django, there are no template tags or filters beyond Go's; no
// string_if_invalid (a missing key prints nothing, as html/template does for
// a map); DebugProcessor ignores INTERNAL_IPS, which manouche does not
// have; and layouts and included templates are read when the page is
// loaded, not when the tag runs, so a missing one is an error even in a
// branch the render would not take. As in Django, only a name that does not
// exist moves a select-template list to its next name; a template that
// exists but is broken is an error at once.
package templates
