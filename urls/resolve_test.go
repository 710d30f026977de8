package urls

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/manouche/manouche"
)

// SEMANTICS 31: the root matches a leading "/", patterns are tried in
// order and the first match wins; an include consumes its prefix.
func TestFirstMatchWins(t *testing.T) {
	c := mustNew(t, []Pattern{
		Path("both/", emptyView, Name("first")),
		RePath(`^both/$`, otherView, Name("second")),
		Include("inc/", []Pattern{
			Path("x/", emptyView, Name("inner-x")),
			Path("<int:n>/", emptyView, Name("inner-int")),
		}),
		Path("inc/x/", otherView, Name("outer-x")),
		Path("inc/y/", otherView, Name("outer-y")),
		Include("a/", []Pattern{Include("b/", []Pattern{Path("c/", emptyView, Name("abc"))})}),
		Path("<slug:s>/", thirdView, Name("slug")),
		Path("<int:n>/", thirdView, Name("never")),
	})
	tests := []struct {
		path, name, route string
	}{
		{"/both/", "first", "both/"},
		{"/inc/x/", "inner-x", "inc/x/"},         // the include comes first
		{"/inc/5/", "inner-int", "inc/<int:n>/"}, // the include consumed "inc/"
		{"/inc/y/", "outer-y", "inc/y/"},         // no child matched: the next sibling
		{"/a/b/c/", "abc", "a/b/c/"},
		{"/123/", "slug", "<slug:s>/"}, // a slug first: int never wins
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := mustResolve(t, c, tt.path)
			if m.URLName != tt.name || m.Route != tt.route {
				t.Errorf("got %q (%q), want %q (%q)", m.URLName, m.Route, tt.name, tt.route)
			}
		})
	}
	for _, p := range []string{"both/", "", "inc/z/", "/a/b/"} {
		_, err := c.Resolve(p)
		nf := http404(t, err)
		if !strings.HasPrefix(p, "/") && (nf.Path != p || nf.Tried != nil) {
			t.Errorf("Resolve(%q): Path %q Tried %v, want the whole path and no tried", p, nf.Path, nf.Tried)
		}
	}
}

// SEMANTICS 33: endpoint routes end with an end-of-string anchor (a
// trailing newline never matches); a route without converters is
// compared literally (equality for endpoints, prefix for includes).
func TestEndAnchorAndLiteralRoutes(t *testing.T) {
	ws := " \t\n\r\v\f"
	c := mustNew(t, []Pattern{
		Path("articles/2003/", emptyView, Name("articles-2003")),
		Path("articles/<int:year>/", emptyView, Name("articles-year")),
		Include("included_urls/", []Pattern{Path("extra/<extra>/", emptyView, Name("inner-extra"))}),
		RePath(`^regex/(?P<pk>[0-9]+)/$`, emptyView, Name("regex")),
		Path("users/", emptyView, Name("users")),
		Path("users/<id>/", emptyView, Name("user")),
		Path("space"+ws+"/<int:num>/", emptyView, Name("space")),
		Include("lit", []Pattern{Path("eral/", emptyView, Name("literal-include"))}),
		Path("<lang>/<path:url>/", emptyView, Name("lang-and-path")),
	})
	for _, p := range []string{
		"/articles/2003/\n",
		"/articles/2010/\n",
		"/en/foo/\n",
		"/included_urls/extra/\n",
		"/regex/1/\n",
		"/users/1/\n",
		"/articles/2003", // equality, not prefix
		"/users",
	} {
		t.Run(p, func(t *testing.T) {
			_, err := c.Resolve(p)
			http404(t, err)
		})
	}
	tests := []struct {
		path, name string
		kwargs     map[string]any
	}{
		{"/articles/2003/", "articles-2003", nil},
		{"/articles/2015/", "articles-year", map[string]any{"year": 2015}},
		{"/en/foo/", "lang-and-path", map[string]any{"lang": "en", "url": "foo"}},
		{"/space" + ws + "/1/", "space", map[string]any{"num": 1}}, // whitespace is fine outside <…>
		{"/literal/", "literal-include", nil},                      // a prefix, not a segment
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := mustResolve(t, c, tt.path)
			if m.URLName != tt.name || !eqKw(m.Kwargs, tt.kwargs) {
				t.Errorf("got %q %v, want %q %v", m.URLName, m.Kwargs, tt.name, tt.kwargs)
			}
		})
	}
}

