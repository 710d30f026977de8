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
// Django's startproject stack, one file each, every one correct for
// buffered, streaming, file, ranged, deferred-template, HEAD and 304
// responses and for views that flush or hijack (DESIGN promise 5). They
// read their settings from manouche.Settings, which the handler gives
// them once when it is built (Configurer): a bad pattern or value stops
// handler.New, as Django's checks stop a misconfigured project.
//
//   - Security: HTTPS redirect (SECURE_SSL_REDIRECT, exemptions, proxy
//     header), HSTS on secure requests, nosniff, Referrer-Policy,
//     Cross-Origin-Opener-Policy, each only when absent.
//   - Sessions(store): Django's request.session, lazy, saved in the
//     response phase only when modified; stores SignedCookies and, in
//     package sessiondb, a database table. SessionFrom reaches it.
//   - Common: APPEND_SLASH decided on the 404, PREPEND_WWW, disallowed
//     user agents, Content-Length on buffered bodies.
//   - CSRF: Django's masked-token scheme with Origin and Referer checks;
//     CSRFToken, CSRFInputFunc ({{csrf_input}}), RotateCSRFToken, and the
//     route attributes CSRFExempt and EnsureCSRFCookie.
//   - Messages: one-time flash messages in the session or a signed
//     cookie; MessagesFrom, and MessagesProcessor for templates.
//   - XFrameOptions: X-Frame-Options DENY (or SAMEORIGIN), XFrameExempt.
//   - GZip: compresses buffered bodies and, on the fly, streams and files;
//     never a 206; Vary and weak ETags.
//   - ConditionalGet: ETags for buffered GETs, RFC 9110 preconditions,
//     304 and 412; streams are never read.
//
// Default returns the first six in Django's order. Static serves
// STATIC_ROOT under STATIC_URL as WhiteNoise does, and goes right after
// Security; GZip goes first and ConditionalGet right after it:
//
//	mw := middleware.Default(sessiondb.New(dbm, db.DefaultAlias))
//	mw = slices.Insert(mw, 1, middleware.Static(staticConfig))
//	mw = append([]middleware.Factory{middleware.GZip(), middleware.ConditionalGet()}, mw...)
//
// Static answers conditional GETs, byte ranges, precompressed siblings
// and immutable caching of content-hashed names. CollectStatic fills
// STATIC_ROOT the way Django's collectstatic with a manifest storage does
// (hashed copies, rewritten CSS references, gzip siblings,
// staticfiles.json), and StaticStorage.URL resolves a name to its hashed
// URL for templates.
//
// The middleware that change only headers and cookies act in the
// response phase, before the handler writes anything, so they reach
// every response kind; a view that writes through
// Request.ResponseWriter (flushing or hijacking) has taken the response
// over, and what middleware add to the response object it returns is
// not sent.
package middleware
