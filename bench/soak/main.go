// Command soak drives the example app with a long run of requests and
// checks that it does not grow: memory, goroutines, requests left
// unfinished.
//
//	go run ./bench/soak                   # 1,000,000 requests, at most 15 minutes
//	go run ./bench/soak -n 2000 -every 500 -strict
//
// The example app is a main package, so the soak builds its binary
// (go build) into a temporary directory, or takes one with -bin, and runs
// it as a child: runserver on 127.0.0.1:0, DEBUG off, METRICS on, a SQLite
// file database and the static files in the same temporary directory,
// CONN_MAX_AGE=60. It reads the address from the child's "listening on
// http://ADDR/" line and refuses any address that is not loopback.
//
// Then -c goroutines share one keep-alive client and send -n requests
// (bounded also by -max), in turn /plaintext, /json, /db,
// /queries?queries=20, /fortunes, /updates?queries=5, /polls/ and a
// collected static file (its hashed name, from the manifest). A request
// is an error when it fails or its status is not 200. Every -every
// requests it samples the child: VmRSS from /proc/PID/status, and
// goroutines, heap_inuse and the request counters from /debug/vars.
//
// After the load it closes its connections and waits, boundedly (-settle),
// until requests_started equals requests_finished (the request that reads
// /debug/vars is itself started and not yet finished: it is left out) and
// the goroutines are back to their count before the load. Then it stops
// the child with SIGTERM, which prints its own final counters.
//
// It prints a table of the samples and one of the targets:
//
//   - no errors;
//   - RSS at the end within 10 % of RSS at the first sample (100,000 requests);
//   - goroutines back to their count before the load;
//   - requests_started == requests_finished once the load has stopped.
//
// With -strict, a missed target makes the exit status 1.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/manouche/manouche/middleware"
)

func main() {
	res, err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if res.strict && !res.Met() {
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	n        int
	max      time.Duration
	workers  int
	every    int
	settle   time.Duration
	bin      string
	pkg      string
	keep     bool
	strict   bool
	rssSlack float64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 1_000_000, "requests to send")
	fs.DurationVar(&o.max, "max", 15*time.Minute, "stop sending after this long, even short of -n")
	fs.IntVar(&o.workers, "c", 8, "concurrent clients (keep-alive connections)")
	fs.IntVar(&o.every, "every", 100_000, "sample the child every this many requests")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "wait at most this long after the load for the counters and goroutines to settle")
	fs.StringVar(&o.bin, "bin", "", "example_app binary to run (default: go build it into a temporary directory)")
	fs.StringVar(&o.pkg, "pkg", "github.com/manouche/manouche/example_app", "package to build when -bin is not given")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (database, static files, child's log)")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	fs.Float64Var(&o.rssSlack, "rss-slack", 0.10, "allowed RSS growth from the first sample to the end, as a fraction")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.n < 1:
		return o, errors.New("-n must be at least 1")
	case o.workers < 1 || o.workers > 256:
		return o, errors.New("-c must be 1 to 256")
	case o.every < 1:
		return o, errors.New("-every must be at least 1")
	case o.max <= 0 || o.settle <= 0:
		return o, errors.New("-max and -settle must be positive")
	}
	return o, nil
}

// Time bounds of the steps around the load.
const (
	buildTimeout   = 10 * time.Minute
	startTimeout   = 2 * time.Minute // migrate, collectstatic, listen
	requestTimeout = 30 * time.Second
	stopTimeout    = 45 * time.Second // the app's own shutdown timeout is 30 s
)

// endpoint is one kind of request of the mix.
type endpoint struct {
	path         string
	want         string // the whole body, when it is known
	sent, errors atomic.Int64
}

// sample is the child's state after some requests.
type sample struct {
	requests   int64
	elapsed    time.Duration
	rssKB      int64
	heapInuse  int64 // -1: not published
	goroutines int64 // -1: not published
	started    int64
	finished   int64
}

