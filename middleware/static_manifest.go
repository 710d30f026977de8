package middleware

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/manouche/manouche"
)

// ManifestName is the name of the manifest in StaticRoot, as Django's
// ManifestStaticFilesStorage.
const ManifestName = "staticfiles.json"

// ManifestVersion is the manifest format CollectStatic writes.
const ManifestVersion = "1.1"

// ErrMissingManifestEntry is Django's "Missing staticfiles manifest entry":
// StaticStorage.URL returns it, wrapped with the name, for a name the
// manifest does not list.
var ErrMissingManifestEntry = errors.New("Missing staticfiles manifest entry")

// ErrManifestVersion is returned, wrapped, for a manifest that is not JSON
// or not of version 1.0 or 1.1 (Django's "Couldn't load manifest").
var ErrManifestVersion = errors.New("Couldn't load manifest")

// Manifest is Django's staticfiles.json: each collected name and the name
// of its content-hashed copy.
type Manifest struct {
	// Paths maps a name ("css/app.css") to its hashed name
	// ("css/app.3c9fe4a5b2d1.css").
	Paths map[string]string `json:"paths"`
	// Version is the format, "1.1".
	Version string `json:"version"`
	// Hash is the first 12 hex digits of the MD5 of the sorted paths, as
	// Django computes it; it changes whenever a file does.
	Hash string `json:"hash"`
}

// ReadManifest reads ManifestName from fsys (os.DirFS(StaticRoot), say).
// A missing manifest is an error wrapping fs.ErrNotExist; one that is not
// JSON, or of another version than 1.0 or 1.1, wraps ErrManifestVersion.
func ReadManifest(fsys fs.FS) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, ManifestName)
	if err != nil {
		return nil, fmt.Errorf("reading the static files manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w '%s': %w", ErrManifestVersion, ManifestName, err)
	}
	if m.Version != "1.0" && m.Version != "1.1" {
		return nil, fmt.Errorf("%w '%s' (version %q)", ErrManifestVersion, ManifestName, m.Version)
	}
	if m.Paths == nil {
		m.Paths = map[string]string{}
	}
	return &m, nil
}

// manifestHash is Django's manifest hash: the MD5 of
// json.dumps(sorted(paths.items())), first 12 hex digits.
func manifestHash(paths map[string]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, k := range slices.Sorted(maps.Keys(paths)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[" + pyJSONString(k) + ", " + pyJSONString(paths[k]) + "]")
	}
	b.WriteByte(']')
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// encode returns the manifest as Django writes it (Python's json.dumps:
// ", " and ": " separators, non-ASCII escaped), the paths sorted.
func (m *Manifest) encode() []byte {
	var b strings.Builder
	b.WriteString(`{"paths": {`)
	for i, k := range slices.Sorted(maps.Keys(m.Paths)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyJSONString(k) + ": " + pyJSONString(m.Paths[k]))
	}
	b.WriteString(`}, "version": ` + pyJSONString(m.Version) + `, "hash": ` + pyJSONString(m.Hash) + "}")
	return []byte(b.String())
}

// pyJSONString quotes s as Python's json.dumps does with ensure_ascii:
// every character outside ASCII as \uXXXX (UTF-16).
func pyJSONString(s string) string {
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	u4 := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[(r>>shift)&0xf])
		}
	}
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			u4(r)
		case r <= 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			u4(r1)
			u4(r2)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// StaticStorage turns the name of a static file into its URL, as Django's
// staticfiles_storage.url (the {% static %} tag): StaticURL followed by
// the content-hashed name the manifest gives. The templates package's
// static function calls URL. It is safe for concurrent use.
type StaticStorage struct {
	url      string
	debug    bool
	manifest *Manifest
}

// NewStaticStorage returns the storage for settings s (StaticURL, Debug)
// and manifest m, which may be nil when there is none.
func NewStaticStorage(s manouche.Settings, m *Manifest) *StaticStorage {
	return &StaticStorage{url: s.StaticURL, debug: s.Debug, manifest: m}
}

// LoadStaticStorage reads the manifest from s.StaticRoot, if there is one,
// and returns the storage. Without a manifest (or without a StaticRoot)
// names are not hashed; a manifest that cannot be read is an error.
func LoadStaticStorage(s manouche.Settings) (*StaticStorage, error) {
	if s.StaticRoot == "" {
		return NewStaticStorage(s, nil), nil
	}
	m, err := ReadManifest(os.DirFS(s.StaticRoot))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return NewStaticStorage(s, m), nil
}

// Manifest returns the storage's manifest, nil when there is none.
func (s *StaticStorage) Manifest() *Manifest { return s.manifest }

// URL returns the URL of the static file name ("css/app.css"): StaticURL
// followed by its hashed name from the manifest, percent-encoded as
// Django's filepath_to_uri. A query or fragment in name is kept
// ("font.eot?#iefix"). A name the manifest does not list is an error
// wrapping ErrMissingManifestEntry: "Missing staticfiles manifest entry for
// 'css/app.css'" (Django's manifest_strict). Without a manifest, and with
// Debug (as Django does under DEBUG), the name is not hashed.
func (s *StaticStorage) URL(name string) (string, error) {
	clean, suffix := name, ""
	if i := strings.IndexAny(name, "?#"); i >= 0 {
		clean, suffix = name[:i], name[i:]
	}
	if u, err := url.PathUnescape(clean); err == nil {
		clean = u
	}
	clean = strings.TrimSpace(clean)
	if s.manifest != nil && !s.debug {
		hashed, ok := s.manifest.Paths[clean]
		if !ok {
			return "", fmt.Errorf("%w for '%s'", ErrMissingManifestEntry, clean)
		}
		clean = hashed
	}
	return s.url + filepathToURI(strings.TrimLeft(clean, "/")) + suffix, nil
}

// filepathToURI is Django's filepath_to_uri: every byte percent-encoded
// except letters, digits and _.-~/!*()'.
func filepathToURI(p string) string {
	const hexDigits = "0123456789ABCDEF"
	safe := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("_.-~/!*()'", c) >= 0
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if !safe(p[i]) {
			n++
		}
	}
	if n == 0 {
		return p
	}
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if safe(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(b)
}
