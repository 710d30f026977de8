package db

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"

	"github.com/manouche/manouche"
)

// Errors of transaction management. They are wrapped with Django's text;
// test them with errors.Is.
var (
	// ErrTransactionManagement is Django's TransactionManagementError and
	// the RuntimeErrors of atomic: a durable block nested in another, an
	// on-commit hook in a transaction begun outside Atomic, an Atomic
	// entered while a raw BEGIN is open.
	ErrTransactionManagement = errors.New("db: transaction management error")
	// ErrBrokenTransaction: a query inside an atomic block after an
	// earlier query of the block failed. The block will roll back; no
	// query runs until it ends (SEMANTICS 84).
	ErrBrokenTransaction = fmt.Errorf("%w: An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block.", ErrTransactionManagement)
)

// AtomicOption configures one atomic block.
type AtomicOption func(*atomicOpts)

type atomicOpts struct {
	noSavepoint bool
	durable     bool
}

// NoSavepoint is Django's atomic(savepoint=False): a nested block opens no
// savepoint, so an error inside it marks the whole outer block for
// rollback instead of rolling back to the start of the inner one. It has
// no effect on an outermost block.
func NoSavepoint() AtomicOption { return func(o *atomicOpts) { o.noSavepoint = true } }

// Durable is Django's atomic(durable=True): the block must be outermost,
// so that its commit is a real one; nested in another block it fails with
// ErrTransactionManagement before running anything.
func Durable() AtomicOption { return func(o *atomicOpts) { o.durable = true } }

// HookOption configures one on-commit hook.
type HookOption func(*commitHook)

// Robust is Django's on_commit(robust=True): an error (or panic) of the
// hook is logged and the later hooks still run. Without it, a failing hook
// stops the hooks after it, and its error is what the outermost Atomic
// returns (the data stays committed).
func Robust() HookOption { return func(h *commitHook) { h.robust = true } }

// commitHook is one OnCommit registration.
type commitHook struct {
	fn     func(context.Context) error
	robust bool
	sids   []string // the savepoints active when it was registered
}

// txState is a Conn's transaction state (Django's in_atomic_block,
// savepoint_ids, needs_rollback, run_on_commit), guarded by Conn.mu.
type txState struct {
	depth         int      // open atomic blocks; 0 is autocommit
	sids          []string // per nested block, its savepoint or ""
	needsRollback bool
	hooks         []commitHook
	spSeq         int
	// dead: a ROLLBACK failed, so the connection is in an unknown state;
	// it is closed at the end of the scope, probe or not.
	dead bool
}

// InAtomicBlock reports whether an atomic block is open on c (Django's
// connection.in_atomic_block).
func (c *Conn) InAtomicBlock() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tx.depth > 0
}

// Atomic runs fn inside an atomic block on c: Django's transaction.atomic
// (SEMANTICS 85). The outermost block begins a transaction and commits it
// when fn returns nil, or rolls it back when fn returns an error or
// panics; a nested block does the same with a savepoint (none with
// NoSavepoint). fn must run its queries through c (or Manager.Conn with
// ctx, which returns c), with the ctx it is given.
//
// A query error inside the block marks it for rollback: later queries of
// the block fail with ErrBrokenTransaction and the block rolls back at its
// end even if fn swallowed the error and returned nil — in which case
// Atomic, as Django, returns nil and logs a warning. Wrap a query whose
// error you mean to handle in a nested Atomic: its savepoint rolls back
// alone and the outer block goes on.
//
// Atomic returns fn's error unchanged, or the error of COMMIT (after
// which the transaction was rolled back), or that of the first failing
// non-Robust on-commit hook (after the commit). BEGIN, SAVEPOINT, COMMIT
// and ROLLBACK run to completion even when ctx is cancelled meanwhile. A
// failed ROLLBACK leaves the connection in an unknown state: it is closed
// at the end of the scope.
func (c *Conn) Atomic(ctx context.Context, fn func(ctx context.Context) error, opts ...AtomicOption) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	var o atomicOpts
	for _, opt := range opts {
		opt(&o)
	}
	c.mu.Lock()
	outer := c.tx.depth == 0
	needs := c.tx.needsRollback
	c.mu.Unlock()
	if o.durable && !outer {
		return fmt.Errorf("%w: A durable atomic block cannot be nested within another atomic block.", ErrTransactionManagement)
	}

	sid := ""
	if outer {
		inTx, err := c.m.inTransaction(ctx, c.p, c.pc)
		if err != nil {
			return fmt.Errorf("db: atomic on '%s': reading the transaction status: %w", c.p.alias, err)
		}
		if inTx {
			return fmt.Errorf("%w: atomic on '%s': the connection is already inside a transaction begun outside Atomic (a raw BEGIN); commit or roll it back first", ErrTransactionManagement, c.p.alias)
		}
		if err := c.control(ctx, c.p.beginSQL); err != nil {
			return fmt.Errorf("db: atomic on '%s': %s: %w", c.p.alias, c.p.beginSQL, err)
		}
		c.mu.Lock()
		c.tx = txState{depth: 1, spSeq: c.tx.spSeq, dead: c.tx.dead}
		c.mu.Unlock()
	} else {
		if !o.noSavepoint && !needs {
			c.mu.Lock()
			c.tx.spSeq++
			sid = "manouche_sp_" + strconv.Itoa(c.tx.spSeq)
			c.mu.Unlock()
			if err := c.control(ctx, "SAVEPOINT "+sid); err != nil {
				return fmt.Errorf("db: atomic on '%s': SAVEPOINT: %w", c.p.alias, err)
			}
		}
		c.mu.Lock()
		c.tx.depth++
		c.tx.sids = append(c.tx.sids, sid)
		c.mu.Unlock()
	}

	// A panic (or runtime.Goexit) in fn rolls the block back on its way
	// out, without being recovered: its stack stays the original one.
	done := false
	defer func() {
		if !done {
			c.exit(ctx, outer, sid, errPanicked)
		}
	}()
	err := fn(ctx)
	done = true
	return c.exit(ctx, outer, sid, err)
}

