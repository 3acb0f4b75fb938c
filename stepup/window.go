package stepup

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// CloseReason says why an elevation window ended. The values are the ones
// the audit trail records.
type CloseReason string

// Reasons a window closes.
const (
	CloseExpired       CloseReason = "expired"        // the deadline passed, idle or not
	CloseRelocked      CloseReason = "re-locked"      // the user locked it early
	CloseContextSwitch CloseReason = "context switch" // K9s left the context and the profile closes windows on switch
	CloseExit          CloseReason = "exit"           // k9s-guard is shutting down
	CloseReplaced      CloseReason = "replaced"       // a new grant with a different scope took its place
	CloseCompleted     CloseReason = "completed"      // a one-shot grant's operation has completed
	CloseIdle          CloseReason = "idle"           // no key for the profile's closeOn.idle time
)

// Grant is one open elevation window for one context.
type Grant struct {
	// ID is random and unique per grant; elevation sources key short-lived
	// credentials by it, and tracked connections belong to it.
	ID       string
	Context  string
	Opened   time.Time
	Deadline time.Time
	// Scope is nil when the grant covers the whole context.
	Scope *GrantScope
	// Source says who opened it ("keys", "gateway", ...), for the audit.
	Source string
}

// Remaining is the time left at now (zero once past the deadline).
func (g Grant) Remaining(now time.Time) time.Duration {
	d := g.Deadline.Round(0).Sub(now.Round(0))
	if d < 0 {
		return 0
	}
	return d
}

// WindowTimer is the part of *time.Timer that Windows needs.
type WindowTimer interface {
	Stop() bool
}

// WindowClock is the time source of Windows, injectable so that tests can
// move time by hand. AfterFunc must call f on its own goroutine.
type WindowClock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) WindowTimer
}

type systemWindowClock struct{}

func (systemWindowClock) Now() time.Time { return time.Now() }
func (systemWindowClock) AfterFunc(d time.Duration, f func()) WindowTimer {
	return time.AfterFunc(d, f)
}

// SystemWindowClock is the real clock.
func SystemWindowClock() WindowClock { return systemWindowClock{} }

// maxTimerStep bounds how long a deadline timer sleeps before it looks at
// the wall clock again. Go timers run on the monotonic clock, which stops
// while a laptop is suspended; re-checking the wall clock every few seconds
// makes a window that "expired during sleep" close within maxTimerStep of
// waking rather than after the remaining monotonic time.
const maxTimerStep = 5 * time.Second

// ErrWindowNoContext is returned by Open when the context name is empty.
var ErrWindowNoContext = errors.New("open window: empty context name")

// Windows holds the open elevation windows, at most one per context. It is
// safe for concurrent use. Deadlines are enforced by timers, so a window
// closes on time even when the user is idle, and every connection tracked
// against a grant (an exec shell, an attach, a port-forward) is closed with
// it: a root shell must not outlive its window.
type Windows struct {
	clock WindowClock

	mu       sync.Mutex
	open     map[string]*window // by context
	onClose  []func(Grant, CloseReason)
	onOpen   []func(Grant)
	closed   bool
	nextConn uint64
}

type window struct {
	grant Grant
	timer WindowTimer
	conns map[uint64]io.Closer
	done  bool
}

// NewWindows returns an empty set of windows; a nil clock means the real one.
func NewWindows(clock WindowClock) *Windows {
	if clock == nil {
		clock = SystemWindowClock()
	}
	return &Windows{clock: clock, open: map[string]*window{}}
}

// Now is the clock Windows runs on, so callers compare against the same time.
func (w *Windows) Now() time.Time { return w.clock.Now() }

// OnClose registers fn to run after a window closes, for any reason. The
// audit log, the status line and the gateway (which revokes short-lived
// credentials) each register one. Callbacks run in registration order,
// outside Windows' lock, after the grant's connections have been closed.
func (w *Windows) OnClose(fn func(Grant, CloseReason)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onClose = append(w.onClose, fn)
}

