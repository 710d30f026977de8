package handler

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/manouche/manouche"
)

// The technical pages appear only with Debug (SEMANTICS 96–97); with Debug
// off the handler never builds them.

// hiddenSettings matches the names whose values the technical 500 page
// masks (Django's SafeExceptionReporterFilter).
var hiddenSettings = regexp.MustCompile(`(?i)API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE`)

const cleansed = "********************"

type debug404 struct {
	Method, URL, Path, RaisedBy, URLConf, Message string
	Tried                                         [][]manouche.TriedPattern
	Matched                                       bool
}

func (h *Handler) technical404(r *manouche.Request, nf *manouche.Http404) *manouche.Response {
	conf := r.URLConf
	if conf == nil {
		conf = h.conf
	}
	d := debug404{
		Method:  r.Method,
		URL:     r.Scheme() + "://" + r.HTTP().Host + r.FullPath(),
		Path:    strings.TrimPrefix(r.PathInfo, "/"),
		URLConf: fmt.Sprintf("%T", conf),
		Tried:   nf.Tried,
	}
	if !nf.Resolver {
		d.Message = nf.Message
	}
	if r.ResolverMatch != nil {
		d.Matched = true
		// Django names the view function here (ResolverMatch._func_path),
		// not the URL name.
		d.RaisedBy = manouche.FuncName(r.ResolverMatch.View)
		// The patterns tried up to the match, listed only on this page, so
		// the resolver need not record them on every request.
		if t, ok := conf.(interface {
			Tried(path string) [][]manouche.TriedPattern
		}); ok {
			d.Tried = t.Tried(r.PathInfo)
		}
	}
	if nf.Resolver && len(nf.Tried) == 0 && r.PathInfo == "/" {
		// Django's default_urlconf page is a plain 200 response.
		return manouche.NewResponse(200, []byte(installWorked), "")
	}
	return render(404, tmpl404HTML, tmpl404Text, wantsHTML(r), d)
}

type kv struct{ Key, Value string }

type chainLink struct{ Type, Message string }

type debug500 struct {
	Status                                  int
	Type, Value, Method, URL, Path, Raised  string
	GoVersion, Time, Stack                  string
	Chain                                   []chainLink
	GET, POST, Files, Cookies, Meta, Config []kv
}

func (h *Handler) technical500(r *manouche.Request, err error, status int) *manouche.Response {
	d := debug500{
		Status:    status,
		Type:      errorType(err),
		Value:     err.Error(),
		Method:    r.Method,
		URL:       r.Scheme() + "://" + r.HTTP().Host + r.FullPath(),
		Path:      r.Path,
		GoVersion: runtime.Version(),
		Time:      time.Now().UTC().Format(time.RFC1123),
		Chain:     errorChain(err),
	}
	if r.ResolverMatch != nil {
		d.Raised = manouche.FuncName(r.ResolverMatch.View)
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		d.Stack = string(pe.Stack)
	}
	if q, qerr := r.GET(); qerr == nil && q != nil {
		for _, k := range q.Keys() {
			for _, v := range q.GetList(k) {
				d.GET = append(d.GET, cleanse(k, v))
			}
		}
	}
	if r.Method == "POST" {
		if p, perr := r.POST(); perr == nil && p != nil {
			for _, k := range p.Keys() {
				for _, v := range p.GetList(k) {
					d.POST = append(d.POST, cleanse(k, v))
				}
			}
		}
		if f, ferr := r.FILES(); ferr == nil && f != nil {
			for _, k := range f.Keys() {
				for _, u := range f.GetList(k) {
					d.Files = append(d.Files, kv{k, u.Name})
				}
			}
		}
	}
	for k, v := range r.Cookies() {
		d.Cookies = append(d.Cookies, cleanse(k, v))
	}
	sortKV(d.Cookies)
	for k, vs := range r.Header() {
		meta := "HTTP_" + strings.ReplaceAll(strings.ToUpper(k), "-", "_")
		d.Meta = append(d.Meta, cleanse(meta, strings.Join(vs, ", ")))
	}
	d.Meta = append(d.Meta, kv{"REMOTE_ADDR", r.RemoteAddr()}, kv{"REQUEST_METHOD", r.Method},
		kv{"PATH_INFO", r.PathInfo}, kv{"SCRIPT_NAME", r.ScriptName}, kv{"QUERY_STRING", r.HTTP().URL.RawQuery})
	sortKV(d.Meta)
	d.Config = settingsKV(&h.settings)
	return render(status, tmpl500HTML, tmpl500Text, wantsHTML(r), d)
}

func cleanse(key, value string) kv {
	if hiddenSettings.MatchString(key) {
		return kv{key, cleansed}
	}
	return kv{key, value}
}

func sortKV(s []kv) { sort.Slice(s, func(i, j int) bool { return s[i].Key < s[j].Key }) }