// SEMANTICS 36: regex patterns are searched; named groups become kwargs
// (unnamed ones are then ignored), otherwise groups are positional args;
// named groups that did not take part are left out; an endpoint regex
// ending in $ must match the whole rest.
func TestRegexGroups(t *testing.T) {
	c := mustNew(t, []Pattern{
		RePath(`^regex_optional/(?P<arg1>\d+)/(?:(?P<arg2>\d+)/)?`, emptyView, Name("regex_optional")),
		RePath(`^regex_only_optional/(?:(?P<arg1>\d+)/)?`, emptyView, Name("regex_only_optional")),
		RePath(`^mixed_args/(\d+)/(?P<arg2>\d+)/$`, emptyView, Name("mixed-args")),
		RePath(`^no_kwargs/(\d+)/(\d+)/$`, emptyView, Name("no-kwargs")),
		RePath(`^optional_arg/(\d+)?x/$`, emptyView, Name("optional-arg")),
		RePath(`full/$`, emptyView, Name("full")),    // "$": fullmatch
		RePath(`search/`, emptyView, Name("search")), // no "$": search
		RePath(`^(?P<one>[0-9]+)|(?P<two>[0-9]+)/$`, emptyView, Name("alternation")),
	})
	tests := []struct {
		path, name string
		args       []any
		kwargs     map[string]any
	}{
		{"/regex_optional/1/2/", "regex_optional", nil, map[string]any{"arg1": "1", "arg2": "2"}},
		{"/regex_optional/1/", "regex_optional", nil, map[string]any{"arg1": "1"}},
		{"/regex_only_optional/", "regex_only_optional", nil, nil},
		{"/mixed_args/1/2/", "mixed-args", nil, map[string]any{"arg2": "2"}},
		{"/no_kwargs/1/2/", "no-kwargs", []any{"1", "2"}, nil},
		{"/optional_arg/x/", "optional-arg", []any{nil}, nil},
		{"/optional_arg/7x/", "optional-arg", []any{"7"}, nil},
		{"/full/", "full", nil, nil},
		{"/xx/search/yy", "search", nil, nil},
		{"/42", "alternation", nil, map[string]any{"one": "42"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := mustResolve(t, c, tt.path)
			if m.URLName != tt.name || !eqArgs(m.Args, tt.args) || !eqKw(m.Kwargs, tt.kwargs) {
				t.Errorf("got %q %#v %#v, want %q %#v %#v", m.URLName, m.Args, m.Kwargs, tt.name, tt.args, tt.kwargs)
			}
			if !eqKw(m.CapturedKwargs, tt.kwargs) {
				t.Errorf("CapturedKwargs %v, want %v", m.CapturedKwargs, tt.kwargs)
			}
		})
	}
	if _, err := c.Resolve("/xfull/"); err == nil {
		t.Error(`"full/$" matched "xfull/": an endpoint regex ending in $ must match all of the rest`)
	}
}

