package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webdriver is the little of the W3C WebDriver protocol the browser test
// needs, spoken to chromedriver over HTTP.
type webdriver struct {
	t       *testing.T
	base    string // chromedriver's URL
	session string
}

// call sends one command and decodes its "value" into out (when not nil).
func (d *webdriver) call(method, path string, in, out any) {
	d.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, body)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var reply struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil || resp.StatusCode != 200 {
		d.t.Fatalf("webdriver %s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(reply.Value, out); err != nil {
			d.t.Fatalf("webdriver %s %s: %v in %s", method, path, err, raw)
		}
	}
}

// element finds one element by CSS selector and returns its id.
func (d *webdriver) element(css string) string {
	d.t.Helper()
	var el map[string]string
	d.call("POST", "/session/"+d.session+"/element", map[string]string{"using": "css selector", "value": css}, &el)
	for _, id := range el { // the key is the W3C element identifier
		return id
	}
	d.t.Fatalf("no element %q", css)
	return ""
}

func (d *webdriver) click(css string) {
	d.t.Helper()
	d.call("POST", "/session/"+d.session+"/element/"+d.element(css)+"/click", map[string]any{}, nil)
}

func (d *webdriver) source() string {
	var s string
	d.call("GET", "/session/"+d.session+"/source", nil, &s)
	return s
}

func (d *webdriver) currentURL() string {
	var s string
	d.call("GET", "/session/"+d.session+"/url", nil, &s)
	return s
}

// startChrome starts chromedriver and a headless Chromium session; both
// end with the test. Without them the test is skipped, except under
// CI=true, where .ci/run installs them.
func startChrome(t *testing.T) *webdriver {
	t.Helper()
	driver, err := exec.LookPath("chromedriver")
	if err == nil {
		_, err = exec.LookPath("chromium")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium and chromedriver are required under CI (Debian packages chromium, chromium-driver): %v", err)
		}
		t.Skipf("no browser: %v (install Debian's chromium and chromium-driver)", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	d := &webdriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	for i := 0; ; i++ {
		resp, err := http.Get(d.base + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("chromedriver did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	d.call("POST", "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": mustLookPath("chromium"),
			// The machine's network is closed: no background traffic.
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--window-size=1024,768", "--user-data-dir=" + t.TempDir()},
		},
	}}}, &created)
	d.session = created.SessionID
	// Finding an element waits, boundedly, for it to appear: after a
	// click the next page may still be loading.
	d.call("POST", "/session/"+d.session+"/timeouts", map[string]int{"implicit": 10000}, nil)
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", d.base+"/session/"+d.session, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return d
}

// waitURL waits, boundedly, for the browser to reach a URL matching re:
// a click that submits a form returns before the next page has loaded.
func (d *webdriver) waitURL(re *regexp.Regexp) {
	d.t.Helper()
	var u string
	for range 100 {
		if u = d.currentURL(); re.MatchString(u) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("the browser is at %s, never at %s:\n%.1000s", u, re, d.source())
}

func mustLookPath(name string) string {
	p, _ := exec.LookPath(name)
	return p
}

// A real browser votes: headless Chromium opens the question list,
// follows the first question, picks a choice in the form (CSRF token,
// session and message cookies handled by the browser itself), submits,
// and lands on the results page with the flash message. The screenshot is
// kept in $MANOUCHE_ARTIFACTS (default: the temporary directory's
// manouche-artifacts).
func TestBrowserVote(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser")
	}
	d := startChrome(t)
	_, srv := startApp(t, sqliteEnv(t))

	d.call("POST", "/session/"+d.session+"/url", map[string]string{"url": srv.URL + "/polls/"}, nil)
	if src := d.source(); !strings.Contains(src, "What") {
		t.Fatalf("question list: %.500s", src)
	}
	d.click("main a, ul a, a[href^='/polls/']")
	d.waitURL(regexp.MustCompile(`/polls/\d+/$`))
	d.click("input[name=choice]")
	d.click("form [type=submit]")
	d.waitURL(regexp.MustCompile(`/polls/\d+/results/$`))
	if src := d.source(); !strings.Contains(src, "You voted for") {
		t.Fatalf("the results page lacks the flash message:\n%.1000s", src)
	}

	var png string
	d.call("GET", "/session/"+d.session+"/screenshot", nil, &png)
	img, err := base64.StdEncoding.DecodeString(png)
	if err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("MANOUCHE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "manouche-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "browser-vote-results.png")
	if err := os.WriteFile(file, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the results page: %s", file)
}
