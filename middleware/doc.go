// Package middleware is manouche's middleware contract: Django's modern
// MIDDLEWARE onion, in Go.
//
// A Factory is called once, when the handler is built, with the next layer
// (a Handler, Django's get_response) and returns the layer (a Middleware).
// Layers are entered in the order listed and left in reverse; a layer that
// answers without calling next hides the request from the layers inside
// it. An error or panic leaving a layer becomes a response at its own
// boundary, so the layer outside always gets a response.
//
// A layer may also implement ViewProcessor (process_view, run in order
// after resolving), ExceptionProcessor (process_exception, run in reverse
// for a view or render error) and TemplateResponseProcessor
// (process_template_response, run in reverse before a deferred response is
// rendered). Hooks adapts a value with Django-style ProcessRequest and
// ProcessResponse methods (MiddlewareMixin); FromHTTP places any
// func(http.Handler) http.Handler — chi's middleware, for one — inside the
// onion.
//
// # Built-in middleware
//
// Static serves STATIC_ROOT under STATIC_URL as WhiteNoise does: an index
// built once, conditional GETs, byte ranges, precompressed siblings and
// immutable caching of content-hashed names. CollectStatic fills
// STATIC_ROOT the way Django's collectstatic with a manifest storage does
// (hashed copies, rewritten CSS references, gzip siblings,
// staticfiles.json), and StaticStorage.URL resolves a name to its hashed
// URL for templates.
package middleware
