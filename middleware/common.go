package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/response"
)

// Common returns Django's CommonMiddleware: it refuses disallowed user
// agents, prepends "www." to the host, appends a missing slash to URLs
// that only resolve with one, and sets Content-Length. List it after
// Security and the session middleware.
//
// In the request phase:
//
//   - A request whose User-Agent header matches one of
//     Settings.DisallowedUserAgents (RE2, searched anywhere in the value;
//     Django's DISALLOWED_USER_AGENTS) gets a 403: the layer returns a
//     *manouche.PermissionDenied "Forbidden user agent".
//   - The host is read (Request.Host; a host outside ALLOWED_HOSTS is a
//     400, which the handler has already answered before any middleware,
//     SEMANTICS 98). With Settings.PrependWWW, a host not starting with
//     "www." gets a 301 to scheme://www.<host><path>, the slash appended
//     in the same redirect when APPEND_SLASH would add it (SEMANTICS 47,
//     Django's PREPEND_WWW).
//
// In the response phase, unless Settings.DisableAppendSlash (Django's
// APPEND_SLASH = False): when the response is a 404, Request.PathInfo does
// not end with a slash and does not resolve, and PathInfo + "/" resolves
// to a route without the NoAppendSlash attribute, the 404 is replaced by
// a 301 to the path with the slash, the query string kept and a leading
// "//" escaped to "/%2F", so that the target cannot be read as another
// host (SEMANTICS 45). The decision is made on the final 404 response, so
// a slashless URL whose own view answers 404 is not redirected
// (SEMANTICS 46). A redirect loses the request body: with Debug, a
// DELETE, POST, PUT or PATCH that would be redirected is a 500 with an
// error explaining that, as Django's RuntimeError; without Debug it is
// redirected anyway. The paths are resolved with Request.URLConf, so a
// URLconf set by an earlier middleware counts (SEMANTICS 9).
//
// Finally it sets Content-Length on a buffered response that lacks it
// (SEMANTICS 61). It never sets it on a streaming response (a file or a
// stream, whose length it does not read), nor on a 1xx, 204 or 304
// response, which carry no body: RFC 9110 forbids a Content-Length on
// those that does not describe the content a 200 would have had (Django
// gives a view's own 304 "Content-Length: 0"). The layer never reads a
// stream and touches the body of no response.
func Common() Factory {
	return func(next Handler) (Middleware, error) {
		if next == nil {
			return nil, errors.New("get_response must be provided.")
		}
		l := &commonLayer{next: next}
		// Django's defaults until the handler configures the layer; the
		// zero Settings cannot fail.
		_ = l.Configure(&manouche.Settings{})
		return l, nil
	}
}

// noAppendSlashKey is the route attribute key of NoAppendSlash.
type noAppendSlashKey struct{}

// NoAppendSlash returns the route attribute, key and value for urls.Attr,
// that keeps the Common middleware from redirecting a slashless URL to
// this route: Django's @no_append_slash, the Go way. Use it on a route
// whose slashless form must stay a 404 (an API that rejects guessed
// URLs, say).
//
//	urls.Path("api/items/", items, urls.Attr(middleware.NoAppendSlash()))
//
// Set on an include, it covers every route under it; an inner route can
// take it back with the same key and the value false.
func NoAppendSlash() (key, value any) { return noAppendSlashKey{}, true }

// commonLayer is the built Common layer.
type commonLayer struct {
	next Handler

	userAgents  []*regexp.Regexp
	appendSlash bool
	prependWWW  bool
	debug       bool
}

// Name returns "middleware.Common".
func (l *commonLayer) Name() string { return "middleware.Common" }

// Configure compiles Settings.DisallowedUserAgents, refusing a bad
// pattern, and reads the other settings the layer uses. The handler calls
// it once, when it is built.
func (l *commonLayer) Configure(s *manouche.Settings) error {
	agents := make([]*regexp.Regexp, 0, len(s.DisallowedUserAgents))
	for _, p := range s.DisallowedUserAgents {
		re, err := regexp.Compile(p)
		if err != nil {
			return manouche.Improperlyf("Settings.DisallowedUserAgents: the pattern %q is not a valid regular expression (DISALLOWED_USER_AGENTS): %v", p, err)
		}
		agents = append(agents, re)
	}
	l.userAgents = agents
	l.appendSlash = !s.DisableAppendSlash
	l.prependWWW = s.PrependWWW
	l.debug = s.Debug
	return nil
}

