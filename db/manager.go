package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers "postgres"
	"github.com/mattn/go-sqlite3"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/signals"
)

// probeTimeout bounds every probe and status check the Manager runs on its
// own (health checks, the broken-flag probe, the transaction-status probe).
const probeTimeout = 5 * time.Second

// Errors of Manager.Conn and of Conn's methods. They are wrapped with a
// message saying what went wrong; test them with errors.Is.
var (
	// ErrNoScope: the context carries no manouche.Scope — it is neither a
	// request's context nor one made by Manager.Background.
	ErrNoScope = errors.New("db: the context carries no request scope")
	// ErrWrongScope: a Conn was used with the context of another scope
	// (another request's, or a goroutine's own Background scope).
	ErrWrongScope = errors.New("db: connection used outside the scope it belongs to")
	// ErrScopeFinished: the scope (request or Background) is over.
	ErrScopeFinished = errors.New("db: the scope is finished")
	// ErrManagerClosed: Manager.Close has run.
	ErrManagerClosed = errors.New("db: the connection manager is closed")
	// ErrNoAlias: the alias is not in the Databases (Django's
	// ConnectionDoesNotExist).
	ErrNoAlias = errors.New("db: no such database alias")
)

// ConnectionCreated is the payload of the connection_created signal, sent
// once per physical connection before its first use: set search_path,
// PRAGMAs, … on Conn. A receiver error fails the opening (the connection is
// closed and Manager.Conn returns the error). The in-memory SQLite keeper
// connection (see Database.InMemory), which runs no query, is not sent.
// A receiver must use Conn, never Manager.Conn with the same context (the
// scope is busy opening this connection: that call would wait forever).
type ConnectionCreated struct {
	Alias  string
	Engine string
	Conn   *sqlx.Conn
}

// Stats are the counters and gauges of one alias.
type Stats struct {
	Opened int64 // physical connections opened (the in-memory keeper not counted)
	Reused int64 // kept connections taken by a scope
	Closed int64 // physical connections closed (the keeper not counted)
	// HooksRun counts the on-commit hooks called (failed ones too).
	HooksRun int64
	Kept     int // idle connections kept between scopes (gauge)
	InUse    int // connections held by a scope (gauge)
}

// ManagerOption configures NewManager.
type ManagerOption func(*Manager)

// WithLogger sets the logger for warnings and cleanup errors; nil (the
// default) means slog.Default().
func WithLogger(l *slog.Logger) ManagerOption { return func(m *Manager) { m.log = l } }

// WithClock sets the clock used for ConnMaxAge (tests); nil means
// time.Now.
func WithClock(now func() time.Time) ManagerOption { return func(m *Manager) { m.now = now } }

// Manager is Django's ConnectionHandler with close_old_connections: it
// hands each scope (a request, or a Background unit of work) its own lazy
// connection per alias, found through the scope's context, and at the end
// of the scope closes or keeps each connection according to its state and
// ConnMaxAge. A kept connection belongs to no scope; a connection in use
// belongs to exactly one. Safe for concurrent use.
type Manager struct {
	log   *slog.Logger
	now   func() time.Time
	epoch time.Time // m.now() when the Manager was made: pools' due times count from it
	pools map[string]*pool
	// aging are the pools whose connections expire (ConnMaxAge is not
	// Forever): the ones each request's sweep visits, in a slice because
	// ranging over a map costs more than the sweep itself.
	aging   []*pool
	created *signals.Signal[ConnectionCreated]
	closed  atomic.Bool
	uid     string
	// queryLimit is the query log's bound; 0 when it is off.
	queryLimit int
	// atomicAliases are the aliases with AtomicRequests, sorted.
	atomicAliases []string

	// probeTxn makes inTransaction skip reading lib/pq's txnStatus, as if
	// a future lib/pq had renamed it (tests of the fallback probe).
	probeTxn bool
	// txnField is where the driver connection's struct keeps txnStatus,
	// looked up by name once rather than at the end of every scope.
	txnField atomic.Pointer[txnField]
}

