// Package response builds the framework's responses: Django's HttpResponse
// subclasses, written as constructors that return a *manouche.Response.
//
//	HttpResponse(content)                  HTML(body), Text(body), Bytes(status, body, ct)
//	JsonResponse(data)                     JSON(v), JSONStatus(status, v)
//	HttpResponseRedirect(url)              Redirect(url)            302
//	HttpResponsePermanentRedirect(url)     PermanentRedirect(url)   301
//	HttpResponseNotModified()              NotModified()            304
//	HttpResponseBadRequest(content)        BadRequest(body)         400
//	HttpResponseForbidden(content)         Forbidden(body)          403
//	HttpResponseNotFound(content)          NotFound(body)           404
//	HttpResponseNotAllowed(methods)        NotAllowed(methods...)   405
//	HttpResponseGone(content)              Gone(body)               410
//	HttpResponseServerError(content)       ServerError(body)        500
//	StreamingHttpResponse(iterable)        Stream(f), StreamSeq(seq)
//	FileResponse(f, as_attachment, …)      File(r, f, Attachment(name), …)  with byte ranges
//
// The responses are ordinary *manouche.Response values: middleware read
// and change them, and the handler writes and closes them (DESIGN
// promise 1), whatever built them.
//
// A view returns one of them, or an error:
//
//	func hello(r *manouche.Request) (*manouche.Response, error) {
//		return response.HTML("<p>Hello</p>"), nil
//	}
//
//	func moved(r *manouche.Request) (*manouche.Response, error) {
//		return response.PermanentRedirect("/polls/")
//	}
//
// # Decisions
//
// Redirect and PermanentRedirect fail with a DisallowedRedirect
// *manouche.SuspiciousOperation, which the handler answers with 400, for a
// target whose scheme is not http, https or ftp (SEMANTICS 65) and for one
// longer than MaxRedirectLength characters; the Location header is the
// target with non-ASCII and unsafe characters percent-encoded, as Django's
// iri_to_uri. Relative targets are allowed, and no host check is made:
// that is url_has_allowed_host_and_scheme's job, not the response's.
//
// JSON does not escape <, > and & (encoding/json does by default; Django's
// DjangoJSONEncoder does not), so the body is exactly the data. A JSON body
// is not safe to paste into an HTML <script> element; use html/template for
// that. Unlike Django (ensure_ascii), non-ASCII text is sent as UTF-8, not
// as \u escapes, and there are no spaces after ':' and ','; both are the
// same JSON. Any value may be encoded, not only maps (Django's safe=True
// guard is deprecated in Django 6.2).
//
// Constructors that take a status check it (SEMANTICS 12): JSONStatus
// returns an error wrapping ErrInvalidStatus, and Bytes, which has no error
// result, panics, as a programming error.
//
// StreamSeq turns a range-over-func iterator into a streaming body. When a
// write fails (the client went away) or the request's context is done, the
// loop stops, so the iterator's deferred cleanup runs at once: the Go
// analogue of the GeneratorExit that Django's close raises in a generator
// (SEMANTICS 53). An iterator that never runs (the response was replaced
// by middleware, or never written) never runs its defers either: resources
// opened before the iterator starts belong on Response.AddCloser.
package response
