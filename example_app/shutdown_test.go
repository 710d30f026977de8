package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the example app's command once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "example_app")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary runs "example_app runserver 127.0.0.1:0" with e and returns
// the process, the base URL it prints, and the rest of its output.
func startBinary(t *testing.T, bin string, e env) (*exec.Cmd, string, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(bin, "runserver", "127.0.0.1:0")
	cmd.Env = os.Environ()
	for k, v := range e {
		cmd.Env = append(cmd.Env, k+"="+v) // the last value of a key wins
	}
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	listening := regexp.MustCompile(`listening on (http://\S+)/ `)
	deadline := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			return cmd, m[1], lines
		}
	}
	t.Fatalf("the server never said where it listens (%v)", lines.Err())
	return nil, "", nil
}

// SIGTERM during a slow stream: the server stops accepting, the stream
// runs to its last line, every request finishes once, every database
// connection is closed, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	e := sqliteEnv(t)
	e["CONN_MAX_AGE"] = "60" // kept connections must be closed at exit too
	cmd, base, lines := startBinary(t, bin, e)

	// A few requests first, so that kept connections exist.
	for _, path := range []string{"/polls/", "/db", "/queries?queries=5"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}

	const n = 20 // two seconds of stream
	resp, err := http.Get(fmt.Sprintf("%s/live/%d/", base, n))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := bufio.NewReader(resp.Body)
	first, err := body.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "1 votes=") {
		t.Fatalf("first line %q, %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("the stream was cut: %v after %q", err, rest)
	}
	if got := 1 + strings.Count(string(rest), "votes="); got != n {
		t.Fatalf("the stream sent %d lines of %d:\n%s%s", got, n, first, rest)
	}

	var output []string
	for lines.Scan() {
		output = append(output, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, strings.Join(output, "\n"))
	}
	stopped := regexp.MustCompile(`stopped: requests started (\d+), finished (\d+); connections opened (\d+), closed (\d+)`)
	var m []string
	for _, l := range output {
		if m = stopped.FindStringSubmatch(l); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("no shutdown report in:\n%s", strings.Join(output, "\n"))
	}
	if m[1] != m[2] || m[1] != "4" {
		t.Errorf("requests started %s, finished %s; want 4 and 4", m[1], m[2])
	}
	if m[3] != m[4] || m[3] == "0" {
		t.Errorf("connections opened %s, closed %s: every one must be closed", m[3], m[4])
	}
}