// OnOpen registers fn to run after a window opens or is extended.
func (w *Windows) OnOpen(fn func(Grant)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onOpen = append(w.onOpen, fn)
}

// Open opens a window of duration d for the whole context.
func (w *Windows) Open(context string, d time.Duration) (Grant, error) {
	return w.OpenScoped(context, d, nil, "")
}

// OpenScoped opens a window of duration d for context, limited to scope
// (nil: the whole context), recording who opened it. If a window with the
// same scope is already open its deadline is extended (never shortened) and
// the same grant is returned, so running shells survive a second step-up;
// a window with a different scope is replaced.
func (w *Windows) OpenScoped(context string, d time.Duration, scope *GrantScope, source string) (Grant, error) {
	if context == "" {
		return Grant{}, ErrWindowNoContext
	}
	if d <= 0 {
		return Grant{}, fmt.Errorf("open window for %q: duration %s is not positive", context, d)
	}
	now := w.clock.Now()
	deadline := now.Add(d).Round(0)

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return Grant{}, fmt.Errorf("open window for %q: windows are shut down", context)
	}
	var replaced *closing
	if cur, ok := w.open[context]; ok {
		if scopeEqual(cur.grant.Scope, scope) {
			if deadline.After(cur.grant.Deadline) {
				cur.grant.Deadline = deadline
				cur.timer.Stop()
				cur.timer = w.armLocked(cur)
			}
			g := cur.grant
			cbs := slices.Clone(w.onOpen)
			w.mu.Unlock()
			for _, fn := range cbs {
				fn(g)
			}
			return g, nil
		}
		r := w.detachLocked(cur)
		replaced = &r
	}
	win := &window{
		grant: Grant{
			ID:       newGrantID(),
			Context:  context,
			Opened:   now.Round(0),
			Deadline: deadline,
			Scope:    cloneScope(scope),
			Source:   source,
		},
		conns: map[uint64]io.Closer{},
	}
	win.timer = w.armLocked(win)
	w.open[context] = win
	g := win.grant
	openCbs := slices.Clone(w.onOpen)
	closeCbs := slices.Clone(w.onClose)
	w.mu.Unlock()

	if replaced != nil {
		finish(*replaced, CloseReplaced, closeCbs)
	}
	for _, fn := range openCbs {
		fn(g)
	}
	return g, nil
}

// Active returns the open grant for context, if any. A grant whose deadline
// has passed on the wall clock is closed here and not returned, even if its
// timer has not fired yet (after a suspend, say).
func (w *Windows) Active(context string) (Grant, bool) {
	now := w.clock.Now().Round(0)
	w.mu.Lock()
	win, ok := w.open[context]
	if !ok {
		w.mu.Unlock()
		return Grant{}, false
	}
	if now.Before(win.grant.Deadline) {
		g := win.grant
		w.mu.Unlock()
		return g, true
	}
	detached := w.detachLocked(win)
	cbs := slices.Clone(w.onClose)
	w.mu.Unlock()
	finish(detached, CloseExpired, cbs)
	return Grant{}, false
}

// Lookup returns the grant with this ID if it is still open.
func (w *Windows) Lookup(id string) (Grant, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, win := range w.open {
		if win.grant.ID == id {
			return win.grant, true
		}
	}
	return Grant{}, false
}

// Grants returns every open grant, sorted by context.
func (w *Windows) Grants() []Grant {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Grant, 0, len(w.open))
	for _, win := range w.open {
		out = append(out, win.grant)
	}
	slices.SortFunc(out, func(a, b Grant) int {
		switch {
		case a.Context < b.Context:
			return -1
		case a.Context > b.Context:
			return 1
		}
		return 0
	})
	return out
}

