// Package urls is Django's URL dispatcher for manouche: path(), re_path()
// and include() patterns, the resolver that maps a request path to a view,
// and reverse(), which builds a URL from a pattern name.
//
// A URLconf is a list of patterns compiled once by New:
//
//	conf, err := urls.New([]urls.Pattern{
//		urls.Path("", home, urls.Name("home")),
//		urls.Path("articles/<int:year>/", yearArchive, urls.Name("year")),
//		urls.Include("polls/", polls.Patterns, urls.AppName("polls")),
//		urls.RePath(`^legacy/(?P<slug>[-\w]+)/$`, legacy),
//	})
//
// New checks every route, regex, converter and namespace and reports
// problems as *manouche.ImproperlyConfigured with Django's texts. The
// resulting *Conf is immutable, safe for concurrent use, and implements
// manouche.URLConf.
//
// # Resolving
//
// Conf.Resolve follows Django's URLResolver exactly: patterns are tried
// in declared order and the first match wins; an include consumes the
// prefix it matched; a converter returning ErrNoMatch makes its pattern
// fail and resolution go on; any other converter error is returned. A
// miss is a *manouche.Http404 with the unmatched path and the chains of
// patterns tried. To be fast on large URLconfs, New indexes each level by
// the literal text its patterns start with (a radix tree) and flattens
// includes whose route is plain text into their parent, so a lookup only
// tries the patterns that can match, still in declared order. Routes with
// the built-in converters are matched by byte loops; regexes and custom
// converters use RE2.
//
// The slices and maps of a ResolverMatch (Args, Kwargs, CapturedKwargs,
// ExtraKwargs, AppNames, Namespaces, Attrs) may be shared with the
// URLconf and with other matches: they are read-only.
//
// Conf.ResolveInto writes the match into one the caller provides, which
// makes Conf a manouche.MatchWriter: the handler, through
// manouche.Request.Resolve, keeps a request's match in the request's own
// memory instead of allocating one.
//
// # Reversing
//
// Conf.Reverse (and Reverse, for a request) turns "name",
// "namespace:name" or "ns1:ns2:name" and the arguments into a URL: the
// last registered pattern that fits wins, values pass through the
// converters' ToURL, the result is checked against the pattern and
// percent-quoted, and the script prefix goes in front. Regex patterns are
// reversed through a port of Django's regex_helper.normalize.
//
// # Differences from Django
//
// Regexes are RE2 (no look-around or backreferences; "$" never matches
// before a final newline). The int converter does not match numbers too
// large for an int. In reverse, an alternation keeps its first branch
// where Django gives up, and kwargs dicts in messages are shown with
// sorted keys. Per-view flags such as csrf_exempt are route attributes
// (Attr), read from ResolverMatch.Attrs.
package urls