// SEMANTICS 37: the extra kwargs of a pattern override captured values;
// include kwargs apply to every pattern below; args captured by an
// include are put in front only when there are no kwargs at all.
func TestKwargsMerging(t *testing.T) {
	c := mustNew(t, []Pattern{
		Path("x/<int:pk>/", emptyView, Name("x"), Kwargs(map[string]any{"pk": 5})),
		Path("books/2007/", emptyView, Name("books-2007"), Kwargs(map[string]any{"extra": true})),
		Include("", []Pattern{
			RePath(`^more/(?P<extra>\w+)/$`, emptyView, Name("inner-more")),
		}, Kwargs(map[string]any{"sub-extra": true})),
		Include("org/<int:org>/", []Pattern{
			Path("defaulted/<int:pk>/", emptyView, Name("defaulted"), Kwargs(map[string]any{"pk": 3, "verified": true})),
			Path("plain/<int:b>/", emptyView, Name("plain")),
		}, Kwargs(map[string]any{"org": 0, "b": 1, "c": 2})),
		ReInclude(`^outer-no-kwargs/([0-9]+)/`, []Pattern{
			RePath(`^inner-no-kwargs/([0-9]+)/$`, emptyView, Name("inner-no-kwargs")),
			RePath(`^inner-kwargs/(?P<k>[0-9]+)/$`, emptyView, Name("inner-kwargs")),
		}),
		ReInclude(`^outer-defaults/([0-9]+)/`, []Pattern{
			RePath(`^inner/([0-9]+)/$`, emptyView, Name("inner-defaults")),
		}, Kwargs(map[string]any{"d": 1})),
	})
	tests := []struct {
		path, name      string
		args            []any
		kwargs, cap, ex map[string]any
	}{
		{"/x/9/", "x", nil, map[string]any{"pk": 5}, map[string]any{"pk": 9}, map[string]any{"pk": 5}},
		{"/books/2007/", "books-2007", nil, map[string]any{"extra": true}, nil, map[string]any{"extra": true}},
		{"/more/99/", "inner-more", nil,
			map[string]any{"extra": "99", "sub-extra": true}, map[string]any{"extra": "99"}, map[string]any{"sub-extra": true}},
		// Django's order: the include's capture, its default kwargs, then
		// the endpoint's capture and its extra kwargs.
		{"/org/12/defaulted/9/", "defaulted", nil,
			map[string]any{"org": 0, "b": 1, "c": 2, "pk": 3, "verified": true},
			map[string]any{"pk": 9},
			map[string]any{"org": 0, "b": 1, "c": 2, "pk": 3, "verified": true}},
		{"/org/12/plain/7/", "plain", nil,
			map[string]any{"org": 0, "b": 7, "c": 2}, map[string]any{"b": 7}, map[string]any{"org": 0, "b": 1, "c": 2}},
		{"/outer-no-kwargs/42/inner-no-kwargs/1/", "inner-no-kwargs", []any{"42", "1"}, nil, nil, nil},
		{"/outer-no-kwargs/42/inner-kwargs/1/", "inner-kwargs", nil, map[string]any{"k": "1"}, map[string]any{"k": "1"}, nil},
		{"/outer-defaults/42/inner/1/", "inner-defaults", []any{"1"}, map[string]any{"d": 1}, nil, map[string]any{"d": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := mustResolve(t, c, tt.path)
			if m.URLName != tt.name || !eqArgs(m.Args, tt.args) || !eqKw(m.Kwargs, tt.kwargs) {
				t.Errorf("got %q %#v %#v, want %q %#v %#v", m.URLName, m.Args, m.Kwargs, tt.name, tt.args, tt.kwargs)
			}
			if !eqKw(m.CapturedKwargs, tt.cap) || !eqKw(m.ExtraKwargs, tt.ex) {
				t.Errorf("captured %v extra %v, want %v %v", m.CapturedKwargs, m.ExtraKwargs, tt.cap, tt.ex)
			}
		})
	}
}

// SEMANTICS 38: the match exposes the view, args, kwargs, captured and
// extra kwargs, URL name, joined route, app names, namespaces and the
// route attributes (inner ones win).
func TestResolverMatchFields(t *testing.T) {
	type csrfExempt struct{}
	c := mustNew(t, []Pattern{
		Include("included_urls/", []Pattern{
			Include("", []Pattern{
				RePath(`^more/(?P<extra>\w+)/$`, otherView, Name("inner-more"), Attr("level", "leaf")),
			}, AppName("more"), Namespace("more-ns"), Attr("level", "inner")),
			Path("plain/", emptyView, Attr(csrfExempt{}, false)),
		}, AppName("outer-app"), Attr(csrfExempt{}, true), Attr("level", "outer")),
		Path("articles/<int:year>/<int:month>/<int:day>/", emptyView, Name("articles-year-month-day")),
	})
	m := mustResolve(t, c, "/included_urls/more/some_value/")
	want := &manouche.ResolverMatch{
		View:           otherView,
		Kwargs:         map[string]any{"extra": "some_value"},
		CapturedKwargs: map[string]any{"extra": "some_value"},
		URLName:        "inner-more",
		Route:          `included_urls/more/(?P<extra>\w+)/$`,
		AppNames:       []string{"outer-app", "more"},
		Namespaces:     []string{"outer-app", "more-ns"},
		Attrs:          map[any]any{csrfExempt{}: true, "level": "leaf"},
	}
	if !sameView(m.View, want.View) {
		t.Errorf("View is %s", manouche.FuncName(m.View))
	}
	m.View, want.View = nil, nil
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got\n%#v\nwant\n%#v", m, want)
	}
	if m.ViewName() != "outer-app:more-ns:inner-more" || m.AppName() != "outer-app:more" || m.Namespace() != "outer-app:more-ns" {
		t.Errorf("ViewName %q AppName %q Namespace %q", m.ViewName(), m.AppName(), m.Namespace())
	}
	m = mustResolve(t, c, "/included_urls/plain/")
	if v, _ := m.Attr(csrfExempt{}); v != false {
		t.Errorf("inner attribute lost: %v", m.Attrs)
	}
	if m.ViewName() != "outer-app:"+manouche.FuncName(emptyView) {
		t.Errorf("unnamed ViewName %q", m.ViewName())
	}
	m = mustResolve(t, c, "/articles/2015/04/12/")
	if m.Route != "articles/<int:year>/<int:month>/<int:day>/" || !eqKw(m.Kwargs, map[string]any{"year": 2015, "month": 4, "day": 12}) || m.Args != nil {
		t.Errorf("got %q %v %v", m.Route, m.Kwargs, m.Args)
	}
}

