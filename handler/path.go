package handler

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/manouche/manouche"
)

// splitPath finds the mount prefix (Django's SCRIPT_NAME) and the path
// below it (PATH_INFO), so that reverse() is right wherever the handler is
// mounted: FORCE_SCRIPT_NAME if set; under chi's Mount, the route path chi
// left to resolve; behind http.StripPrefix, what was stripped from the
// request URI. Bytes that are not UTF-8 are percent-encoded again
// (SEMANTICS 4).
func (h *Handler) splitPath(hr *http.Request) (scriptName, pathInfo string) {
	path := hr.URL.Path
	pathInfo = path
	if rctx := chi.RouteContext(hr.Context()); rctx != nil && rctx.RoutePath != "" {
		pathInfo = rctx.RoutePath
		if hr.URL.RawPath != "" {
			if p, err := url.PathUnescape(pathInfo); err == nil {
				pathInfo = p
			}
		}
		scriptName = strings.TrimSuffix(path, pathInfo)
	} else if orig := requestURIPath(hr); len(orig) > len(path) && strings.HasSuffix(orig, path) {
		scriptName = orig[:len(orig)-len(path)]
	}
	if f := h.settings.ForceScriptName; f != nil {
		scriptName = *f
	}
	if pathInfo == "" {
		pathInfo = "/"
	} else if pathInfo[0] != '/' {
		pathInfo = "/" + pathInfo
	}
	return strings.TrimSuffix(scriptName, "/"), manouche.RepercentBrokenUnicode(pathInfo)
}

// requestURIPath returns the decoded path of the request line, as the
// client sent it, before any http.StripPrefix.
func requestURIPath(hr *http.Request) string {
	uri := hr.RequestURI
	if uri == "" || uri[0] != '/' {
		return ""
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if uri == hr.URL.Path {
		return uri // nothing escaped, nothing stripped: the common case
	}
	p, err := url.PathUnescape(uri)
	if err != nil {
		return ""
	}
	return p
}
