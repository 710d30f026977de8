package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
)

// defaultDataDir holds what the example app makes on first run when the
// environment does not say otherwise: the SQLite database and the
// collected static files.
const defaultDataDir = ".manouche"

// devSecretKey is the SECRET_KEY of a DEBUG run without one. It is public,
// so DEBUG off refuses to start without SECRET_KEY.
const devSecretKey = "manouche-insecure-development-key-do-not-deploy"

// config is the example app's configuration, read from the environment
// in the twelve-factor way.
type config struct {
	Settings manouche.Settings
	Database db.Database
	// Metrics counts requests and serves the counters at /debug/vars
	// (METRICS, or DEBUG). Off, nothing is counted.
	Metrics bool
	// DevKey is true when SECRET_KEY was not given and the development key
	// stands in (DEBUG only).
	DevKey bool
	// Bare serves the URLconf with no middleware at all (MIDDLEWARE=none):
	// the benchmark of manouche's core on the TFB endpoints. No sessions,
	// CSRF, messages or static files: the polls pages need them.
	Bare bool
}

// configFromEnv reads DATABASE_URL, CONN_MAX_AGE, CONN_HEALTH_CHECKS,
// DEBUG, ALLOWED_HOSTS, SECRET_KEY, STATIC_ROOT, METRICS and MIDDLEWARE through
// getenv. Every bad value is an error naming the variable.
func configFromEnv(getenv func(string) string) (config, error) {
	var c config
	debug, err := envBool(getenv, "DEBUG", true)
	if err != nil {
		return c, err
	}
	s := manouche.Settings{Debug: debug, StaticURL: "/static/"}
	if hosts := strings.TrimSpace(getenv("ALLOWED_HOSTS")); hosts != "" {
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				s.AllowedHosts = append(s.AllowedHosts, h)
			}
		}
	}
	s.SecretKey = getenv("SECRET_KEY")
	if s.SecretKey == "" {
		if !debug {
			return c, fmt.Errorf("SECRET_KEY is required when DEBUG is off: set it to a long random value (for example: SECRET_KEY=$(head -c 48 /dev/urandom | base64))")
		}
		s.SecretKey, c.DevKey = devSecretKey, true
	}
	s.StaticRoot = getenv("STATIC_ROOT")
	if s.StaticRoot == "" {
		s.StaticRoot = filepath.Join(defaultDataDir, "static")
	}

	url := getenv("DATABASE_URL")
	if url == "" {
		url = "sqlite:///" + filepath.ToSlash(filepath.Join(defaultDataDir, "db.sqlite3"))
	}
	d, err := db.ParseURL(url)
	if err != nil {
		return c, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if v := getenv("CONN_MAX_AGE"); v != "" {
		if d.ConnMaxAge, err = db.ParseConnMaxAge(v); err != nil {
			return c, fmt.Errorf("CONN_MAX_AGE: %w", err)
		}
	}
	if d.ConnHealthChecks, err = envBool(getenv, "CONN_HEALTH_CHECKS", d.ConnHealthChecks); err != nil {
		return c, err
	}
	metrics, err := envBool(getenv, "METRICS", false)
	if err != nil {
		return c, err
	}
	switch v := strings.TrimSpace(getenv("MIDDLEWARE")); v {
	case "", "default":
	case "none":
		c.Bare = true
	default:
		return c, fmt.Errorf("MIDDLEWARE=%q: want default (the app's stack) or none (no middleware at all)", v)
	}
	c.Settings, c.Database, c.Metrics = s, d, metrics || debug
	return c, nil
}

// envBool reads a boolean variable: 1/0, true/false, yes/no, on/off in
// any case; empty means def.
func envBool(getenv func(string) string, name string, def bool) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	default:
		return false, fmt.Errorf("%s=%q: want 1 or 0, true or false, yes or no, on or off", name, getenv(name))
	}
}
