package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Check parses every template the engine can find — each file of every
// loader whose name ends in one of exts (".html" when none is given),
// layouts and includes resolved — and returns every error found, joined:
// a syntax error with its file and line, an unknown function, a missing
// layout or include. It is the template part of a project's start-up
// checks (the example app's check command). Names a later loader hides
// behind an earlier one are parsed once, as found.
func (e *Engine) Check(exts ...string) error {
	if len(exts) == 0 {
		exts = []string{".html"}
	}
	seen := map[string]bool{}
	var errs []error
	for i := range e.loaders {
		l := &e.loaders[i]
		err := fs.WalkDir(l.fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || seen[name] || !hasSuffix(name, exts) {
				return nil
			}
			seen[name] = true
			if _, _, err := e.get(name); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("templates: walking %s: %w", l.label, err))
		}
	}
	return errors.Join(errs...)
}

func hasSuffix(name string, exts []string) bool {
	for _, x := range exts {
		if strings.HasSuffix(name, x) {
			return true
		}
	}
	return false
}