// txnField is the index of txnStatus in a driver connection's struct
// type, -1 when that type has no usable one.
type txnField struct {
	typ   reflect.Type
	index int
}

// pool is one alias: its sql.DB (pool of physical connections, with no
// idle connections of its own) and the connections the Manager keeps.
type pool struct {
	alias string
	set   Database
	db    *sqlx.DB
	// beginSQL opens a transaction: "BEGIN", or for SQLite the statement
	// of its transaction_mode ("BEGIN IMMEDIATE", …).
	beginSQL string

	// slots bounds the connections in use by scopes to MaxConns. A scope
	// waits here, not in database/sql: connections kept between requests
	// stay checked out of the sql.DB, so its own waiters would never see a
	// kept connection come back.
	slots chan struct{}
	// openMu serialises the opening of SQLite connections until one has
	// opened: the first may switch the file to WAL, which needs the
	// database to itself, and SQLite answers "database is locked" at once,
	// without waiting, to a connection opened meanwhile. WAL mode is kept
	// in the file, so once a connection has opened (opened is set) the
	// others open side by side.
	openMu     sync.Mutex
	openedOnce atomic.Bool

	mu     sync.Mutex
	idle   []*physConn // LIFO
	keeper *sqlx.Conn  // in-memory SQLite only
	inUse  int
	// due is when a kept connection can first be ConnMaxAge old, as a
	// time.Duration since the Manager's epoch; noneKept when none is
	// kept. Keeping a connection lowers it and sweep recomputes it, both
	// under mu; taking one leaves it, early but never late, so sweep can
	// skip the lock while nothing can be due (every request sweeps, on
	// every core, and the lock was contended).
	due atomic.Int64

	opened, reused, closedN, hooksRun atomic.Int64
}

// physConn is one physical connection and its birth time.
type physConn struct {
	conn *sqlx.Conn
	born time.Time
}

// scopeKey is the key of a Manager's state in a manouche.Scope.
type scopeKey struct{ m *Manager }

// scopeState is what one Manager holds in one scope.
type scopeState struct {
	mu       sync.Mutex
	finished bool
	// conns are the scope's connections in the order they were opened; a
	// scope uses one or two aliases, so a slice beats a map.
	conns []*Conn
	one   [1]*Conn // conns' first backing array, in the same allocation
}

// conn returns the scope's connection to alias, or nil. st.mu is held.
func (st *scopeState) conn(alias string) *Conn {
	for _, c := range st.conns {
		if c.p.alias == alias {
			return c
		}
	}
	return nil
}

