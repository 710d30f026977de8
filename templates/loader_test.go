package templates_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/templates"
)

// Dirs come before FS, each list in order; the first file found wins.
func TestLoaderOrder(t *testing.T) {
	dir1 := writeDir(t, "shared.html", "dir1", "only1.html", "only dir1", "sub/deep.html", "deep in dir1")
	dir2 := writeDir(t, "shared.html", "dir2", "only2.html", "only dir2")
	fs1 := mapFS("shared.html", "fs1", "app.html", "fs1 app", "polls/detail.html", "fs1 detail")
	fs2 := mapFS("app.html", "fs2 app", "only-fs2.html", "fs2")
	e := engine(t, templates.Config{Dirs: []string{dir1, dir2}, FS: []fs.FS{fs1, fs2}})
	tests := []struct{ name, want string }{
		{"shared.html", "dir1"},
		{"only1.html", "only dir1"},
		{"only2.html", "only dir2"},
		{"sub/deep.html", "deep in dir1"},
		{"app.html", "fs1 app"},
		{"polls/detail.html", "fs1 detail"},
		{"only-fs2.html", "fs2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(e, tt.name, nil)
			if err != nil || got != tt.want {
				t.Errorf("render(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}

// A missing template is Django's TemplateDoesNotExist with the
// template-loader postmortem: every place searched, in order.
func TestMissingTemplateListsEveryPlace(t *testing.T) {
	dir1 := writeDir(t, "x.html", "x")
	dir2 := writeDir(t, "sub/dir.html/keep", "a directory named like a template")
	fsys := mapFS("y.html", "y")
	e := engine(t, templates.Config{Dirs: []string{dir1, dir2}, FS: []fs.FS{fsys}})
	fsLabel := "FS[0] (fstest.MapFS)"
	tests := []struct {
		name  string
		names []string
		tried []templates.Tried
	}{
		{
			name:  "one name",
			names: []string{"missing.html"},
			tried: []templates.Tried{
				{Name: "missing.html", Where: filepath.Join(dir1, "missing.html"), Reason: "Source does not exist"},
				{Name: "missing.html", Where: filepath.Join(dir2, "missing.html"), Reason: "Source does not exist"},
				{Name: "missing.html", Where: fsLabel + ": missing.html", Reason: "Source does not exist"},
			},
		},
		{
			name:  "a directory is not a template",
			names: []string{"sub/dir.html"},
			tried: []templates.Tried{
				{Name: "sub/dir.html", Where: filepath.Join(dir1, "sub", "dir.html"), Reason: "Source does not exist"},
				{Name: "sub/dir.html", Where: filepath.Join(dir2, "sub", "dir.html"), Reason: "Source is a directory"},
				{Name: "sub/dir.html", Where: fsLabel + ": sub/dir.html", Reason: "Source does not exist"},
			},
		},
		{
			name:  "names outside the loaders are searched nowhere",
			names: []string{"../x.html"},
			tried: []templates.Tried{
				{Name: "../x.html", Where: dir1 + ": ../x.html", Reason: "Not a valid template name: not searched"},
				{Name: "../x.html", Where: dir2 + ": ../x.html", Reason: "Not a valid template name: not searched"},
				{Name: "../x.html", Where: fsLabel + ": ../x.html", Reason: "Not a valid template name: not searched"},
			},
		},
		{
			name:  "absolute names too",
			names: []string{filepath.ToSlash(filepath.Join(dir1, "x.html"))},
			tried: nil, // checked by count below
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderNames(e, tt.names)
			var dne *templates.DoesNotExistError
			if !errors.As(err, &dne) {
				t.Fatalf("error = %v, want a *DoesNotExistError", err)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = false")
			}
			if manouche.StatusFor(err) != 500 {
				t.Errorf("StatusFor = %d, want 500", manouche.StatusFor(err))
			}
			if strings.Join(dne.Names, ",") != strings.Join(tt.names, ",") {
				t.Errorf("Names = %q, want %q", dne.Names, tt.names)
			}
			if tt.tried == nil {
				if len(dne.Tried) != 3 {
					t.Errorf("Tried = %+v, want 3 places", dne.Tried)
				}
				return
			}
			if len(dne.Tried) != len(tt.tried) {
				t.Fatalf("Tried = %+v\nwant %+v", dne.Tried, tt.tried)
			}
			for i := range tt.tried {
				if dne.Tried[i] != tt.tried[i] {
					t.Errorf("Tried[%d] = %+v, want %+v", i, dne.Tried[i], tt.tried[i])
				}
				if msg := err.Error(); !strings.Contains(msg, tt.tried[i].Where+" ("+tt.tried[i].Reason+")") {
					t.Errorf("message %q does not list %s", msg, tt.tried[i].Where)
				}
			}
		})
	}
}

// Every name of a select-template list is searched everywhere before the
// error, which lists them all.
func TestSelectTemplate(t *testing.T) {
	e := engine(t, templates.Config{FS: []fs.FS{mapFS("b.html", "B", "c.html", "C")}})
	tests := []struct {
		names   []string
		want    string
		missing int // places in the postmortem when nothing is found
	}{
		{[]string{"b.html"}, "B", 0},
		{[]string{"a.html", "b.html", "c.html"}, "B", 0},
		{[]string{"c.html", "b.html"}, "C", 0},
		{[]string{"a.html", "z.html"}, "", 2},
	}
	for _, tt := range tests {
		got, err := renderNames(e, tt.names)
		if tt.missing == 0 {
			if err != nil || string(got) != tt.want {
				t.Errorf("%q: render = %q, %v; want %q", tt.names, got, err, tt.want)
			}
			continue
		}
		var dne *templates.DoesNotExistError
		if !errors.As(err, &dne) || len(dne.Tried) != tt.missing {
			t.Fatalf("%q: error = %v, want a *DoesNotExistError with %d places", tt.names, err, tt.missing)
		}
		if msg := err.Error(); !strings.Contains(msg, `"a.html", "z.html"`) || !strings.Contains(msg, "a.html (Source") || !strings.Contains(msg, "z.html (Source") {
			t.Errorf("message %q does not name both templates and places", msg)
		}
	}
}

// An error other than "does not exist" is not a missing template.
func TestUnreadableTemplate(t *testing.T) {
	broken := fstest.MapFS{"t.html": &fstest.MapFile{Data: []byte("x")}}
	e := engine(t, templates.Config{FS: []fs.FS{failingFS{broken}}})
	_, err := render(e, "t.html", nil)
	var dne *templates.DoesNotExistError
	if err == nil || errors.As(err, &dne) || !errors.Is(err, errDisk) {
		t.Errorf("error = %v, want the disk error, not TemplateDoesNotExist", err)
	}
	if err != nil && !strings.Contains(err.Error(), "FS[0] (templates_test.failingFS): t.html") {
		t.Errorf("error %q does not say where", err)
	}
}

var errDisk = errors.New("disk on fire")

type failingFS struct{ fstest.MapFS }

func (f failingFS) Open(name string) (fs.File, error) {
	if name == "t.html" {
		return nil, errDisk
	}
	return f.MapFS.Open(name)
}
