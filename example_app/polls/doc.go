// Package polls is the Django tutorial's polls application (parts 1 to 5
// and 7) on manouche: questions and their choices in a database, an index
// of the latest questions, a voting form protected by CSRF, results, flash
// messages across the redirect, and beside them a JSON API, a streamed CSV
// export and a file download with byte ranges.
//
// # Wiring
//
// The application is a value: New takes the database manager, the alias
// of its database and the template engine, and URLs gives the patterns to
// include under the "polls" application namespace, as Django's
// path("polls/", include("polls.urls")) with app_name = "polls":
//
//	if err := polls.Migrate(ctx, m, db.DefaultAlias); err != nil { … } // manage.py migrate
//	if err := polls.Seed(ctx, m, db.DefaultAlias); err != nil { … }    // demo questions, once
//	eng, err := templates.NewEngine(templates.Config{
//		FS: []fs.FS{polls.Templates()},
//		ContextProcessors: []templates.ContextProcessor{
//			templates.RequestProcessor, templates.StaticProcessor, middleware.MessagesProcessor,
//		},
//		RequestFuncs: map[string]func(*manouche.Request) (any, error){"csrf_input": middleware.CSRFInputFunc},
//	})
//	app := polls.New(m, db.DefaultAlias, eng)
//	conf, err := urls.New([]urls.Pattern{
//		urls.Include("polls/", app.URLs(), urls.AppName("polls"), urls.Namespace("polls")),
//	}, eng.ErrorHandlers()...)
//
// and the handler with middleware.Default (the messages need the session
// or cookie storage), middleware.Static over Static() right after
// Security, a Settings.StaticURL (the templates use {{static}}, the 404
// page included), and m.Install(h.Signals()).
//
// # Routes
//
//	""                          index          the five latest published questions
//	"<int:pk>/"                 detail         the voting form
//	"<int:pk>/vote/"            vote           POST only: count a vote, redirect to the results
//	"<int:pk>/results/"         results        the votes of each choice
//	"api/questions/"            api-questions  JSON: the published questions
//	"api/questions/<int:pk>/"   api-question   JSON: one question with its choices and votes
//	"export.csv"                export         every vote, as a CSV streamed while it is queried
//	"<int:pk>/download/"        download       the polls guide, an attachment with byte ranges
//
// Every URL, in the templates and in redirects, is reversed through the
// namespace ("polls:detail"), so the application can be included under
// any prefix.
//
// # Data
//
// Migrate creates Django's tables for the two models (polls_question,
// polls_choice with a cascading foreign key and an index on it) on SQLite
// or PostgreSQL, idempotently. pub_date is "timestamp with time zone" on
// PostgreSQL and "datetime" on SQLite (Django's DateTimeField with
// USE_TZ), always written in UTC. A question whose pub_date is in the
// future is not published: the index, the API and the export leave it out
// and its pages are 404s (tutorial part 5).
//
// A vote is one UPDATE … SET votes = votes + 1 in an atomic block: the
// database adds, so concurrent votes are never lost.
package polls