// NewManager validates dbs and prepares one pool per alias (sqlx.Open,
// which does not connect). Nothing connects here.
func NewManager(dbs Databases, opts ...ManagerOption) (*Manager, error) {
	if err := dbs.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{pools: make(map[string]*pool, len(dbs))}
	for _, o := range opts {
		o(m)
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.epoch = m.now()
	m.uid = fmt.Sprintf("manouche.db.Manager.%p", m)
	m.created = signals.New[ConnectionCreated]("connection_created", m.log)
	for alias, d := range dbs {
		dsn, err := managerDSN(d)
		if err != nil {
			m.closePools()
			return nil, err
		}
		driver := "postgres"
		if d.Engine == SQLite {
			driver = "sqlite3"
		}
		x, err := sqlx.Open(driver, dsn)
		if err != nil {
			m.closePools()
			return nil, fmt.Errorf("db: database '%s': %w", alias, err)
		}
		max := d.MaxConns()
		if d.InMemory() {
			max++ // the keeper
		}
		x.SetMaxOpenConns(max)
		// Releasing a *sql.Conn really closes it: the Manager keeps
		// connections across scopes itself.
		x.SetMaxIdleConns(0)
		p := &pool{alias: alias, set: d, db: x, beginSQL: beginSQL(dsn), slots: make(chan struct{}, d.MaxConns())}
		p.due.Store(noneKept)
		m.pools[alias] = p
		if d.ConnMaxAge != Forever {
			m.aging = append(m.aging, p)
		}
		if d.AtomicRequests {
			m.atomicAliases = append(m.atomicAliases, alias)
		}
	}
	slices.Sort(m.atomicAliases)
	return m, nil
}

// managerDSN is DriverDSN plus the defaults of a SQLite database, unless
// the DSN or Options set them: WAL (file databases only: the memdb VFS of
// in-memory ones has no WAL), a busy timeout of 5 s, and transactions that
// take the write lock when they begin (transaction_mode IMMEDIATE).
//
// IMMEDIATE is where manouche differs from Django (which keeps SQLite's
// DEFERRED unless told otherwise) and follows Rails: a deferred
// transaction that reads, then writes, cannot wait for another writer —
// SQLite fails it at once with "database is locked", busy timeout or not —
// so concurrent requests writing inside atomic blocks fail at random. An
// immediate one waits its turn at BEGIN.
func managerDSN(d Database) (string, error) {
	dsn, err := d.DriverDSN()
	if err != nil || d.Engine != SQLite {
		return dsn, err
	}
	_, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	var set [][2]string
	if !d.InMemory() && !q.Has("_journal_mode") && !q.Has("_journal") && strings.ToLower(q.Get("mode")) != "ro" {
		set = append(set, [2]string{"_journal_mode", "WAL"})
	}
	if !q.Has("_busy_timeout") && !q.Has("_timeout") {
		set = append(set, [2]string{"_busy_timeout", "5000"})
	}
	if !q.Has("_txlock") {
		set = append(set, [2]string{"_txlock", "immediate"})
	}
	return setQuery(dsn, set, nil), nil
}

// beginSQL is the statement that opens a transaction on dsn: BEGIN, or
// for a SQLite DSN with go-sqlite3's _txlock (the transaction_mode option)
// BEGIN DEFERRED, IMMEDIATE or EXCLUSIVE.
func beginSQL(dsn string) string {
	_, query, ok := strings.Cut(dsn, "?")
	if !ok {
		return "BEGIN"
	}
	q, _ := url.ParseQuery(query)
	switch mode := strings.ToUpper(q.Get("_txlock")); mode {
	case "DEFERRED", "IMMEDIATE", "EXCLUSIVE":
		return "BEGIN " + mode
	}
	return "BEGIN"
}

// ConnectionCreated returns the Manager's connection_created signal.
func (m *Manager) ConnectionCreated() *signals.Signal[ConnectionCreated] { return m.created }

// Install connects the Manager's request_started and request_finished
// receivers to sig; installing twice is the same as once. The returned
// func disconnects them.
//
// request_started closes kept connections past their ConnMaxAge (no probe,
// no new connection); request_finished ends the request's scope: each of
// its connections is closed or kept (see Background for the rules). Its
// errors are logged, never returned, so that no other receiver's cleanup
// is stopped.
func (m *Manager) Install(sig *signals.Lifecycle) (uninstall func()) {
	started := sig.RequestStarted.Connect(func(ctx context.Context, _ any, _ signals.RequestStarted) error {
		m.sweep()
		return nil
	}, signals.DispatchUID(m.uid))
	finished := sig.RequestFinished.Connect(func(ctx context.Context, _ any, _ signals.RequestFinished) error {
		scope := manouche.ScopeFrom(ctx)
		if scope == nil {
			m.log.WarnContext(ctx, "db: request_finished without a request scope: nothing to clean up", "logger", "manouche.db")
			return nil
		}
		if err := m.finish(ctx, scope); err != nil {
			m.log.ErrorContext(ctx, "db: cleaning up the request's connections: "+err.Error(), "logger", "manouche.db")
		}
		return nil
	}, signals.DispatchUID(m.uid))
	return func() {
		started.Disconnect()
		finished.Disconnect()
	}
}

// Background returns a context carrying a new scope, for a goroutine, a
// job or a command, and the func that finishes it. Inside, Conn works as
// in a request; the func ends the scope as request_finished ends a
// request's: each connection left inside a transaction (by the server's
// own account) is closed with a warning; one that had an error is probed
// and closed if dead; the others are closed when ConnMaxAge is 0 or they
// are at least ConnMaxAge old, kept otherwise. The func returns the errors
// of closing; calling it again does nothing.
func (m *Manager) Background(ctx context.Context) (context.Context, func() error) {
	ctx, scope := manouche.NewScope(ctx)
	return ctx, func() error { return m.finish(ctx, scope) }
}

// Do calls f with ctx's connection to alias: the request's (or job's)
// own when ctx carries a scope, else that of a Background scope made for
// the call and finished when f returns, its closing errors joined to f's.
// It is for code that runs both inside requests and outside them — a
// migration run from a command or a view, a store used by the session
// middleware and by a cleanup job.
func (m *Manager) Do(ctx context.Context, alias string, f func(ctx context.Context, c *Conn) error) (err error) {
	if manouche.ScopeFrom(ctx) == nil {
		var finish func() error
		ctx, finish = m.Background(ctx)
		defer func() { err = errors.Join(err, finish()) }()
	}
	c, err := m.Conn(ctx, alias)
	if err != nil {
		return err
	}
	return f(ctx, c)
}

// state returns the Manager's state in scope, created on first use; nil
// when the scope is finished and holds none (the request is ending and
// never used this Manager).
func (m *Manager) state(scope *manouche.Scope) *scopeState {
	v, ok := scope.LoadOrStore(scopeKey{m}, func() any { return &scopeState{} })
	if !ok {
		return nil
	}
	return v.(*scopeState)
}

// Conn returns the connection of ctx's scope for alias: the first call of
// a scope takes a kept connection (LIFO; closing obsolete ones, and probing
// it first with ConnHealthChecks) or opens one; every later call of the
// scope returns the same *Conn. Outside any scope it fails with ErrNoScope.
func (m *Manager) Conn(ctx context.Context, alias string) (*Conn, error) {
	scope := manouche.ScopeFrom(ctx)
	if scope == nil {
		return nil, fmt.Errorf("%w: Conn(ctx, %q) needs a request's context or one from Manager.Background (a goroutine or job must make its own scope)", ErrNoScope, alias)
	}
	p, ok := m.pools[alias]
	if !ok {
		return nil, fmt.Errorf("%w: the connection '%s' doesn't exist", ErrNoAlias, alias)
	}
	st := m.state(scope)
	if st == nil {
		return nil, fmt.Errorf("%w: Conn(ctx, %q) after the end of its request or Background scope", ErrScopeFinished, alias)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return nil, fmt.Errorf("%w: Conn(ctx, %q) after the end of its request or Background scope", ErrScopeFinished, alias)
	}
	if c := st.conn(alias); c != nil {
		return c, nil
	}
	if m.closed.Load() {
		return nil, ErrManagerClosed
	}
	pc, err := m.acquire(ctx, p)
	if err != nil {
		return nil, err
	}
	c := &Conn{m: m, p: p, scope: scope, st: st, pc: pc}
	if m.queryLimit > 0 {
		c.qlog = &queryLog{limit: m.queryLimit}
	}
	if st.conns == nil {
		st.conns = st.one[:0]
	}
	st.conns = append(st.conns, c)
	return c, nil
}

// existing returns ctx's connection to alias, or nil when the scope has
// none; it never opens one.
func (m *Manager) existing(ctx context.Context, alias string) (*Conn, error) {
	scope := manouche.ScopeFrom(ctx)
	if scope == nil {
		return nil, fmt.Errorf("%w: the query log of %q needs a request's context or one from Manager.Background", ErrNoScope, alias)
	}
	if _, ok := m.pools[alias]; !ok {
		return nil, fmt.Errorf("%w: the connection '%s' doesn't exist", ErrNoAlias, alias)
	}
	v, ok := scope.Load(scopeKey{m})
	if !ok {
		return nil, nil
	}
	st := v.(*scopeState)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.conn(alias), nil
}

// acquire waits for a slot, then takes a kept connection or opens one,
// and counts it in use. On error the slot is given back.
func (m *Manager) acquire(ctx context.Context, p *pool) (*physConn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("db: waiting for a connection to '%s': %w", p.alias, ctx.Err())
	}
	pc, err := m.take(ctx, p)
	if err != nil {
		<-p.slots
	}
	return pc, err
}