// Serve is Django's process_request, the next layer, then
// process_response, which also runs on the layer's own redirect.
func (l *commonLayer) Serve(r *manouche.Request) (*manouche.Response, error) {
	if len(l.userAgents) > 0 {
		for _, ua := range r.Header()["User-Agent"] {
			for _, re := range l.userAgents {
				if re.MatchString(ua) {
					return nil, &manouche.PermissionDenied{Message: "Forbidden user agent"}
				}
			}
		}
	}
	host, err := r.Host()
	if err != nil {
		return nil, err
	}
	if l.prependWWW && host != "" && !strings.HasPrefix(host, "www.") {
		return l.redirectToWWW(r, host)
	}
	return l.respond(r, l.next(r))
}

// redirectToWWW is PREPEND_WWW's redirect, with the slash APPEND_SLASH
// would add in the same redirect when it is needed (this resolves, so it
// is done only when a redirect is sure). Apart from Serve, so that the
// frame every request keeps on the stack under the onion stays small.
func (l *commonLayer) redirectToWWW(r *manouche.Request, host string) (*manouche.Response, error) {
	slash, err := l.shouldRedirectWithSlash(r)
	if err != nil {
		return nil, err
	}
	var path string
	if slash {
		if path, err = l.fullPathWithSlash(r); err != nil {
			return nil, err
		}
	} else {
		path = r.FullPath()
	}
	resp, err := response.PermanentRedirect(r.Scheme() + "://www." + host + path)
	if err != nil {
		return nil, err
	}
	return l.respond(r, resp)
}

// respond is Django's process_response: the APPEND_SLASH redirect of a
// 404, else Content-Length on a buffered response.
func (l *commonLayer) respond(r *manouche.Request, resp *manouche.Response) (*manouche.Response, error) {
	if resp.StatusCode == http.StatusNotFound && l.appendSlash {
		// The 404 is replaced below, or an error takes its place: either
		// way it must still be closed with the discarded responses. The
		// handler keeps every response crossing a layer already; this
		// makes the rule hold wherever the layer is called from.
		r.KeepResponse(resp)
		slash, err := l.shouldRedirectWithSlash(r)
		if err != nil {
			return nil, err
		}
		if slash {
			path, err := l.fullPathWithSlash(r)
			if err != nil {
				return nil, err
			}
			return response.PermanentRedirect(path)
		}
	}
	if resp.Kind() == manouche.Buffered && resp.StatusCode >= 200 &&
		resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		if !resp.HasHeader("Content-Length") {
			body, _ := resp.Content() // buffered: never an error
			resp.SetHeader("Content-Length", strconv.Itoa(len(body)))
		}
	}
	return resp, nil
}

// shouldRedirectWithSlash is Django's should_redirect_with_slash: APPEND_SLASH
// is on, PathInfo lacks a trailing slash and does not resolve, and
// PathInfo + "/" resolves to a route that allows it. An error from the
// resolver other than a 404 (a converter that fails) is returned, as
// Django's is_valid_path lets it through.
func (l *commonLayer) shouldRedirectWithSlash(r *manouche.Request) (bool, error) {
	if !l.appendSlash || strings.HasSuffix(r.PathInfo, "/") || r.URLConf == nil {
		return false, nil
	}
	if _, err := r.URLConf.Resolve(r.PathInfo); err == nil {
		return false, nil
	} else if !commonIsNotFound(err) {
		return false, err
	}
	match, err := r.URLConf.Resolve(r.PathInfo + "/")
	if err != nil {
		if commonIsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if v, ok := match.Attr(noAppendSlashKey{}); ok {
		if no, _ := v.(bool); no {
			return false, nil
		}
	}
	return true, nil
}

func commonIsNotFound(err error) bool {
	var nf *manouche.Http404
	return errors.As(err, &nf)
}

// fullPathWithSlash is Django's get_full_path_with_slash: the escaped
// path with a slash appended and the query string, a leading "//"
// escaped; with Debug, an error for a method whose body a redirect would
// lose.
func (l *commonLayer) fullPathWithSlash(r *manouche.Request) (string, error) {
	path := r.FullPathWithSlash()
	if strings.HasPrefix(path, "//") {
		// Not a scheme-relative URL to another host (SEMANTICS 45).
		path = "/%2F" + path[2:]
	}
	if l.debug {
		switch r.Method {
		case http.MethodDelete, http.MethodPost, http.MethodPut, http.MethodPatch:
			host, err := r.Host()
			if err != nil {
				return "", err
			}
			return "", fmt.Errorf("You called this URL via %[1]s, but the URL doesn't end in a slash "+
				"and you have APPEND_SLASH set. manouche can't redirect to the slash URL while "+
				"maintaining %[1]s data. Change your form to point to %[2]s (note the trailing "+
				"slash), or set DisableAppendSlash in your manouche settings.", r.Method, host+path)
		}
	}
	return path, nil
}