// ResolveInto writes the whole match, whatever m held before, the same as
// Resolve's; on an error it leaves m as it was.
func TestResolveInto(t *testing.T) {
	c := mustNew(t, []Pattern{
		Include("inc/<slug:s>/", []Pattern{
			RePath(`^re/(\d+)/$`, otherView, Name("re")),
			Path("p/<int:n>/", thirdView, Name("p"), Kwargs(map[string]any{"k": 1})),
		}, Namespace("ns"), AppName("app"), Attr("a", 1)),
		Path("plain/", emptyView, Name("plain")),
	})
	for _, path := range []string{"/plain/", "/inc/x/re/12/", "/inc/y/p/3/"} {
		want := mustResolve(t, c, path)
		m := manouche.ResolverMatch{ // a match left from before
			View: emptyView, Args: []any{"old"}, Kwargs: map[string]any{"old": 1},
			CapturedKwargs: map[string]any{"old": 1}, ExtraKwargs: map[string]any{"old": 1},
			URLName: "old", Route: "old/", AppNames: []string{"old"}, Namespaces: []string{"old"},
			Attrs: map[any]any{"old": true},
		}
		if err := c.ResolveInto(path, &m); err != nil {
			t.Fatalf("ResolveInto(%q): %v", path, err)
		}
		if !sameView(m.View, want.View) {
			t.Errorf("%s: View is %s, want %s", path, manouche.FuncName(m.View), manouche.FuncName(want.View))
		}
		m.View, want.View = nil, nil
		if !reflect.DeepEqual(&m, want) {
			t.Errorf("%s: got\n%#v\nwant\n%#v", path, m, *want)
		}
	}
	m := manouche.ResolverMatch{URLName: "kept"}
	for _, path := range []string{"/nowhere/", "no-slash"} {
		err := c.ResolveInto(path, &m)
		http404(t, err)
		if m.URLName != "kept" || m.View != nil {
			t.Errorf("%s: a miss changed the match: %#v", path, m)
		}
	}
}

// onlyURLConf hides every method of a URLConf but URLConf's own.
type onlyURLConf struct{ manouche.URLConf }