// take is acquire once a slot is held.
func (m *Manager) take(ctx context.Context, p *pool) (*physConn, error) {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		pc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.inUse++
		p.mu.Unlock()
		if m.expired(p, pc) {
			m.closePhys(ctx, p, pc, true)
			continue
		}
		if p.set.ConnHealthChecks {
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			err := pc.conn.PingContext(pctx)
			cancel()
			if err != nil {
				m.log.InfoContext(ctx, "db: health check failed; reconnecting", "logger", "manouche.db", "alias", p.alias, "error", err.Error())
				m.closePhys(ctx, p, pc, true)
				continue
			}
		}
		p.reused.Add(1)
		return pc, nil
	}
	return m.open(ctx, p)
}

// open opens a physical connection (and, first, the in-memory keeper),
// sends connection_created, and counts it in use.
func (m *Manager) open(ctx context.Context, p *pool) (*physConn, error) {
	if p.set.InMemory() {
		if err := m.ensureKeeper(ctx, p); err != nil {
			return nil, err
		}
	}
	serial := p.set.Engine == SQLite && !p.openedOnce.Load()
	if serial {
		p.openMu.Lock()
	}
	conn, err := p.db.Connx(ctx)
	if serial {
		if err == nil {
			p.openedOnce.Store(true)
		}
		p.openMu.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("db: connecting to '%s': %w", p.alias, err)
	}
	p.opened.Add(1)
	pc := &physConn{conn: conn, born: m.now()}
	p.mu.Lock()
	p.inUse++
	p.mu.Unlock()
	if err := m.created.Send(ctx, m, ConnectionCreated{Alias: p.alias, Engine: p.set.Engine, Conn: conn}); err != nil {
		m.closePhys(ctx, p, pc, true)
		return nil, fmt.Errorf("db: connection_created for '%s': %w", p.alias, err)
	}
	return pc, nil
}