// Result is what a soak measured.
type Result struct {
	strict   bool
	Requests int64 // sent and answered (with or without error)
	Errors   int64
	Elapsed  time.Duration
	Cut      bool // -max stopped the load before -n
	Samples  []sample
	// Before is the child before the load (after one warm-up request of
	// each kind); End right after the load, Settled once the counters and
	// goroutines settled (or -settle ran out).
	Before, End, Settled sample
	CountersEqual        bool
	GoroutinesBack       bool
	RSSRatio             float64
	RSSSlack             float64
	FirstErrors          []string
	Endpoints            []*endpoint
	ChildFinal           string // the child's "stopped: …" line
	ChildExit            error
}

// RSSMet reports whether the RSS at the end is within the slack of the
// first sample's.
func (r *Result) RSSMet() bool { return r.RSSRatio > 0 && r.RSSRatio <= 1+r.RSSSlack }

// Met reports whether every target was met.
func (r *Result) Met() bool {
	return r.Errors == 0 && r.RSSMet() && r.GoroutinesBack && r.CountersEqual && r.ChildExit == nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (*Result, error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "manouche-soak-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(stderr, "soak: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "example_app")
		fmt.Fprintf(stderr, "soak: building %s\n", o.pkg)
		bctx, cancel := context.WithTimeout(ctx, buildTimeout)
		out, err := exec.CommandContext(bctx, "go", "build", "-o", bin, o.pkg).CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", o.pkg, err, out)
		}
	}

	c, err := startChild(ctx, bin, tmp, stderr)
	if err != nil {
		return nil, err
	}
	defer c.kill()
	fmt.Fprintf(stderr, "soak: example_app (pid %d) on http://%s/\n", c.cmd.Process.Pid, c.addr)

	res, err := soak(ctx, o, c, filepath.Join(tmp, "static"), stderr)
	if err != nil {
		return nil, err
	}
	res.strict = o.strict
	res.ChildFinal, res.ChildExit = c.stop()
	res.print(stdout, o)
	return res, nil
}

// child is the running example app.
type child struct {
	cmd    *exec.Cmd
	addr   string
	log    *os.File // its stderr
	final  chan string
	exited chan struct{}
	err    error // set when exited is closed
}

func startChild(ctx context.Context, bin, dir string, stderr io.Writer) (*child, error) {
	logf, err := os.Create(filepath.Join(dir, "example_app.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "runserver", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = childEnv(os.Environ(), map[string]string{
		"DEBUG":              "0",
		"SECRET_KEY":         "soak",
		"ALLOWED_HOSTS":      "127.0.0.1",
		"METRICS":            "1",
		"DATABASE_URL":       "sqlite:///" + filepath.ToSlash(filepath.Join(dir, "soak.db")),
		"STATIC_ROOT":        filepath.Join(dir, "static"),
		"CONN_MAX_AGE":       "60",
		"CONN_HEALTH_CHECKS": "",
	})
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	c := &child{cmd: cmd, log: logf, final: make(chan string, 1), exited: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		// Read stdout to its end (the child exits): the address first,
		// the final counters last.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "listening on http://"); ok {
				if a, _, ok := strings.Cut(rest, "/"); ok {
					select {
					case addrc <- a:
					default:
					}
				}
			}
			if strings.HasPrefix(line, "stopped:") {
				c.final <- line
			}
		}
		io.Copy(io.Discard, out)
		c.err = cmd.Wait()
		logf.Close()
		close(c.exited)
	}()
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case a := <-addrc:
		host, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			c.kill()
			return nil, fmt.Errorf("the child listens on %q, not a loopback address", a)
		}
		c.addr = a
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("example_app exited before listening (%v); its log: %s", c.err, tail(logf.Name()))
	case <-t.C:
		c.kill()
		return nil, fmt.Errorf("example_app did not listen within %v; its log: %s", startTimeout, tail(logf.Name()))
	case <-ctx.Done():
		c.kill()
		return nil, ctx.Err()
	}
}