// Request.Resolve sets ResolverMatch; its first match lives in the request
// (no allocation), a later one is its own and leaves the first as it was,
// a miss leaves ResolverMatch alone, and a URLConf that cannot resolve into
// storage is asked for its own match.
func TestRequestResolve(t *testing.T) {
	c := mustNew(t, []Pattern{
		Path("a/", emptyView, Name("a")),
		Path("b/<int:n>/", otherView, Name("b")),
	})
	settings := &manouche.Settings{}
	hr := httptest.NewRequest("GET", "/a/", nil)
	var r manouche.Request
	r.Init(nil, hr, settings, c, "", "/a/")
	first, err := r.Resolve(c)
	if err != nil || first == nil || r.ResolverMatch != first || first.URLName != "a" {
		t.Fatalf("first: %#v, %v; ResolverMatch %p", first, err, r.ResolverMatch)
	}
	r.PathInfo = "/b/7/"
	second, err := r.Resolve(c)
	if err != nil || second == first || r.ResolverMatch != second || second.URLName != "b" || !eqKw(second.Kwargs, map[string]any{"n": 7}) {
		t.Fatalf("second: %#v, %v", second, err)
	}
	if first.URLName != "a" || !sameView(first.View, emptyView) {
		t.Errorf("the second match changed the first: %#v", first)
	}
	r.PathInfo = "/c/"
	if m, err := r.Resolve(c); m != nil || r.ResolverMatch != second {
		t.Errorf("a miss: %v, %v; ResolverMatch %#v", m, err, r.ResolverMatch)
	} else {
		http404(t, err)
	}

	var ic *manouche.ImproperlyConfigured
	if m, err := r.Resolve(nil); m != nil || !errors.As(err, &ic) {
		t.Errorf("a nil URLconf: %v, %v; want an ImproperlyConfigured error", m, err)
	}

	r.Init(nil, hr, settings, onlyURLConf{c}, "", "/b/8/")
	if m, err := r.Resolve(r.URLConf); err != nil || r.ResolverMatch != m || !eqKw(m.Kwargs, map[string]any{"n": 8}) {
		t.Errorf("plain URLConf: %#v, %v", m, err)
	}

	if n := testing.AllocsPerRun(100, func() {
		r.Init(nil, hr, settings, c, "", "/a/")
		if _, err := r.Resolve(c); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a request's first match: %v allocations, want none", n)
	}
}

// SEMANTICS 39: a miss carries the unmatched path and the tried chains,
// in order, each from the outer include to the leaf.
func TestTried(t *testing.T) {
	named := func(level int) []Pattern {
		return []Pattern{
			Path("", emptyView, Name("named-url"+string(rune('1'+2*level)))),
			RePath(`^extra/(?P<extra>\w+)/$`, emptyView, Name("named-url"+string(rune('2'+2*level)))),
			RePath(`^(?P<one>[0-9]+)|(?P<two>[0-9]+)/$`, emptyView),
		}
	}
	inner := append(named(1), Include("included/", named(2), AppName("app2"), Namespace("ns2")))
	c := mustNew(t, append(named(0), Include("included/", inner)))
	_, err := c.Resolve("/included/nonexistent-url")
	nf := http404(t, err)
	if nf.Path != "included/nonexistent-url" {
		t.Errorf("Path %q", nf.Path)
	}
	ep := func(p, name string) manouche.TriedPattern { return manouche.TriedPattern{Pattern: p, Name: name} }
	inc := manouche.TriedPattern{Pattern: "included/", Include: true}
	inc2 := manouche.TriedPattern{Pattern: "included/", Include: true, AppName: "app2", Namespace: "ns2"}
	want := [][]manouche.TriedPattern{
		{ep("", "named-url1")},
		{ep(`^extra/(?P<extra>\w+)/$`, "named-url2")},
		{ep(`^(?P<one>[0-9]+)|(?P<two>[0-9]+)/$`, "")},
		{inc, ep("", "named-url3")},
		{inc, ep(`^extra/(?P<extra>\w+)/$`, "named-url4")},
		{inc, ep(`^(?P<one>[0-9]+)|(?P<two>[0-9]+)/$`, "")},
		{inc, inc2},
	}
	if !reflect.DeepEqual(nf.Tried, want) {
		t.Errorf("Tried:\n%v\nwant\n%v", nf.Tried, want)
	}
	// One level further down: the chains run through both includes.
	_, err = c.Resolve("/included/included/nope/")
	nf = http404(t, err)
	if n := len(nf.Tried); n != 9 || len(nf.Tried[8]) != 3 || nf.Tried[8][1] != inc2 {
		t.Errorf("Tried: %v", nf.Tried)
	}
	// An empty URLconf tries nothing.
	_, err = mustNew(t, nil).Resolve("/")
	if nf := http404(t, err); nf.Tried != nil || nf.Path != "" {
		t.Errorf("empty URLconf: %#v", nf)
	}
}

// SEMANTICS 44: the error views come from the URLconf; nil means the
// default page.
func TestErrorViews(t *testing.T) {
	h404 := func(r *manouche.Request, err error) (*manouche.Response, error) { return nil, err }
	h500 := func(r *manouche.Request, err error) (*manouche.Response, error) { return nil, nil }
	c := mustNew(t, nil, Handler404(h404), Handler500(h500))
	tests := []struct {
		status int
		want   manouche.ErrorView
	}{{400, nil}, {403, nil}, {404, h404}, {500, h500}}
	for _, tt := range tests {
		got := c.ErrorView(tt.status)
		if (got == nil) != (tt.want == nil) || got != nil && reflect.ValueOf(got).Pointer() != reflect.ValueOf(tt.want).Pointer() {
			t.Errorf("ErrorView(%d) wrong", tt.status)
		}
	}
	var uc manouche.URLConf = c
	_ = uc
}

func TestRoutes(t *testing.T) {
	c := mustNew(t, []Pattern{
		Path("", emptyView, Name("home")),
		Include("polls/", []Pattern{
			Path("<int:pk>/", otherView, Name("detail")),
			RePath(`^(?P<slug>[-\w]+)/$`, otherView),
		}, AppName("polls"), Namespace("p")),
	})
	want := []RouteInfo{
		{Route: "", Name: "home", ViewName: "home", View: manouche.FuncName(emptyView)},
		{Route: "polls/<int:pk>/", Name: "detail", Namespace: "p", AppName: "polls", ViewName: "p:detail", View: manouche.FuncName(otherView)},
		{Route: `polls/(?P<slug>[-\w]+)/$`, Namespace: "p", AppName: "polls", ViewName: "p:" + manouche.FuncName(otherView), View: manouche.FuncName(otherView)},
	}
	if got := c.Routes(); !reflect.DeepEqual(got, want) {
		t.Errorf("Routes:\n%#v\nwant\n%#v", got, want)
	}
}

// A Conf is used by every request at once.
func TestConcurrentUse(t *testing.T) {
	c := fuzzConf(t)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				m, err := c.Resolve("/blog/12-go/")
				if err != nil || m.Kwargs["pk"] != 12 {
					t.Errorf("Resolve: %v %v", m, err)
					return
				}
				if _, err := c.Resolve("/no pe/"); err == nil {
					t.Error("matched")
				}
				if u, err := c.Reverse("blog:slug", NamedArgs(m.Kwargs)); err != nil || u != "/blog/12-go/" {
					t.Errorf("Reverse: %q %v", u, err)
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

func TestTriedUntilMatch(t *testing.T) {
	// SEMANTICS 38/96: for a path that resolves, the chains tried up to and
	// including the match; for one that does not, every chain, as the 404
	// carries.
	v := func(*manouche.Request) (*manouche.Response, error) { return nil, nil }
	conf, err := New([]Pattern{
		Path("a/", v, Name("a")),
		Include("inc/", []Pattern{
			Path("x/", v, Name("x")),
			Path("y/", v, Name("y")),
			Path("z/", v, Name("z")),
		}, AppName("app")),
		Path("b/", v, Name("b")),
	})
	if err != nil {
		t.Fatal(err)
	}
	chains := func(tried [][]manouche.TriedPattern) string {
		var parts []string
		for _, c := range tried {
			var p []string
			for _, tp := range c {
				p = append(p, tp.Pattern)
			}
			parts = append(parts, strings.Join(p, " "))
		}
		return strings.Join(parts, " | ")
	}
	for _, tc := range []struct{ path, want string }{
		{"/a/", "a/"},
		{"/inc/y/", "a/ | inc/ x/ | inc/ y/"},
		{"/b/", "a/ | inc/ | b/"},
		{"/inc/q/", "a/ | inc/ x/ | inc/ y/ | inc/ z/ | b/"},
		{"/nope/", "a/ | inc/ | b/"},
	} {
		if got := chains(conf.Tried(tc.path)); got != tc.want {
			t.Errorf("Tried(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
	_, err = conf.Resolve("/nope/")
	var nf *manouche.Http404
	if !errors.As(err, &nf) || chains(nf.Tried) != "a/ | inc/ | b/" {
		t.Fatalf("404 tried %v", err)
	}
}