func (m *Manager) ensureKeeper(ctx context.Context, p *pool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keeper != nil {
		return nil
	}
	k, err := p.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("db: opening the keeper connection of in-memory '%s': %w", p.alias, err)
	}
	p.keeper = k
	return nil
}

// expired reports whether pc is at least ConnMaxAge old.
func (m *Manager) expired(p *pool, pc *physConn) bool {
	switch age := p.set.ConnMaxAge; {
	case age == Forever:
		return false
	case age == 0:
		return true
	default:
		return m.now().Sub(pc.born) >= age
	}
}

// closePhys closes a physical connection; inUse says whether it was
// counted in use.
func (m *Manager) closePhys(ctx context.Context, p *pool, pc *physConn, inUse bool) error {
	if inUse {
		p.mu.Lock()
		p.inUse--
		p.mu.Unlock()
	}
	p.closedN.Add(1)
	// sql.ErrConnDone: database/sql closed it already, after the driver
	// reported it bad; it is closed, as asked.
	if err := pc.conn.Close(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("db: closing a connection to '%s': %w", p.alias, err)
	}
	return nil
}

// keep gives pc back to p's idle list, or closes it if the Manager is
// closed.
func (m *Manager) keep(ctx context.Context, p *pool, pc *physConn) error {
	p.mu.Lock()
	if m.closed.Load() {
		p.mu.Unlock()
		return m.closePhys(ctx, p, pc, true)
	}
	p.inUse--
	p.idle = append(p.idle, pc)
	if p.set.ConnMaxAge != Forever { // a Forever pool is never swept
		if due := int64(m.dueAt(p, pc)); due < p.due.Load() {
			p.due.Store(due)
		}
	}
	p.mu.Unlock()
	return nil
}

// noneKept is a pool's due time when no connection is kept.
const noneKept = math.MaxInt64

