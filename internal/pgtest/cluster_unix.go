//go:build unix

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	fallbackBinaries = "/usr/lib/postgresql/*/bin" // searched after PATH
	port             = 5432                        // only names the socket file; no TCP listener
	superuser        = "postgres"                  // the cluster's superuser (initdb -U)
	ownerFile        = "pgtest.owner"
)

// cluster is a throwaway PostgreSQL cluster in dir: data/ (PGDATA), the
// unix socket, postgres.log, and ownerFile with the test binary's pid.
type cluster struct {
	dir    string
	proc   *os.Process   // the postmaster; nil until started
	exited chan struct{} // closed when the postmaster has exited
}

// binaries are the PostgreSQL programs pgtest runs.
type binaries struct{ initdb, postgres string }

// startCluster creates and starts a cluster and connects to it.
func startCluster() (_ *server, err error) {
	bin, err := findBinaries(fallbackBinaries)
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if cred != nil {
		base = "/tmp" // the server's user must reach the directory; TMPDIR may be root's
	}
	sweep(base)
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	c := &cluster{dir: dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.stop())
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("start cluster: %w", err)
		}
	}
	if sock := filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port)); len(sock) > 100 {
		return nil, fmt.Errorf("start cluster: socket path %s too long for a unix socket; set TMPDIR to a shorter directory", sock)
	}
	data := filepath.Join(dir, "data")

	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, bin.initdb, "-D", data, "-U", superuser,
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.Dir, initdb.Env, initdb.SysProcAttr = dir, childEnv(), procAttr(cred, syscall.SIGKILL)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb (%s): %w\n%s", bin.initdb, err, out)
	}

	log, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	defer log.Close()
	postgres := exec.Command(bin.postgres, "-D", data, "-k", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200")
	postgres.Dir, postgres.Env, postgres.Stdout, postgres.Stderr = dir, childEnv(), log, log
	postgres.SysProcAttr = procAttr(cred, syscall.SIGQUIT)
	if err := c.start(postgres); err != nil {
		return nil, fmt.Errorf("start postgres (%s): %w", bin.postgres, err)
	}

	s := &server{cluster: c, dsn: func(name string) string {
		// The URL form, so that it also serves as a DATABASE_URL.
		q := url.Values{"host": {dir}, "port": {strconv.Itoa(port)}, "user": {superuser}, "sslmode": {"disable"}}
		return (&url.URL{Scheme: "postgres", Path: "/" + name, RawQuery: q.Encode()}).String()
	}}
	if err := c.waitReady(s, s.dsn("postgres")); err != nil {
		return nil, err
	}
	return s, nil
}

// start starts the postmaster from a goroutine locked to its OS thread,
// which stays blocked in Wait until the postmaster exits: the parent-death
// signal fires when the thread that forked ends, and the Go runtime only
// ends threads whose locked goroutine returns.
func (c *cluster) start(cmd *exec.Cmd) error {
	started := make(chan error, 1)
	c.exited = make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the postmaster
		defer close(c.exited)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.proc = cmd.Process
		started <- nil
		cmd.Wait()
	}()
	return <-started
}

// waitReady waits, at most startTimeout, until the server accepts
// connections, then connects s to it.
func (c *cluster) waitReady(s *server, dsn string) error {
	deadline := time.Now().Add(startTimeout)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up:\n%s", c.logTail())
		default:
		}
		if err = s.connect(dsn); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres not accepting connections after %v: %w\n%s", startTimeout, err, c.logTail())
}

// stop shuts the postmaster down (SIGQUIT: immediate shutdown; SIGKILL
// after stopTimeout) and removes the cluster's directory.
func (c *cluster) stop() error {
	var err error
	if c.proc != nil {
		select {
		case <-c.exited:
		default:
			c.proc.Signal(syscall.SIGQUIT)
			select {
			case <-c.exited:
			case <-time.After(stopTimeout):
				c.proc.Kill()
				select {
				case <-c.exited:
				case <-time.After(stopTimeout):
					err = fmt.Errorf("stop postgres (pid %d): still running after SIGKILL", c.proc.Pid)
				}
			}
		}
	}
	if rmErr := os.RemoveAll(c.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove cluster: %w", rmErr))
	}
	return err
}

// logTail returns the end of the server's log, for error messages.
func (c *cluster) logTail() string {
	b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// findBinaries finds initdb on PATH and postgres beside it (so that both
// are of one version) or on PATH, else in the directories matching the
// pattern fallback, whose parent is the version, newest first.
func findBinaries(fallback string) (binaries, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			if b, ok := binariesIn(filepath.Dir(real)); ok {
				return b, nil
			}
		}
		if postgres, err := exec.LookPath("postgres"); err == nil {
			return binaries{initdb, postgres}, nil
		}
	}
	dirs, _ := filepath.Glob(fallback)
	major := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, dir := range dirs {
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("%w: no initdb and postgres on PATH or in %s", errNoBinaries, fallback)
}

// binariesIn reports whether dir holds both initdb and postgres.
func binariesIn(dir string) (binaries, bool) {
	b := binaries{filepath.Join(dir, "initdb"), filepath.Join(dir, "postgres")}
	for _, p := range []string{b.initdb, b.postgres} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return b, true
}

// runAs returns the credentials to run the cluster with: nil unless the
// process is root, else those of the user postgres or pgtest, creating
// pgtest if neither exists.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "pgtest"} {
		if u, err := user.Lookup(name); err == nil {
			return credential(u)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home",
		"--shell", "/usr/sbin/nologin", "pgtest").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("running as root, which initdb refuses, and no user postgres or pgtest exists; useradd pgtest: %w: %s", err, strings.TrimSpace(string(out)))
	}
	u, err := user.Lookup("pgtest")
	if err != nil {
		return nil, fmt.Errorf("running as root: user pgtest created but not found: %w", err)
	}
	return credential(u)
}

// credential converts u, which must not be root, to a syscall.Credential.
func credential(u *user.User) (*syscall.Credential, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid: %w", u.Username, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid: %w", u.Username, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %s has uid 0; initdb refuses root", u.Username)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// procAttr returns the attributes for the server's processes: the user
// cred (if not nil), their own process group (a terminal's ^C goes to the
// test binary, which stops them), and sig as parent-death signal where
// the system has one.
func procAttr(cred *syscall.Credential, sig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	setPdeathsig(a, sig)
	return a
}

// childEnv is the environment of the server's processes: ours without the
// PG* variables (PGDATA, PGPORT, ...) and locale settings, with LC_ALL=C.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// sweep removes the pgtest-* directories under base left by test binaries
// that died: those whose owner and postmaster are both gone. Directories
// it cannot read (other users', or still being created) are left alone.
func sweep(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "pgtest-*"))
	for _, dir := range dirs {
		if pidAlive(filepath.Join(dir, ownerFile), true) || pidAlive(filepath.Join(dir, "data", "postmaster.pid"), false) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// pidAlive reports whether the pid on the first line of file is a running
// process; a missing or unreadable file counts as alive if must is set.
func pidAlive(file string, must bool) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return must || !errors.Is(err, os.ErrNotExist)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return must
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
