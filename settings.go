package manouche

// Settings are the core settings of one handler, named after Django's. They
// are a value handed to the handler, never a global: two handlers in one
// process do not share them. Database settings live in package db.
//
// For the size limits, 0 means Django's default and a negative value means
// no limit (Django's None).
type Settings struct {
	// Debug turns on the technical 404 and 500 pages and the
	// ALLOWED_HOSTS defaults for local development. Never in production.
	Debug bool
	// AllowedHosts lists the host names this site serves: "example.com",
	// ".example.com" (the domain and its subdomains) or "*". With Debug and
	// an empty list, ".localhost", "127.0.0.1" and "[::1]" are allowed.
	AllowedHosts []string
	// SecretKey signs cookies and tokens. Required by the middleware that
	// sign; masked on the DEBUG 500 page.
	SecretKey string
	// UseXForwardedHost makes Host() prefer the X-Forwarded-Host header.
	UseXForwardedHost bool
	// ForceScriptName, when not nil, overrides the mount prefix found from
	// the request (Django's FORCE_SCRIPT_NAME).
	ForceScriptName *string
	// DataUploadMaxMemorySize caps the request body read into memory
	// (Content-Length is checked before reading); default 2.5 MiB. Multipart
	// file parts do not count.
	DataUploadMaxMemorySize int64
	// DataUploadMaxNumberFields caps the number of GET and POST parameters;
	// default 1000.
	DataUploadMaxNumberFields int
	// DataUploadMaxNumberFiles caps the number of uploaded files; default 100.
	DataUploadMaxNumberFiles int
	// FileUploadMaxMemorySize is the size above which an uploaded file is
	// spooled to a temporary file; default 2.5 MiB.
	FileUploadMaxMemorySize int64
	// FileUploadTempDir is where spooled uploads go; default os.TempDir().
	FileUploadTempDir string
	// StaticURL is the URL prefix of the static files (Django's
	// STATIC_URL), such as "/static/"; it ends with "/".
	StaticURL string
	// StaticRoot is the directory the static files are collected into and
	// served from (Django's STATIC_ROOT).
	StaticRoot string
}

const (
	defaultMaxMemory = 2621440
	defaultMaxFields = 1000
	defaultMaxFiles  = 100
)

// limit applies Django's defaults: 0 means def, negative means no limit
// (-1).
func limit[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// MaxMemorySize returns DataUploadMaxMemorySize with the default applied;
// -1 means no limit.
func (s *Settings) MaxMemorySize() int64 { return limit(s.DataUploadMaxMemorySize, defaultMaxMemory) }

// MaxNumberFields returns DataUploadMaxNumberFields with the default
// applied; -1 means no limit.
func (s *Settings) MaxNumberFields() int { return limit(s.DataUploadMaxNumberFields, defaultMaxFields) }

// MaxNumberFiles returns DataUploadMaxNumberFiles with the default applied;
// -1 means no limit.
func (s *Settings) MaxNumberFiles() int { return limit(s.DataUploadMaxNumberFiles, defaultMaxFiles) }

// FileMemorySize returns FileUploadMaxMemorySize with the default applied.
func (s *Settings) FileMemorySize() int64 {
	return limit(s.FileUploadMaxMemorySize, defaultMaxMemory)
}
