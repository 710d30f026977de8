package tfb

import (
	"net/http"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/middleware"
)

// ServerHeader is the value of the Server header ServerHeaderMiddleware
// sets.
const ServerHeader = "manouche"

// ServerHeaderMiddleware returns a layer that sets "Server: manouche" on
// every response that has no Server header (TFB requires one; net/http
// sets only Date). List it first, outermost, so that it sees every
// response, the other layers' early answers and error pages included.
func ServerHeaderMiddleware() middleware.Factory {
	return func(next middleware.Handler) (middleware.Middleware, error) {
		return serverHeader{next: next}, nil
	}
}

// serverHeader is the built layer.
type serverHeader struct{ next middleware.Handler }

// Name names the layer in messages.
func (serverHeader) Name() string { return "tfb.ServerHeaderMiddleware" }

// Serve calls the next layer and adds the header to its response.
func (l serverHeader) Serve(r *manouche.Request) (*manouche.Response, error) {
	resp := l.next(r)
	if resp.GetHeader("Server") == "" {
		resp.SetHeader("Server", ServerHeader)
	}
	return resp, nil
}

// ServerHeaderHandler returns h with "Server: manouche" set on every
// response, in net/http code around it, as a plain net/http server sets
// it: no layer in the stack (the example app serves this way, with or
// without middleware), and the only way for an app served with none.
// Headers the response sets are copied over it, so a view's own Server
// header wins, as with ServerHeaderMiddleware.
func ServerHeaderHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Server"] = serverValues
		h.ServeHTTP(w, r)
	})
}

// serverValues is the Server header's value slice, shared by every
// response rather than made for each: net/http only reads it, and code
// that changes the header (Set, Add, the handler's copy of a response's
// headers) replaces the slice or appends to it, capacity 1 making the
// append copy, never writes into it.
var serverValues = []string{ServerHeader}
