package signals

import (
	"log/slog"
	"net/http"
)

// RequestStarted is sent by the handler when a request arrives, before the
// framework request is built (Django's request_started, SEMANTICS 1). The
// sender is the handler; the context is the request's.
type RequestStarted struct {
	// Request is the incoming net/http request, as the server passed it
	// (Django's environ). Its own context is the server's: the request's
	// context, the one that carries its Scope, is the one the receiver is
	// given.
	Request *http.Request
}

// RequestFinished is sent once per request, when its final response is
// closed (Django's request_finished, SEMANTICS 49). The sender is the
// handler; the context is the request's (never cancelled, so cleanup can
// run), and it is how receivers find what belongs to that request and no
// other (DESIGN promise 2).
type RequestFinished struct {
	// Request is the net/http request as the server passed it, as in
	// RequestStarted: the request's context is the receiver's.
	Request *http.Request
}

// GotRequestException is sent when an error becomes a 500 (Django's
// got_request_exception, SEMANTICS 71): never for 404, 403 or 400.
type GotRequestException struct {
	// Request is the request's net/http request (manouche.Request.HTTP),
	// with the request's context.
	Request *http.Request
	Err     error
}

// Lifecycle holds the request-lifecycle signals of one handler. Each
// handler has its own: two applications in one process do not share
// receivers.
type Lifecycle struct {
	RequestStarted      *Signal[RequestStarted]
	RequestFinished     *Signal[RequestFinished]
	GotRequestException *Signal[GotRequestException]
}

// NewLifecycle returns a fresh set of lifecycle signals logging through
// logger (nil: slog.Default()).
func NewLifecycle(logger *slog.Logger) *Lifecycle {
	return &Lifecycle{
		RequestStarted:      New[RequestStarted]("request_started", logger),
		RequestFinished:     New[RequestFinished]("request_finished", logger),
		GotRequestException: New[GotRequestException]("got_request_exception", logger),
	}
}
