package middleware_test

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/handler"
	"github.com/manouche/manouche/middleware"
	"github.com/manouche/manouche/response"
	"github.com/manouche/manouche/urls"
)

// csrfRefMatches is the reference verdict, computed with the tests' own
// unmasking: token (masked or not) is well formed and unmasks to secret,
// which is itself a well-formed secret.
func csrfRefMatches(token, secret string) bool {
	if !csrfWellFormed.MatchString(token) || !csrfWellFormed.MatchString(secret) || len(secret) != 32 {
		return false
	}
	if len(token) == 64 {
		token = csrfTestUnmask(token)
	}
	return token == secret
}

// FuzzCSRFToken feeds arbitrary cookie values, form tokens and header
// tokens to the CSRF checks (SEMANTICS 105): to the format, unmask and
// match functions directly, and through a whole handler (POST, or PUT with
// the header only). Nothing panics; the answer is 200 or 403, and 200 only
// when the token, as the server reads it (the form field when not empty,
// else the header), truly unmasks to the secret of the cookie as the
// server parses it.
//
//	go test -run x -fuzz FuzzCSRFToken -fuzztime 60s ./middleware/
func FuzzCSRFToken(f *testing.F) {
	masked := csrfTestMask(csrfSecretA, csrfSecretB)
	for _, seed := range []struct {
		cookie, form, header string
		hasHeader, put       bool
	}{
		{csrfSecretA, masked, "", false, false},
		{csrfSecretA, csrfSecretA, "", false, false},
		{masked, csrfSecretA, "", false, false},
		{csrfSecretA, "", masked, true, false},
		{csrfSecretA, "", masked, true, true},
		{csrfSecretA, csrfTestMask(csrfSecretB, csrfSecretA), masked, true, false},
		{csrfSecretA + "; csrftoken=" + csrfSecretB, csrfSecretB, "", false, false},
		{`"` + csrfSecretA + `"`, masked, "", false, false},
		{"", "", "", false, false},
		{"short", "short", "short", true, false},
		{strings.Repeat("é", 16), strings.Repeat("é", 16), "", true, false},
		{csrfSecretA, masked[:63] + "%", "", false, false},
		{csrfSecretA, "", "\x00" + masked[1:], true, true},
	} {
		f.Add(seed.cookie, seed.form, seed.header, seed.hasHeader, seed.put)
	}

	conf, err := urls.New([]urls.Pattern{urls.Path("post/", func(*manouche.Request) (*manouche.Response, error) {
		return response.Text("ok"), nil
	})})
	if err != nil {
		f.Fatal(err)
	}
	// The rejections are logged on slog.Default: keep them quiet.
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	f.Cleanup(func() { slog.SetDefault(old) })
	h, err := handler.New(handler.Config{
		Settings:   manouche.Settings{AllowedHosts: []string{"*"}},
		URLConf:    conf,
		Middleware: []middleware.Factory{middleware.CSRF()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, cookie, form, header string, hasHeader, put bool) {
		// The functions, directly.
		for _, s := range []string{cookie, form, header} {
			reason := middleware.CSRFCheckFormatForTest(s)
			if (reason == "") != csrfWellFormed.MatchString(s) {
				t.Fatalf("CSRFCheckFormat(%q) = %q", s, reason)
			}
			if reason == "" && len(s) == 64 && middleware.CSRFUnmaskForTest(s) != csrfTestUnmask(s) {
				t.Fatalf("unmask(%q) = %q, want %q", s, middleware.CSRFUnmaskForTest(s), csrfTestUnmask(s))
			}
			if reason == "" && len(s) == 32 {
				tok := middleware.CSRFMaskForTest(s)
				if csrfTestUnmask(tok) != s || !middleware.CSRFTokenMatchesForTest(tok, s) {
					t.Fatalf("mask(%q) = %q does not unmask to it", s, tok)
				}
			}
			for _, secret := range []string{cookie, form, header, csrfSecretA} {
				if got, want := middleware.CSRFTokenMatchesForTest(s, secret), csrfRefMatches(s, secret); got != want {
					t.Fatalf("TokenMatches(%q, %q) = %v, want %v", s, secret, got, want)
				}
			}
		}

		// Through the handler.
		method, body := "POST", "csrfmiddlewaretoken="+url.QueryEscape(form)
		if put {
			method, body = "PUT", ""
		}
		req := httptest.NewRequest(method, "/post/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header["Cookie"] = []string{"csrftoken=" + cookie}
		if hasHeader {
			req.Header["X-Csrftoken"] = []string{header}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		// The verdict, from what the server reads.
		secret, haveSecret := manouche.ParseCookies(req.Header["Cookie"])["csrftoken"]
		if haveSecret && len(secret) == 64 && csrfWellFormed.MatchString(secret) {
			secret = csrfTestUnmask(secret)
		}
		token, haveToken := "", false
		if !put {
			q, err := manouche.ParseQuery(body, -1)
			if err != nil {
				t.Fatal(err)
			}
			token = q.Get("csrfmiddlewaretoken")
			haveToken = token != ""
		}
		if !haveToken && hasHeader {
			token, haveToken = header, true
		}
		pass := haveSecret && haveToken && csrfRefMatches(token, secret)
		switch {
		case rec.Code != 200 && rec.Code != 403:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		case pass && rec.Code != 200:
			t.Fatalf("a matching token refused: cookie %q form %q header %q (%v): %s", cookie, form, header, hasHeader, rec.Body)
		case !pass && rec.Code == 200:
			t.Fatalf("a request passed without a matching token: cookie %q form %q header %q (%v)", cookie, form, header, hasHeader)
		}
	})
}