// settingsKV lists the settings by their Go names, secrets masked.
func settingsKV(s *manouche.Settings) []kv {
	return appendSettings(nil, "", reflect.ValueOf(s).Elem())
}

// appendSettings lists the fields of the struct v, a nested settings group
// (Settings.CSRF, …) as "CSRF.CookieName" and so on, each value cleansed
// by its name.
func appendSettings(out []kv, prefix string, v reflect.Value) []kv {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		name := prefix + t.Field(i).Name
		var val string
		switch {
		case f.Kind() == reflect.Struct:
			out = appendSettings(out, name+".", f)
			continue
		case f.Kind() == reflect.Func:
			val = "<nil>"
			if !f.IsNil() {
				val = manouche.FuncName(f.Interface())
			}
		case f.Kind() == reflect.Pointer:
			val = "<nil>"
			if !f.IsNil() {
				val = fmt.Sprint(f.Elem().Interface())
			}
		default:
			val = fmt.Sprint(f.Interface())
		}
		out = append(out, cleanse(name, val))
	}
	return out
}

// errorChain lists err and every error it wraps, outermost first.
func errorChain(err error) []chainLink {
	var out []chainLink
	var walk func(error, int)
	walk = func(e error, depth int) {
		if e == nil || depth > 32 {
			return
		}
		out = append(out, chainLink{Type: fmt.Sprintf("%T", e), Message: e.Error()})
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap(), depth+1)
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x, depth+1)
			}
		}
	}
	walk(err, 0)
	return out
}

// errorType names the kind of err for the page title: a panic says so,
// anything else is named by its innermost cause's type (the chain below
// lists every link).
func errorType(err error) string {
	var pe *PanicError
	if errors.As(err, &pe) {
		return fmt.Sprintf("panic (%T)", pe.Value)
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}

// wantsHTML is Django's request.accepts("text/html"): true without an
// Accept header, or when it names text/html, text/* or */*.
func wantsHTML(r *manouche.Request) bool {
	accept := r.Header().Get("Accept")
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") && !strings.Contains(params, "q=0.") {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/html", "text/*", "*/*":
			return true
		}
	}
	return false
}

type executor interface {
	Execute(io.Writer, any) error
}

func render(status int, html *htmltemplate.Template, text *texttemplate.Template, asHTML bool, data any) *manouche.Response {
	var buf bytes.Buffer
	var t executor = text
	ct := "text/plain; charset=utf-8"
	if asHTML {
		t, ct = html, "text/html; charset=utf-8"
	}
	if err := t.Execute(&buf, data); err != nil {
		buf.Reset()
		fmt.Fprintf(&buf, "error rendering the debug page: %v\n", err)
		ct = "text/plain; charset=utf-8"
	}
	return manouche.NewResponse(status, buf.Bytes(), ct)
}

const debugNote = `You're seeing this error because you have Debug = true in your manouche settings. Change that to false, and manouche will display a standard page generated by the handler for this status code.`

