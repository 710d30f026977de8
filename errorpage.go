package manouche

import "fmt"

// errorPage is Django's ERROR_PAGE_TEMPLATE.
const errorPage = `
<!doctype html>
<html lang="en">
<head>
  <title>%s</title>
</head>
<body>
  <h1>%s</h1><p>%s</p>
</body>
</html>
`

// DefaultErrorPage returns Django's default error page for 400, 403, 404
// or 500 (any other status gets the 500 page): what the handler answers
// when the URLconf declares no error view, and what the templates
// package falls back to when "404.html" and friends do not exist
// (SEMANTICS 95).
func DefaultErrorPage(status int) *Response {
	var title, details string
	switch status {
	case 404:
		title, details = "Not Found", "The requested resource was not found on this server."
	case 403:
		title = "403 Forbidden"
	case 400:
		title = "Bad Request (400)"
	default:
		status, title = 500, "Server Error (500)"
	}
	return NewResponse(status, fmt.Appendf(nil, errorPage, title, title, details), "")
}