// errPanicked stands for a panic leaving an atomic block.
var errPanicked = errors.New("panicked")

// exit is Atomic.__exit__ for the block that opened sid (or the outermost
// one), fn having returned ferr.
func (c *Conn) exit(ctx context.Context, outer bool, sid string, ferr error) error {
	c.mu.Lock()
	c.tx.depth--
	if !outer {
		c.tx.sids = c.tx.sids[:len(c.tx.sids)-1]
	}
	needs := c.tx.needsRollback
	c.mu.Unlock()

	if ferr == nil && !needs && outer {
		if status, known := c.m.pqStatus(c.pc); known && status == 'E' {
			// The server aborted the transaction after an error that did
			// not go through c (a receiver of connection_created, …):
			// COMMIT would answer ROLLBACK without an error.
			c.rollback(ctx)
			return fmt.Errorf("db: atomic on '%s': the server aborted the transaction after an error that was not seen through the Conn; it was rolled back", c.p.alias)
		}
		if err := c.control(ctx, "COMMIT"); err != nil {
			c.rollback(ctx)
			return fmt.Errorf("db: atomic on '%s': COMMIT: %w", c.p.alias, err)
		}
		c.broken.Store(false) // a successful commit clears the error flag (SEMANTICS 79)
		c.mu.Lock()
		hooks := c.tx.hooks
		c.tx.hooks = nil
		c.mu.Unlock()
		return c.runHooks(ctx, hooks)
	}
	if ferr == nil && !needs {
		if sid == "" {
			return nil
		}
		err := c.control(ctx, "RELEASE SAVEPOINT "+sid)
		if err == nil {
			return nil
		}
		if c.rollbackTo(ctx, sid) != nil {
			c.mu.Lock()
			c.tx.needsRollback = true
			c.mu.Unlock()
		}
		return fmt.Errorf("db: atomic on '%s': RELEASE SAVEPOINT: %w", c.p.alias, err)
	}

	// fn failed, panicked, or the block is marked for rollback.
	c.mu.Lock()
	c.tx.needsRollback = false
	c.mu.Unlock()
	switch {
	case outer:
		c.rollback(ctx)
	case sid == "":
		// No savepoint to roll back to: the outer block must roll back.
		c.mu.Lock()
		c.tx.needsRollback = true
		c.mu.Unlock()
	default:
		if c.rollbackTo(ctx, sid) != nil {
			c.mu.Lock()
			c.tx.needsRollback = true
			c.mu.Unlock()
		}
	}
	if ferr == nil && outer {
		c.m.log.WarnContext(ctx, "db: an atomic block was rolled back: a query inside it failed and fn returned nil", "logger", "manouche.db", "alias", c.p.alias)
	}
	if ferr == errPanicked {
		return nil // the panic goes on
	}
	return ferr
}