var tmpl404HTML = htmltemplate.Must(htmltemplate.New("404").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="NONE,NOARCHIVE">
<title>Page not found at {{.Path}}</title>
<style>body{font:small sans-serif;margin:0}#summary,#info,#explanation{padding:10px 20px}#summary{background:#ffc}#info{background:#f6f6f6}#explanation{background:#eee}table{border:none}th{text-align:left;padding-right:1em}code{font-family:monospace}</style>
</head><body>
<div id="summary"><h1>Page not found <span>(404)</span></h1>
{{if .Message}}<pre class="exception_value">{{.Message}}</pre>{{end}}
<table class="meta">
<tr><th>Request Method:</th><td>{{.Method}}</td></tr>
<tr><th>Request URL:</th><td>{{.URL}}</td></tr>
{{if .RaisedBy}}<tr><th>Raised by:</th><td>{{.RaisedBy}}</td></tr>{{end}}
</table></div>
<div id="info">
{{if .Tried}}<p>Using the URLconf {{.URLConf}}, manouche tried these URL patterns, in this order:</p>
<ol>{{range .Tried}}<li>{{range $i, $p := .}}<code>{{$p.Pattern}}</code>{{if $p.Namespace}} [namespace='{{$p.Namespace}}']{{end}}{{if $p.Name}} [name='{{$p.Name}}']{{end}} {{end}}</li>
{{end}}</ol>
<p>{{if .Path}}The current path, <code>{{.Path}}</code>,{{else}}The empty path{{end}} {{if .Matched}}matched the last one.{{else}}didn't match any of these.{{end}}</p>
{{end}}
</div>
<div id="explanation"><p>` + debugNote + `</p></div>
</body></html>
`))

var tmpl404Text = texttemplate.Must(texttemplate.New("404").Parse(`Page not found (404)
{{if .Message}}{{.Message}}
{{end}}Request Method: {{.Method}}
Request URL: {{.URL}}
{{if .RaisedBy}}Raised by: {{.RaisedBy}}
{{end}}{{if .Tried}}
Using the URLconf {{.URLConf}}, manouche tried these URL patterns, in this order:
{{range $n, $chain := .Tried}}{{$n}}. {{range $chain}}{{.Pattern}}{{if .Namespace}} [namespace='{{.Namespace}}']{{end}}{{if .Name}} [name='{{.Name}}']{{end}} {{end}}
{{end}}{{if .Path}}The current path, {{.Path}},{{else}}The empty path{{end}} {{if .Matched}}matched the last one.{{else}}didn't match any of these.{{end}}
{{end}}
` + debugNote + "\n"))

var tmpl500HTML = htmltemplate.Must(htmltemplate.New("500").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="NONE,NOARCHIVE">
<title>{{.Type}} at {{.Path}}</title>
<style>body{font:small sans-serif;margin:0}#summary,#chain,#traceback,#requestinfo,#settings,#explanation{padding:10px 20px}#summary{background:#ffc}#explanation{background:#eee}th{text-align:left;vertical-align:top;padding-right:1em}td,pre{font-family:monospace}pre{white-space:pre-wrap}</style>
</head><body>
<div id="summary"><h1>{{.Type}} at {{.Path}}</h1>
<pre class="exception_value">{{.Value}}</pre>
<table class="meta">
<tr><th>Request Method:</th><td>{{.Method}}</td></tr>
<tr><th>Request URL:</th><td>{{.URL}}</td></tr>
<tr><th>Status:</th><td>{{.Status}}</td></tr>
<tr><th>Exception Type:</th><td>{{.Type}}</td></tr>
<tr><th>Exception Value:</th><td><pre>{{.Value}}</pre></td></tr>
{{if .Raised}}<tr><th>Raised during:</th><td>{{.Raised}}</td></tr>{{end}}
<tr><th>Go Version:</th><td>{{.GoVersion}}</td></tr>
<tr><th>Server time:</th><td>{{.Time}}</td></tr>
</table></div>
<div id="chain"><h2>Error chain</h2><ol>{{range .Chain}}<li><code>{{.Type}}</code>: {{.Message}}</li>{{end}}</ol></div>
<div id="traceback"><h2>Traceback</h2>{{if .Stack}}<pre>{{.Stack}}</pre>{{else}}<p>The error was returned, not panicked: the error chain above is its history.</p>{{end}}</div>
<div id="requestinfo"><h2>Request information</h2>
{{define "kv"}}{{if .}}<table>{{range .}}<tr><td>{{.Key}}</td><td><pre>{{.Value}}</pre></td></tr>{{end}}</table>{{else}}<p>No data.</p>{{end}}{{end}}
<h3>GET</h3>{{template "kv" .GET}}
<h3>POST</h3>{{template "kv" .POST}}
<h3>FILES</h3>{{template "kv" .Files}}
<h3>COOKIES</h3>{{template "kv" .Cookies}}
<h3>META</h3>{{template "kv" .Meta}}
</div>
<div id="settings"><h2>Settings</h2>{{template "kv" .Config}}</div>
<div id="explanation"><p>` + debugNote + `</p></div>
</body></html>
`))

var tmpl500Text = texttemplate.Must(texttemplate.New("500").Parse(`{{.Type}} at {{.Path}}
{{.Value}}

Request Method: {{.Method}}
Request URL: {{.URL}}
Status: {{.Status}}
{{if .Raised}}Raised during: {{.Raised}}
{{end}}Go Version: {{.GoVersion}}
Server time: {{.Time}}

Error chain:
{{range .Chain}}  {{.Type}}: {{.Message}}
{{end}}
Traceback:
{{if .Stack}}{{.Stack}}{{else}}  (the error was returned, not panicked){{end}}

Request information:
GET:{{range .GET}}
  {{.Key}} = {{.Value}}{{else}} No GET data{{end}}
POST:{{range .POST}}
  {{.Key}} = {{.Value}}{{else}} No POST data{{end}}
FILES:{{range .Files}}
  {{.Key}} = {{.Value}}{{else}} No FILES data{{end}}
COOKIES:{{range .Cookies}}
  {{.Key}} = {{.Value}}{{else}} No cookie data{{end}}
META:{{range .Meta}}
  {{.Key}} = {{.Value}}{{end}}

Settings:{{range .Config}}
  {{.Key}} = {{.Value}}{{end}}

` + debugNote + "\n"))

const installWorked = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>manouche: the install worked successfully! Congratulations!</title></head>
<body><h1>The install worked successfully! Congratulations!</h1>
<p>You are seeing this page because Debug = true is in your settings and your URLconf has no patterns.</p></body></html>
`