// dueAt is when pc will be ConnMaxAge old, since the Manager's epoch; not
// for a Forever pool.
func (m *Manager) dueAt(p *pool, pc *physConn) time.Duration {
	return pc.born.Sub(m.epoch) + p.set.ConnMaxAge
}

// sweep closes the kept connections past their ConnMaxAge.
func (m *Manager) sweep() {
	var now time.Time // read once, when first needed: the clock costs more than the rest
	for _, p := range m.aging {
		due := p.due.Load()
		if due == noneKept {
			// Nothing kept since a sweep left none (CONN_MAX_AGE 0, or
			// every connection in use): no clock, no lock.
			continue
		}
		if now.IsZero() {
			now = m.now()
		}
		if now.Sub(m.epoch) < time.Duration(due) {
			continue // nothing kept can be that old yet
		}
		var old []*physConn
		next := int64(noneKept)
		p.mu.Lock()
		kept := p.idle[:0]
		for _, pc := range p.idle {
			if p.set.ConnMaxAge == 0 || now.Sub(pc.born) >= p.set.ConnMaxAge {
				old = append(old, pc)
			} else {
				kept = append(kept, pc)
				next = min(next, int64(m.dueAt(p, pc)))
			}
		}
		clear(p.idle[len(kept):])
		p.idle = kept
		p.due.Store(next)
		p.mu.Unlock()
		for _, pc := range old {
			if err := m.closePhys(context.Background(), p, pc, false); err != nil {
				m.log.Error(err.Error(), "logger", "manouche.db")
			}
		}
	}
}

