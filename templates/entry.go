package templates

import (
	"bytes"
	"fmt"
	"html/template"
	"sync/atomic"

	"github.com/manouche/manouche"
)

// entry is a parsed template, as the engine caches it.
//
// html/template has no per-execution functions, and Clone is refused once
// a set has executed; but url and static must see the request being
// rendered. So the parsed set (master) is never executed: it is cloned
// into bindings, each with its own functions bound to its own state, and a
// render leases one binding for its whole execution. A binding is escaped
// by html/template on its first execution, then reused; at most poolSize
// idle bindings are kept, so an entry's memory is bounded.
type entry struct {
	name   string // the name looked up
	where  string // the file name was found in
	master *template.Template
	files  []*source // every file read, for the Debug check
	free   chan *binding
	// sizeHint is the length of the last output, to size the next buffer.
	sizeHint atomic.Int64
}

// binding is a clone of an entry's set whose functions see st.
type binding struct {
	set *template.Template
	st  state
}

func newEntry(name, where string, master *template.Template, files []*source, poolSize int) *entry {
	for _, f := range files {
		f.text = "" // parsed: only the version is kept
	}
	return &entry{name: name, where: where, master: master, files: files, free: make(chan *binding, poolSize)}
}

// fresh reports whether every file of the entry is still the one read.
func (en *entry) fresh(e *Engine) bool {
	for _, f := range en.files {
		if !e.unchanged(f) {
			return false
		}
	}
	return true
}

// lease returns an idle binding, or a new one.
func (en *entry) lease(e *Engine) (*binding, error) {
	select {
	case b := <-en.free:
		return b, nil
	default:
	}
	set, err := en.master.Clone()
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", en.where, err)
	}
	b := &binding{set: set, st: state{e: e}}
	set.Funcs(e.funcMap(&b.st))
	return b, nil
}

// release returns b to the idle bindings, or drops it when there are
// enough.
func (en *entry) release(b *binding) {
	b.st.r = nil
	select {
	case en.free <- b:
	default:
	}
}

// execute renders the entry for r with the context ctx.
func (en *entry) execute(e *Engine, r *manouche.Request, ctx map[string]any) ([]byte, error) {
	b, err := en.lease(e)
	if err != nil {
		return nil, err
	}
	b.st.r = r
	// The last output's length and an eighth: a page about the size it
	// was last time fits in one allocation, and the body is that buffer,
	// handed to the response uncopied.
	hint := en.sizeHint.Load()
	buf := bytes.NewBuffer(make([]byte, 0, max(hint+hint/8, 512)))
	err = b.set.Execute(buf, ctx)
	en.release(b)
	if err != nil {
		return nil, fmt.Errorf("templates: rendering %s (%s): %w", en.name, en.where, err)
	}
	en.sizeHint.Store(int64(buf.Len()))
	return buf.Bytes(), nil
}
