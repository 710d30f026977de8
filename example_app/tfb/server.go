package tfb

import (
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