// finish ends scope: each of its connections is closed or kept. A second
// finish does nothing.
func (m *Manager) finish(ctx context.Context, scope *manouche.Scope) error {
	// Finish the scope first: a request that never used the Manager then
	// costs nothing here (no state is made for it), and no connection can
	// be taken for it afterwards.
	scope.Finish()
	st := m.state(scope)
	if st == nil {
		return nil
	}
	st.mu.Lock()
	if st.finished {
		st.mu.Unlock()
		return nil
	}
	st.finished = true
	conns := st.conns
	st.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, c := range conns {
		if err := m.release(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// release is close_if_unusable_or_obsolete for one connection at the end
// of its scope; it gives the scope's slot back.
func (m *Manager) release(ctx context.Context, c *Conn) error {
	defer func() { <-c.p.slots }()
	p, pc := c.p, c.pc
	c.mu.Lock()
	dead := c.tx.dead
	c.tx.hooks = nil // pending on-commit hooks die with the scope
	c.mu.Unlock()
	if dead {
		return m.closePhys(ctx, p, pc, true)
	}
	inTx, err := m.inTransaction(ctx, p, pc)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, sql.ErrConnDone) || errors.Is(err, errGivenUp) {
			// The driver gave it up (lib/pq does when a query's context is
			// cancelled, as when a client goes away, even when the query
			// had just finished), and database/sql may have closed it
			// already. Routine: it must not be kept for the next request.
			level = slog.LevelDebug
		}
		m.log.Log(ctx, level, "db: could not read the transaction status; closing the connection", "logger", "manouche.db", "alias", p.alias, "error", err.Error())
		return m.closePhys(ctx, p, pc, true)
	}
	if inTx {
		m.log.WarnContext(ctx, "db: connection left inside a transaction at the end of its scope; closing it (the server rolls back)", "logger", "manouche.db", "alias", p.alias)
		return m.closePhys(ctx, p, pc, true)
	}
	if c.broken.Load() {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := pc.conn.PingContext(pctx)
		cancel()
		if err != nil {
			m.log.InfoContext(ctx, "db: dropping a broken connection", "logger", "manouche.db", "alias", p.alias, "error", err.Error())
			return m.closePhys(ctx, p, pc, true)
		}
	}
	if m.closed.Load() || m.expired(p, pc) {
		return m.closePhys(ctx, p, pc, true)
	}
	return m.keep(ctx, p, pc)
}

// errGivenUp is inTransaction's error for a connection its driver says is
// no longer usable (driver.Validator).
var errGivenUp = errors.New("db: the driver gave the connection up")

// inTransaction reports whether the server says pc is inside a
// transaction (PostgreSQL: lib/pq's txnStatus, else a probe; SQLite:
// autocommit off).
func (m *Manager) inTransaction(ctx context.Context, p *pool, pc *physConn) (bool, error) {
	var inTx, known bool
	err := pc.conn.Raw(func(dc any) error {
		if v, ok := dc.(driver.Validator); ok && !v.IsValid() {
			return errGivenUp
		}
		if sc, ok := dc.(*sqlite3.SQLiteConn); ok {
			inTx, known = !sc.AutoCommit(), true
			return nil
		}
		if st, ok := m.txnStatus(dc); ok {
			inTx, known = st != 'I', true
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if known || p.set.Engine != Postgres {
		return inTx, nil
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var same bool
	if err := pc.conn.QueryRowxContext(pctx, "SELECT now() = statement_timestamp()").Scan(&same); err != nil {
		return true, nil // in a failed transaction, or worse: close it
	}
	return !same, nil
}

// pqStatus returns the PostgreSQL transaction status of pc as lib/pq last
// read it from the server ('I' idle, 'T' in a transaction, 'E' in a failed
// one); known is false for SQLite or when it cannot be read.
func (m *Manager) pqStatus(pc *physConn) (status byte, known bool) {
	_ = pc.conn.Raw(func(dc any) error {
		status, known = m.txnStatus(dc)
		return nil
	})
	return status, known
}

// txnStatus reads lib/pq's unexported conn.txnStatus, the status byte of
// the server's last ReadyForQuery message. TestPQTxnStatusField fails if
// a lib/pq upgrade renames it; meanwhile the callers fall back to asking
// the server.
func (m *Manager) txnStatus(dc any) (byte, bool) {
	if m.probeTxn {
		return 0, false
	}
	v := reflect.ValueOf(dc)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0, false
	}
	// One entry: a Manager's PostgreSQL connections are all lib/pq's.
	f := m.txnField.Load()
	if f == nil || f.typ != v.Type() {
		f = &txnField{typ: v.Type(), index: -1}
		if sf, ok := f.typ.FieldByName("txnStatus"); ok && len(sf.Index) == 1 && sf.Type.Kind() == reflect.Uint8 {
			f.index = sf.Index[0]
		}
		m.txnField.Store(f)
	}
	if f.index < 0 {
		return 0, false
	}
	switch st := byte(v.Field(f.index).Uint()); st {
	case 'I', 'T', 'E':
		return st, true
	}
	return 0, false
}

// Close shuts the Manager down: closes the kept connections, the in-memory
// keepers and the pools. Connections still held by scopes are closed when
// their scope ends.
func (m *Manager) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return nil
	}
	return m.closePools()
}

func (m *Manager) closePools() error {
	var errs []error
	for _, p := range m.pools {
		p.mu.Lock()
		idle, keeper := p.idle, p.keeper
		p.idle, p.keeper = nil, nil
		p.due.Store(noneKept)
		p.mu.Unlock()
		for _, pc := range idle {
			if err := m.closePhys(context.Background(), p, pc, false); err != nil {
				errs = append(errs, err)
			}
		}
		if keeper != nil {
			if err := keeper.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := p.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("db: closing '%s': %w", p.alias, err))
		}
	}
	return errors.Join(errs...)
}

// Stats returns alias's counters and gauges (zero for an unknown alias).
func (m *Manager) Stats(alias string) Stats {
	p, ok := m.pools[alias]
	if !ok {
		return Stats{}
	}
	p.mu.Lock()
	kept, inUse := len(p.idle), p.inUse
	p.mu.Unlock()
	return Stats{Opened: p.opened.Load(), Reused: p.reused.Load(), Closed: p.closedN.Load(), HooksRun: p.hooksRun.Load(), Kept: kept, InUse: inUse}
}
