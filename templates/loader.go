package templates

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// loader is one place templates are looked for: a directory of
// Config.Dirs or a file system of Config.FS (Django's filesystem and
// app_directories loaders).
type loader struct {
	fsys fs.FS
	dir  string // the absolute directory of a Dirs loader; "" for an FS loader
	// label names an FS loader in messages: "FS[1] (embed.FS)", or the
	// file system's own String.
	label string
}

// where returns how messages name the file name would be in l.
func (l *loader) where(name string) string {
	if l.dir != "" {
		return l.dir + string(filepath.Separator) + filepath.FromSlash(name)
	}
	return l.label + ": " + name
}

// Reasons a place was not used, as Django's template-loader postmortem
// words them.
const (
	reasonMissing = "Source does not exist"
	reasonDir     = "Source is a directory"
	reasonInvalid = "Not a valid template name: not searched"
)

// Tried is one place a template was looked for: one line of Django's
// template-loader postmortem.
type Tried struct {
	// Name is the template name looked for.
	Name string
	// Where is the file path, for a Dirs loader, or "FS[i] (type): name"
	// for an FS loader.
	Where string
	// Reason says why the place was not used, e.g. "Source does not
	// exist".
	Reason string
}

// DoesNotExistError is Django's TemplateDoesNotExist: none of Names was
// found by any loader. Tried lists every place searched, in order (the
// template-loader postmortem). errors.Is(err, fs.ErrNotExist) holds for it.
type DoesNotExistError struct {
	// Names are the names looked for: one, or the list of a
	// select-template (first found wins).
	Names []string
	// Tried lists every place searched, for every name, in order.
	Tried []Tried
}

// Error names the templates and every place searched.
func (e *DoesNotExistError) Error() string {
	var b strings.Builder
	b.WriteString("templates: TemplateDoesNotExist: ")
	for i, n := range e.Names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	b.WriteString("; searched: ")
	if len(e.Tried) == 0 {
		b.WriteString("nowhere")
	}
	for i, t := range e.Tried {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(t.Where)
		b.WriteString(" (")
		b.WriteString(t.Reason)
		b.WriteString(")")
	}
	return b.String()
}

// Is makes errors.Is(err, fs.ErrNotExist) hold.
func (e *DoesNotExistError) Is(target error) bool { return target == fs.ErrNotExist }

// source is a template file as read: its text and what identifies its
// version, for the Debug check.
type source struct {
	name   string // the template name
	where  string // the file, as messages name it
	text   string
	loader int // index into Engine.loaders
	mod    time.Time
	size   int64
}

// read finds name in the loaders, in order, and reads the first regular
// file found. It returns a nil source, and the places searched appended to
// tried, when no loader has it; an error only when a file exists but
// cannot be read.
func (e *Engine) read(name string, tried []Tried) (*source, []Tried, error) {
	if !fs.ValidPath(name) {
		return nil, invalid(e, name, tried), nil
	}
	for i := range e.loaders {
		l := &e.loaders[i]
		f, err := l.fsys.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			tried = append(tried, Tried{Name: name, Where: l.where(name), Reason: reasonMissing})
			continue
		}
		if err != nil {
			return nil, tried, fmt.Errorf("templates: opening %s: %w", l.where(name), err)
		}
		src, err := readOpen(f, name, l.where(name), i)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("templates: closing %s: %w", l.where(name), cerr)
		}
		if err != nil {
			return nil, tried, err
		}
		if src == nil {
			tried = append(tried, Tried{Name: name, Where: l.where(name), Reason: reasonDir})
			continue
		}
		return src, tried, nil
	}
	return nil, tried, nil
}

// readOpen reads the open file f; a directory gives a nil source.
func readOpen(f fs.File, name, where string, loader int) (*source, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", where, err)
	}
	if fi.IsDir() {
		return nil, nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("templates: reading %s: %w", where, err)
	}
	return &source{name: name, where: where, text: string(b), loader: loader, mod: fi.ModTime(), size: fi.Size()}, nil
}

// invalid records that name, which is not a valid template name (a
// leading "/", a ".." element, …), was looked for nowhere. Names are
// slash-separated paths relative to each loader, so no name reaches
// outside the loaders' directories.
func invalid(e *Engine, name string, tried []Tried) []Tried {
	for i := range e.loaders {
		tried = append(tried, Tried{Name: name, Where: e.loaders[i].label + ": " + name, Reason: reasonInvalid})
	}
	return tried
}

// locate returns the loader that has name now and the file's info, without
// reading it: the Debug check compares them with what was read.
func (e *Engine) locate(name string) (int, fs.FileInfo, bool) {
	for i := range e.loaders {
		fi, err := fs.Stat(e.loaders[i].fsys, name)
		if err == nil && !fi.IsDir() {
			return i, fi, true
		}
	}
	return -1, nil, false
}

// unchanged reports whether src is still the file a lookup of its name
// would read: found by the same loader, with the same modification time
// and size.
func (e *Engine) unchanged(src *source) bool {
	i, fi, ok := e.locate(src.name)
	return ok && i == src.loader && fi.ModTime().Equal(src.mod) && fi.Size() == src.size
}
