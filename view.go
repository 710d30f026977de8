package manouche

import (
	"reflect"
	"runtime"
	"strings"
)

// View is a Django view: it takes the request and returns a response or an
// error. URL arguments are in r.ResolverMatch. A view must not return
// (nil, nil): the handler turns that into a 500 naming the view
// (SEMANTICS 24).
type View func(r *Request) (*Response, error)

// ErrorView renders an error response for status 400, 403, 404 or 500 (Django's
// handler400 … handler500). err is the error being answered.
type ErrorView func(r *Request, err error) (*Response, error)

// URLConf is what the handler needs from a URLconf: resolving a path and the
// error views it declares. urls.Conf implements it; a middleware may set
// Request.URLConf to another one for the rest of the request (SEMANTICS 9).
type URLConf interface {
	// Resolve matches path (path_info, starting with "/") and returns the
	// match, or an error: *Http404 with Tried when nothing matched.
	Resolve(path string) (*ResolverMatch, error)
	// ErrorView returns the view for status 400, 403, 404 or 500, or nil to
	// use the default page.
	ErrorView(status int) ErrorView
}

// A MatchWriter is a URLConf that can also resolve into a match the caller
// provides, overwriting all of it: urls.Conf is one. Request.Resolve uses
// it to keep a request's match in the request's own memory, at no
// allocation of its own.
type MatchWriter interface {
	URLConf
	ResolveInto(path string, m *ResolverMatch) error
}

// ResolverMatch is the result of resolving a path (Django's ResolverMatch,
// SEMANTICS 38).
type ResolverMatch struct {
	View View
	// Args are the positional captures (regex routes without named groups),
	// Kwargs the named ones merged with the pattern's and the includes' extra
	// kwargs (SEMANTICS 37).
	Args   []any
	Kwargs map[string]any
	// CapturedKwargs are the kwargs taken from the path alone, ExtraKwargs
	// those given by the patterns.
	CapturedKwargs map[string]any
	ExtraKwargs    map[string]any
	URLName        string
	// Route is the joined route text, e.g. "polls/<int:pk>/".
	Route      string
	AppNames   []string
	Namespaces []string
	// Attrs are the route attributes (urls.Attr) of the pattern and the
	// includes above it, the inner ones winning: the Go form of Django's
	// view attributes such as csrf_exempt.
	Attrs map[any]any
}

// AppName is the ":"-joined application namespace.
func (m *ResolverMatch) AppName() string { return strings.Join(m.AppNames, ":") }

// Namespace is the ":"-joined instance namespace.
func (m *ResolverMatch) Namespace() string { return strings.Join(m.Namespaces, ":") }

// ViewName is the namespaced name, "ns1:ns2:name", or the view's function
// name when the pattern has no name.
func (m *ResolverMatch) ViewName() string {
	name := m.URLName
	if name == "" {
		name = FuncName(m.View)
	}
	if ns := m.Namespace(); ns != "" {
		return ns + ":" + name
	}
	return name
}

// Attr returns the route attribute stored under key.
func (m *ResolverMatch) Attr(key any) (any, bool) {
	if m == nil || m.Attrs == nil {
		return nil, false
	}
	v, ok := m.Attrs[key]
	return v, ok
}

// Kwarg returns the keyword argument name as a T; ok is false when it is
// missing or of another type.
func Kwarg[T any](r *Request, name string) (v T, ok bool) {
	if r.ResolverMatch == nil {
		return v, false
	}
	v, ok = r.ResolverMatch.Kwargs[name].(T)
	return v, ok
}

// FuncName returns the package-qualified name of a function value, as used
// in error messages ("main.index"). Closures are named after the function
// that made them.
func FuncName(f any) string {
	v := reflect.ValueOf(f)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return "<nil>"
	}
	fn := runtime.FuncForPC(v.Pointer())
	if fn == nil {
		return "<unknown>"
	}
	name := fn.Name()
	// "pkg.Outer.func1.2" → "pkg.Outer"; "pkg.(*T).M-fm" → "pkg.(*T).M".
	name = strings.TrimSuffix(name, "-fm")
	for {
		i := strings.LastIndex(name, ".")
		if i < 0 {
			break
		}
		last := name[i+1:]
		if strings.HasPrefix(last, "func") || isDigits(last) {
			name = name[:i]
			continue
		}
		break
	}
	return name
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