// rollback rolls the transaction back and drops the on-commit hooks. A
// failed ROLLBACK marks the connection dead (Django closes it).
func (c *Conn) rollback(ctx context.Context) {
	err := c.control(ctx, "ROLLBACK")
	c.mu.Lock()
	c.tx.hooks = nil
	if err != nil {
		c.tx.dead = true
	}
	c.mu.Unlock()
	if err != nil {
		c.m.log.ErrorContext(ctx, "db: ROLLBACK failed; the connection will be closed: "+err.Error(), "logger", "manouche.db", "alias", c.p.alias)
		return
	}
	c.broken.Store(false) // a successful rollback clears the error flag (SEMANTICS 79)
}

// rollbackTo rolls back to savepoint sid and releases it, dropping the
// hooks registered while it was active.
func (c *Conn) rollbackTo(ctx context.Context, sid string) error {
	err := c.control(ctx, "ROLLBACK TO SAVEPOINT "+sid)
	if err == nil {
		err = c.control(ctx, "RELEASE SAVEPOINT "+sid)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	kept := c.tx.hooks[:0]
	for _, h := range c.tx.hooks {
		if !slices.Contains(h.sids, sid) {
			kept = append(kept, h)
		}
	}
	clear(c.tx.hooks[len(kept):])
	c.tx.hooks = kept
	c.mu.Unlock()
	return nil
}

// OnCommit is Django's transaction.on_commit (SEMANTICS 86): inside an
// atomic block, fn is queued and runs after the outermost block commits,
// in registration order, with the ctx given to that Atomic; it is dropped
// if the transaction, or a savepoint active when it was registered, rolls
// back. Outside any atomic block fn runs at once and its error is
// returned. Inside a transaction begun outside Atomic (a raw BEGIN) it
// fails with ErrTransactionManagement.
//
// A failing hook stops the later ones and its error is returned by the
// outermost Atomic (the data stays committed); with Robust its error or
// panic is logged and the others run.
func (c *Conn) OnCommit(ctx context.Context, fn func(ctx context.Context) error, opts ...HookOption) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: on_commit()'s callback must be a callable.", ErrTransactionManagement)
	}
	h := commitHook{fn: fn}
	for _, o := range opts {
		o(&h)
	}
	c.mu.Lock()
	if c.tx.depth > 0 {
		for _, sid := range c.tx.sids {
			if sid != "" {
				h.sids = append(h.sids, sid)
			}
		}
		c.tx.hooks = append(c.tx.hooks, h)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	inTx, err := c.m.inTransaction(ctx, c.p, c.pc)
	if err != nil {
		return fmt.Errorf("db: on_commit on '%s': reading the transaction status: %w", c.p.alias, err)
	}
	if inTx {
		return fmt.Errorf("%w: on_commit() cannot be used in manual transaction management", ErrTransactionManagement)
	}
	return c.runHooks(ctx, []commitHook{h})
}

// runHooks is Django's run_and_clear_commit_hooks.
func (c *Conn) runHooks(ctx context.Context, hooks []commitHook) error {
	for _, h := range hooks {
		c.p.hooksRun.Add(1)
		if !h.robust {
			if err := h.fn(ctx); err != nil {
				return fmt.Errorf("db: on-commit hook %s: %w", manouche.FuncName(h.fn), err)
			}
			continue
		}
		if err := runRobust(ctx, h.fn); err != nil {
			c.m.log.ErrorContext(ctx, fmt.Sprintf("Error calling %s in on_commit() (%s).", manouche.FuncName(h.fn), err), "logger", "manouche.db", "alias", c.p.alias)
		}
	}
	return nil
}

// runRobust calls fn, turning a panic into an error.
func runRobust(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx)
}

// Atomic runs fn in an atomic block on ctx's connection to alias (see
// Conn.Atomic); inside, Manager.Conn(ctx, alias) returns that connection.
func (m *Manager) Atomic(ctx context.Context, alias string, fn func(ctx context.Context) error, opts ...AtomicOption) error {
	c, err := m.Conn(ctx, alias)
	if err != nil {
		return err
	}
	return c.Atomic(ctx, fn, opts...)
}

// OnCommit registers fn on ctx's connection to alias (see Conn.OnCommit).
func (m *Manager) OnCommit(ctx context.Context, alias string, fn func(ctx context.Context) error, opts ...HookOption) error {
	c, err := m.Conn(ctx, alias)
	if err != nil {
		return err
	}
	return c.OnCommit(ctx, fn, opts...)
}
