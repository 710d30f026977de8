//go:build race

package response

// raceEnabled: under the race detector sync.Pool drops a quarter of what
// is put back, on purpose, so allocation counts of pooled paths vary.
const raceEnabled = true
