package templates

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/urls"
)

// Kwargs are the keyword arguments of the url function (Django's
// {% url "name" key=value %}), made in a template with the kwargs
// function: {{url "polls:detail" (kwargs "pk" 5)}}.
type Kwargs map[string]any

// builtinFuncs are the functions every template has; Config.Funcs may not
// redefine them.
var builtinFuncs = []string{"url", "static", "kwargs"}

// state is what the url and static functions of one leased template set
// see: the engine, and the request being rendered (nil without one).
type state struct {
	e *Engine
	r *manouche.Request
}

// funcMap returns Config.Funcs and the built-in functions, bound to st.
func (e *Engine) funcMap(st *state) template.FuncMap {
	m := make(template.FuncMap, len(e.funcs)+len(builtinFuncs)+len(e.reqFuncs))
	maps.Copy(m, e.funcs)
	m["url"] = st.url
	m["static"] = st.static
	m["kwargs"] = kwargs
	for name, f := range e.reqFuncs {
		m[name] = func() (any, error) {
			if st.r == nil {
				return nil, fmt.Errorf("%s needs a request: render with one", name)
			}
			return f(st.r)
		}
	}
	return m
}

// url is Django's {% url %}: it reverses the route named name with the
// positional arguments args, or with the keyword arguments of a single
// Kwargs (or map[string]any) argument. With a request, it is
// urls.Reverse(r, …): the request's URLconf, mount prefix and current
// namespace; without one, Config.URLConf's Reverse. A failure is an error
// of the render, never a panic.
func (st *state) url(name string, args ...any) (string, error) {
	var opt urls.ReverseOption
	if len(args) == 1 {
		switch kw := args[0].(type) {
		case Kwargs:
			opt = urls.NamedArgs(kw)
		case map[string]any:
			opt = urls.NamedArgs(kw)
		}
	}
	if opt == nil && len(args) > 0 {
		opt = urls.Args(args...)
	}
	if st.r != nil {
		return urls.Reverse(st.r, name, opt)
	}
	if st.e.urlconf == nil {
		return "", fmt.Errorf("templates: url %q: no request to reverse with and no Config.URLConf", name)
	}
	return st.e.urlconf.Reverse(name, opt)
}

// static is Django's {% static %}: the URL of the static file name.
// Config.Static answers when it is set (the static-files middleware's
// manifest of hashed names); otherwise it is the STATIC_URL (Config.StaticURL,
// else the request's Settings.StaticURL) followed by name, percent-encoded
// as Django's filepath_to_uri.
func (st *state) static(name string) (string, error) {
	if st.e.static != nil {
		u, err := st.e.static(name)
		if err != nil {
			return "", fmt.Errorf("templates: static %q: %w", name, err)
		}
		return u, nil
	}
	prefix := st.e.staticURL
	if prefix == "" && st.r != nil && st.r.Settings != nil {
		prefix = st.r.Settings.StaticURL
	}
	if prefix == "" {
		return "", fmt.Errorf("templates: static %q: no STATIC_URL: set Config.StaticURL, Settings.StaticURL or Config.Static", name)
	}
	return prefix + quote(strings.TrimLeft(strings.ReplaceAll(name, `\`, "/"), "/"), "/~!*()'"), nil
}

// kwargs builds the Kwargs of the url function from key, value pairs.
func kwargs(pairs ...any) (Kwargs, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("templates: kwargs: an odd number of arguments; want key, value pairs")
	}
	kw := make(Kwargs, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("templates: kwargs: key %d is a %T, not a string", i/2, pairs[i])
		}
		kw[k] = pairs[i+1]
	}
	return kw, nil
}

// quote is Python's urllib.parse.quote: every byte of s except ASCII
// letters, digits, "_.-~" and the bytes of safe is percent-encoded (as
// UTF-8, upper-case hex).
func quote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	keep := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; keep(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