// CloseGrant ends the grant with this ID, if it is still open (a one-shot
// grant whose operation completed). Unlike Close it never touches a grant
// that has replaced it meanwhile.
func (w *Windows) CloseGrant(id string, reason CloseReason) bool {
	w.mu.Lock()
	for _, win := range w.open {
		if win.grant.ID != id {
			continue
		}
		detached := w.detachLocked(win)
		cbs := slices.Clone(w.onClose)
		w.mu.Unlock()
		finish(detached, reason, cbs)
		return true
	}
	w.mu.Unlock()
	return false
}

// Close ends the window of context early. It reports whether one was open.
func (w *Windows) Close(context string, reason CloseReason) bool {
	w.mu.Lock()
	win, ok := w.open[context]
	if !ok {
		w.mu.Unlock()
		return false
	}
	detached := w.detachLocked(win)
	cbs := slices.Clone(w.onClose)
	w.mu.Unlock()
	finish(detached, reason, cbs)
	return true
}

// CloseAll ends every window, e.g. with CloseExit when k9s-guard exits.
func (w *Windows) CloseAll(reason CloseReason) {
	w.mu.Lock()
	var all []closing
	for _, win := range w.open {
		all = append(all, w.detachLocked(win))
	}
	cbs := slices.Clone(w.onClose)
	w.mu.Unlock()
	for _, win := range all {
		finish(win, reason, cbs)
	}
}

// Shutdown closes every window with CloseExit and refuses new ones.
func (w *Windows) Shutdown() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.CloseAll(CloseExit)
}

// Track ties c (typically a hijacked client connection carrying an exec,
// attach or port-forward stream) to the grant: when the grant closes, c is
// closed. release forgets c once the stream ends on its own. If the grant is
// no longer open, Track closes nothing and returns ok=false; the caller must
// then close c itself and not start the stream.
func (w *Windows) Track(grantID string, c io.Closer) (release func(), ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, win := range w.open {
		if win.grant.ID != grantID || win.done {
			continue
		}
		w.nextConn++
		id := w.nextConn
		win.conns[id] = c
		return func() {
			w.mu.Lock()
			delete(win.conns, id)
			w.mu.Unlock()
		}, true
	}
	return func() {}, false
}

// armLocked starts the deadline timer of win. The timer fires at the
// deadline or after maxTimerStep, whichever is first, and re-arms itself
// until the wall clock says the deadline has passed.
func (w *Windows) armLocked(win *window) WindowTimer {
	step := win.grant.Remaining(w.clock.Now())
	if step > maxTimerStep {
		step = maxTimerStep
	}
	id := win.grant.ID
	return w.clock.AfterFunc(step, func() { w.tick(win.grant.Context, id) })
}

func (w *Windows) tick(context, id string) {
	now := w.clock.Now().Round(0)
	w.mu.Lock()
	win, ok := w.open[context]
	if !ok || win.grant.ID != id {
		w.mu.Unlock()
		return
	}
	if now.Before(win.grant.Deadline) {
		win.timer = w.armLocked(win)
		w.mu.Unlock()
		return
	}
	detached := w.detachLocked(win)
	cbs := slices.Clone(w.onClose)
	w.mu.Unlock()
	finish(detached, CloseExpired, cbs)
}

// closing is a window taken out of the open set, with a snapshot of its
// connections, so that finish can run without the lock.
type closing struct {
	grant Grant
	conns []io.Closer
}

// detachLocked removes win from the open set and stops its timer; finish
// does the rest outside the lock.
func (w *Windows) detachLocked(win *window) closing {
	delete(w.open, win.grant.Context)
	win.timer.Stop()
	win.done = true
	c := closing{grant: win.grant}
	for _, conn := range win.conns {
		c.conns = append(c.conns, conn)
	}
	clear(win.conns)
	return c
}

// finish closes the grant's tracked connections, then tells the listeners.
func finish(c closing, reason CloseReason, cbs []func(Grant, CloseReason)) {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	for _, fn := range cbs {
		fn(c.grant, reason)
	}
}

func newGrantID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