// childEnv is env with the variables of set replaced (an empty value
// removes one).
func childEnv(env []string, set map[string]string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// stop sends SIGTERM and waits, boundedly, for the child to exit; it
// returns the child's final counters line and its exit error.
func (c *child) stop() (string, error) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-c.exited:
	case <-t.C:
		c.kill()
		return "", fmt.Errorf("example_app did not stop within %v of SIGTERM", stopTimeout)
	}
	var final string
	select {
	case final = <-c.final:
	default:
	}
	return final, c.err
}

// kill kills the child, if it still runs, and waits for it, boundedly.
func (c *child) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-c.exited:
	case <-t.C:
	}
}

// tail returns the last few KiB of a file, for error messages.
func tail(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// rssKB reads VmRSS from /proc/PID/status, in kB.
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
}

func soak(ctx context.Context, o options, c *child, staticRoot string, stderr io.Writer) (*Result, error) {
	base := "http://" + c.addr
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != c.addr { // only the child, on loopback
			return nil, fmt.Errorf("soak: refusing to dial %s", addr)
		}
		return dialer.DialContext(ctx, network, addr)
	}
	load := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{
		DialContext:         dial,
		MaxIdleConns:        o.workers,
		MaxIdleConnsPerHost: o.workers,
		MaxConnsPerHost:     o.workers,
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
	}}
	// The probe reads /debug/vars on a connection of its own, closed after
	// each reading, so that every reading counts the same one server
	// connection and leaves none behind.
	probeTr := &http.Transport{DialContext: dial, DisableKeepAlives: true, DisableCompression: true}
	probe := &http.Client{Timeout: requestTimeout, Transport: probeTr}
	defer probeTr.CloseIdleConnections()

	m, err := middleware.ReadManifest(os.DirFS(staticRoot))
	if err != nil {
		return nil, err
	}
	css, ok := m.Paths["polls/style.css"]
	if !ok {
		return nil, fmt.Errorf("the manifest in %s lists no polls/style.css", staticRoot)
	}
	eps := []*endpoint{
		{path: "/plaintext", want: "Hello, World!"},
		{path: "/json", want: `{"message":"Hello, World!"}`},
		{path: "/db"},
		{path: "/queries?queries=20"},
		{path: "/fortunes"},
		{path: "/updates?queries=5"},
		{path: "/polls/"},
		{path: "/static/" + (&url.URL{Path: css}).EscapedPath()},
	}
	res := &Result{RSSSlack: o.rssSlack, Endpoints: eps}
	var errMu sync.Mutex
	fail := func(ep *endpoint, msg string) {
		ep.errors.Add(1)
		errMu.Lock()
		if len(res.FirstErrors) < 10 {
			res.FirstErrors = append(res.FirstErrors, ep.path+": "+msg)
		}
		errMu.Unlock()
	}
	do := func(ctx context.Context, ep *endpoint) (ok bool) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+ep.path, nil)
		if err != nil {
			fail(ep, err.Error())
			return false
		}
		resp, err := load.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				fail(ep, err.Error())
			}
			return false
		}
		defer resp.Body.Close()
		var body []byte
		if ep.want != "" {
			body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		switch {
		case err != nil:
			if ctx.Err() == nil {
				fail(ep, "reading the body: "+err.Error())
			}
		case resp.StatusCode != http.StatusOK:
			fail(ep, resp.Status)
		case ep.want != "" && string(body) != ep.want:
			fail(ep, fmt.Sprintf("body %.80q", body))
		default:
			return true
		}
		return false
	}

	// Warm up: one request of each kind (the database pool, the template
	// cache, the static index), then take the state before the load.
	for _, ep := range eps {
		if !do(ctx, ep) {
			return nil, fmt.Errorf("warm-up: %s fails: %v", ep.path, res.FirstErrors)
		}
		ep.errors.Store(0)
	}
	load.CloseIdleConnections()
	start := time.Now()
	snap := func(requests int64) (sample, error) {
		s := sample{requests: requests, elapsed: time.Since(start), heapInuse: -1, goroutines: -1}
		vars, err := readVars(ctx, probe, base)
		if err != nil {
			return s, err
		}
		s.started, s.finished = vars["requests_started"], vars["requests_finished"]
		if v, ok := vars["heap_inuse"]; ok {
			s.heapInuse = v
		}
		if v, ok := vars["goroutines"]; ok {
			s.goroutines = v
		}
		s.rssKB, err = rssKB(c.cmd.Process.Pid)
		return s, err
	}
	// Before: once the warm-up's connections are gone (bounded).
	var before sample
	for i := 0; ; i++ {
		if before, err = snap(0); err != nil {
			return nil, err
		}
		if before.started-1 == before.finished || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the warm-up's server connections wind down
	if before, err = snap(0); err != nil {
		return nil, err
	}
	res.Before = before
	fmt.Fprintf(stderr, "soak: before: RSS %d kB, goroutines %d; sending %d requests from %d clients\n",
		before.rssKB, before.goroutines, o.n, o.workers)

	// The load.
	lctx, cancel := context.WithTimeout(ctx, o.max)
	defer cancel()
	var next, done atomic.Int64
	samplec := make(chan int64, 16)
	var samplerErr error
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		for at := range samplec {
			s, err := snap(at)
			if err != nil {
				samplerErr = err
				continue
			}
			res.Samples = append(res.Samples, s)
			fmt.Fprintf(stderr, "soak: %d requests, %v, RSS %d kB, heap_inuse %d, goroutines %d\n",
				at, s.elapsed.Round(time.Second), s.rssKB, s.heapInuse, s.goroutines)
		}
	}()
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(o.n) {
					return
				}
				ep := eps[i%int64(len(eps))]
				ep.sent.Add(1)
				if !do(lctx, ep) && lctx.Err() != nil {
					ep.sent.Add(-1) // cut off by -max, not answered
					return
				}
				if d := done.Add(1); d%int64(o.every) == 0 && d < int64(o.n) {
					select {
					case samplec <- d:
					default: // the sampler is behind: skip this one
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = done.Load()
	res.Cut = res.Requests < int64(o.n)
	samplec <- res.Requests
	close(samplec)
	<-samplerDone
	if samplerErr != nil {
		return nil, fmt.Errorf("sampling the child: %w", samplerErr)
	}
	if len(res.Samples) == 0 {
		return nil, errors.New("no sample taken")
	}
	res.End = res.Samples[len(res.Samples)-1]
	for _, ep := range eps {
		res.Errors += ep.errors.Load()
	}
	if first := res.Samples[0]; first.rssKB > 0 {
		res.RSSRatio = float64(res.End.rssKB) / float64(first.rssKB)
	}

	// Settle: the load's connections closed, wait for every request to be
	// finished and the goroutines to come back (bounded by -settle).
	load.CloseIdleConnections()
	deadline := time.Now().Add(o.settle)
	for {
		s, err := snap(res.Requests)
		if err != nil {
			return nil, err
		}
		res.Settled = s
		res.CountersEqual = s.started-1 == s.finished // the reading itself is started, not finished
		res.GoroutinesBack = s.goroutines >= 0 && s.goroutines <= before.goroutines
		if (res.CountersEqual && (res.GoroutinesBack || s.goroutines < 0)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return res, nil
}

// readVars reads the numeric top-level values of /debug/vars.
func readVars(ctx context.Context, c *http.Client, base string) (map[string]int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/debug/vars", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/debug/vars: %s (is METRICS on?)", resp.Status)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("/debug/vars: %w", err)
	}
	vars := make(map[string]int64, len(raw))
	for k, v := range raw {
		var n int64
		if json.Unmarshal(v, &n) == nil {
			vars[k] = n
		}
	}
	for _, k := range []string{"requests_started", "requests_finished"} {
		if _, ok := vars[k]; !ok {
			return nil, fmt.Errorf("/debug/vars has no %s", k)
		}
	}
	return vars, nil
}

func metOrMissed(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func orNA(v int64) string {
	if v < 0 {
		return "n/a"
	}
	return strconv.FormatInt(v, 10)
}

// table writes a Markdown table, its columns padded to line up in a
// terminal too; right lists the right-aligned columns.
func table(w io.Writer, header []string, right map[int]bool, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	line := func(cells []string) {
		fmt.Fprintln(tw, "| "+strings.Join(cells, "\t| ")+"\t|")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
		if right[i] {
			sep[i] = "---:"
		}
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	tw.Flush()
}

func (r *Result) print(w io.Writer, o options) {
	rate := float64(r.Requests) / r.Elapsed.Seconds()
	fmt.Fprintf(w, "soak: %d requests (of -n %d) from %d clients in %v: %.0f requests/s\n",
		r.Requests, o.n, o.workers, r.Elapsed.Round(time.Second), rate)
	if r.Cut {
		fmt.Fprintf(w, "(cut short by -max %v)\n", o.max)
	}
	fmt.Fprintln(w)

	var rows [][]string
	row := func(label string, s sample) {
		heap := "n/a"
		if s.heapInuse >= 0 {
			heap = strconv.FormatInt(s.heapInuse>>10, 10)
		}
		rows = append(rows, []string{label, s.elapsed.Round(time.Second).String(),
			strconv.FormatInt(s.rssKB, 10), heap, orNA(s.goroutines), strconv.FormatInt(s.started-1-s.finished, 10)})
	}
	row("before", r.Before)
	for _, s := range r.Samples {
		row(strconv.FormatInt(s.requests, 10), s)
	}
	row("settled", r.Settled)
	table(w, []string{"requests", "elapsed", "RSS (kB)", "heap_inuse (KiB)", "goroutines", "started − finished"},
		map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true}, rows)
	fmt.Fprintln(w, "\n(started − finished leaves out the /debug/vars reading itself; during the load it counts the requests in flight.)")

	fmt.Fprintln(w)
	rows = nil
	for _, ep := range r.Endpoints {
		rows = append(rows, []string{"`" + ep.path + "`", strconv.FormatInt(ep.sent.Load(), 10), strconv.FormatInt(ep.errors.Load(), 10)})
	}
	table(w, []string{"endpoint", "requests", "errors"}, map[int]bool{1: true, 2: true}, rows)
	for _, e := range r.FirstErrors {
		fmt.Fprintln(w, "  error:", e)
	}

	fmt.Fprintln(w)
	first := r.Samples[0]
	exit := "exited 0"
	if r.ChildExit != nil {
		exit = r.ChildExit.Error()
	}
	table(w, []string{"target", "measured", ""}, nil, [][]string{
		{"no errors", fmt.Sprintf("%d errors in %d requests", r.Errors, r.Requests), metOrMissed(r.Errors == 0)},
		{fmt.Sprintf("RSS at the end within %.0f%% of RSS at %d requests", r.RSSSlack*100, first.requests),
			fmt.Sprintf("%d kB → %d kB (×%.3f)", first.rssKB, r.End.rssKB, r.RSSRatio), metOrMissed(r.RSSMet())},
		{"goroutines back to the start", fmt.Sprintf("%s before, %s at the end of the load, %s settled",
			orNA(r.Before.goroutines), orNA(r.End.goroutines), orNA(r.Settled.goroutines)), metOrMissed(r.GoroutinesBack)},
		{"requests_started == requests_finished after the load", fmt.Sprintf("%d == %d", r.Settled.started-1, r.Settled.finished),
			metOrMissed(r.CountersEqual)},
		{"the app stops cleanly on SIGTERM", exit, metOrMissed(r.ChildExit == nil)},
	})
	if r.ChildFinal != "" {
		fmt.Fprintln(w, "\nexample_app:", r.ChildFinal)
	}
}
