// Package proof holds the tests that prove manouche against the bug class
// of its seeds: WhiteNoise 6.6's range responses, closed twice, sent
// request_finished twice and closed other requests' database connections
// (SEMANTICS section I). The tests drive the whole stack — handler, static
// files, file responses, streams, PostgreSQL in atomic blocks — with many
// concurrent clients and the garbage collector forced beside them, then
// check that every request finished exactly once, every file was closed,
// and no database error happened. It has no code of its own.
package proof
