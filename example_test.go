package manouche_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/manouche/manouche"
)

// A response is closed exactly once: its closers run once, in order, then
// the after-close hooks (through which the handler sends
// request_finished), however often Close is called.
func ExampleResponse_Close() {
	resp := manouche.NewResponse(200, []byte("hello"), "text/plain; charset=utf-8")
	resp.AddCloser(manouche.CloserFunc(func() error {
		fmt.Println("file closed")
		return nil
	}))
	resp.AfterClose(func() { fmt.Println("request_finished") })
	resp.Close()
	resp.Close() // does nothing
	fmt.Println("closed:", resp.Closed())
	// Output:
	// file closed
	// request_finished
	// closed: true
}

// The request parses its query string lazily, as Django's request.GET:
// Get returns the last value, GetList all of them.
func ExampleRequest_GET() {
	hr := httptest.NewRequest("GET", "/search/?q=caf%C3%A9&tag=a&tag=b", nil)
	r := manouche.NewRequest(nil, hr, &manouche.Settings{AllowedHosts: []string{"*"}}, nil, "", hr.URL.Path)
	q, err := r.GET()
	if err != nil {
		panic(err)
	}
	fmt.Println(q.Get("q"), q.Get("tag"), q.GetList("tag"))
	// Output: café b [a b]
}

// Host validates the Host header against ALLOWED_HOSTS, with Django's
// rules and messages.
func ExampleRequest_Host() {
	hr := httptest.NewRequest("GET", "/", nil)
	hr.Host = "evil.example"
	r := manouche.NewRequest(nil, hr, &manouche.Settings{AllowedHosts: []string{".example.com"}}, nil, "", "/")
	_, err := r.Host()
	fmt.Println(err)
	fmt.Println(manouche.StatusFor(err))
	// Output:
	// Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS.
	// 400
}

// A response's headers, as Django's response["Vary"] = …,
// response.setdefault(…) and response.has_header(…). Until Header() is
// called they live inline in the response: no map is made.
func ExampleResponse_SetHeader() {
	resp := manouche.NewResponse(200, []byte("hello"), "text/plain; charset=utf-8")
	resp.SetHeader("Vary", "Cookie")
	resp.SetDefaultHeader("x-frame-options", "DENY") // keys are case-insensitive
	resp.SetDefaultHeader("Vary", "Accept-Encoding") // kept: Vary is set
	fmt.Println(resp.GetHeader("vary"), resp.GetHeader("X-Frame-Options"), resp.HasHeader("Server"))
	resp.DelHeader("Vary")
	fmt.Println(resp.Header()) // the http.Header, from now on live
	// Output:
	// Cookie DENY false
	// map[Content-Type:[text/plain; charset=utf-8] X-Frame-Options:[DENY]]
}
