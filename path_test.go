package manouche_test

import (
	"testing"

	"github.com/manouche/manouche"
)

// FullPath is Django's get_full_path: the decoded path escaped again as
// escape_uri_path does, then the raw query.
func TestFullPath(t *testing.T) {
	tests := []struct{ target, full, slash string }{
		{"/", "/", "/"},
		{"/a/b", "/a/b", "/a/b/"},
		{"/a/?x=1&y=%20", "/a/?x=1&y=%20", "/a/?x=1&y=%20"},
		{"/caf%C3%A9", "/caf%C3%A9", "/caf%C3%A9/"},
		{"/a%3Fb", "/a%3Fb", "/a%3Fb/"},
		{"/a%23b;c=d", "/a%23b%3Bc%3Dd", "/a%23b%3Bc%3Dd/"},
		{"/-_.~:@&+$,!*'()", "/-_.~:@&+$,!*'()", "/-_.~:@&+$,!*'()/"},
		{"/100%25", "/100%25", "/100%25/"},
	}
	for _, tt := range tests {
		r := prRequest(t, "GET", tt.target, nil, "", nil)
		if got := r.FullPath(); got != tt.full {
			t.Errorf("%s: FullPath() = %q, want %q", tt.target, got, tt.full)
		}
		if got := r.FullPathWithSlash(); got != tt.slash {
			t.Errorf("%s: FullPathWithSlash() = %q, want %q", tt.target, got, tt.slash)
		}
	}
	if got := manouche.EscapeURIPath("/a b/ü"); got != "/a%20b/%C3%BC" {
		t.Errorf("EscapeURIPath = %q", got)
	}
}
