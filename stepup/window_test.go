package stepup

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// windowTestClock is a hand-driven WindowClock: time moves only in Advance,
// which runs due timers in deadline order on the caller's goroutine.
type windowTestClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*windowTestTimer
}

type windowTestTimer struct {
	clock   *windowTestClock
	at      time.Time
	f       func()
	stopped bool
}

func (t *windowTestTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func newWindowTestClock() *windowTestClock {
	return &windowTestClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *windowTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *windowTestClock) AfterFunc(d time.Duration, f func()) WindowTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &windowTestTimer{clock: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward by d, firing every timer that falls due,
// including timers armed by the callbacks themselves.
func (c *windowTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *windowTestTimer
		for _, t := range c.timers {
			if !t.stopped && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		next.stopped = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

// setWall jumps the clock without firing timers, like a laptop waking from
// suspend: the monotonic timers have not run, the wall clock has moved.
func (c *windowTestClock) setWall(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type closeRecord struct {
	grant  Grant
	reason CloseReason
}

func newTestWindows(t *testing.T) (*Windows, *windowTestClock, *[]closeRecord) {
	t.Helper()
	clock := newWindowTestClock()
	w := NewWindows(clock)
	var (
		mu     sync.Mutex
		closed []closeRecord
	)
	w.OnClose(func(g Grant, r CloseReason) {
		mu.Lock()
		closed = append(closed, closeRecord{g, r})
		mu.Unlock()
	})
	return w, clock, &closed
}

type fakeConn struct{ closed int }

func (f *fakeConn) Close() error { f.closed++; return nil }

func TestWindowExpiresWhileIdle(t *testing.T) {
	w, clock, closed := newTestWindows(t)
	g, err := w.Open("prod", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if g.Deadline.Sub(g.Opened) != 5*time.Minute {
		t.Fatalf("deadline %s after open, want 5m", g.Deadline.Sub(g.Opened))
	}
	if _, ok := w.Active("prod"); !ok {
		t.Fatal("window not active right after Open")
	}
	if _, ok := w.Active("dev"); ok {
		t.Fatal("window of prod leaked into dev")
	}
	clock.Advance(5*time.Minute - time.Second)
	if len(*closed) != 0 {
		t.Fatalf("closed early: %+v", *closed)
	}
	// Nobody calls Active from here on: the timer alone must close it.
	clock.Advance(time.Second)
	if len(*closed) != 1 || (*closed)[0].reason != CloseExpired || (*closed)[0].grant.ID != g.ID {
		t.Fatalf("closes = %+v, want one %q for %s", *closed, CloseExpired, g.ID)
	}
	if _, ok := w.Active("prod"); ok {
		t.Fatal("window still active after its deadline")
	}
}

func TestWindowClosesTrackedStreams(t *testing.T) {
	w, clock, _ := newTestWindows(t)
	g, _ := w.Open("prod", time.Minute)
	shell, pf := &fakeConn{}, &fakeConn{}
	release, ok := w.Track(g.ID, shell)
	if !ok {
		t.Fatal("Track refused an open grant")
	}
	_ = release
	releasePF, _ := w.Track(g.ID, pf)
	releasePF() // this port-forward ended on its own
	clock.Advance(time.Minute)
	if shell.closed != 1 {
		t.Fatalf("open shell closed %d times at the deadline, want 1", shell.closed)
	}
	if pf.closed != 0 {
		t.Fatalf("released connection closed %d times, want 0", pf.closed)
	}
	late := &fakeConn{}
	if _, ok := w.Track(g.ID, late); ok {
		t.Fatal("Track accepted a connection for a closed grant")
	}
}

func TestWindowRelockAndReasons(t *testing.T) {
	w, _, closed := newTestWindows(t)
	_, _ = w.Open("prod", time.Minute)
	_, _ = w.Open("staging", time.Minute)
	if !w.Close("prod", CloseRelocked) {
		t.Fatal("Close reported no window")
	}
	if w.Close("prod", CloseRelocked) {
		t.Fatal("second Close reported a window")
	}
	w.Close("staging", CloseContextSwitch)
	_, _ = w.Open("qa", time.Minute)
	w.Shutdown()
	want := []CloseReason{CloseRelocked, CloseContextSwitch, CloseExit}
	if len(*closed) != len(want) {
		t.Fatalf("closes = %+v", *closed)
	}
	for i, r := range want {
		if (*closed)[i].reason != r {
			t.Errorf("close %d reason %q, want %q", i, (*closed)[i].reason, r)
		}
	}
	if _, err := w.Open("prod", time.Minute); err == nil {
		t.Fatal("Open succeeded after Shutdown")
	}
}

func TestWindowExtendKeepsGrant(t *testing.T) {
	w, clock, closed := newTestWindows(t)
	g1, _ := w.Open("prod", 2*time.Minute)
	shell := &fakeConn{}
	w.Track(g1.ID, shell)
	clock.Advance(time.Minute)
	g2, _ := w.Open("prod", 5*time.Minute)
	if g2.ID != g1.ID {
		t.Fatal("re-opening the same scope replaced the grant; running shells would die")
	}
	if !g2.Deadline.After(g1.Deadline) {
		t.Fatalf("deadline not extended: %s -> %s", g1.Deadline, g2.Deadline)
	}
	clock.Advance(2 * time.Minute) // past the first deadline
	if len(*closed) != 0 || shell.closed != 0 {
		t.Fatalf("closed at the old deadline: %+v", *closed)
	}
	// A shorter Open never shortens the window.
	g3, _ := w.Open("prod", time.Second)
	if !g3.Deadline.Equal(g2.Deadline) {
		t.Fatalf("Open shortened the deadline: %s -> %s", g2.Deadline, g3.Deadline)
	}
	clock.Advance(3 * time.Minute)
	if len(*closed) != 1 || shell.closed != 1 {
		t.Fatalf("closes %+v, shell closed %d", *closed, shell.closed)
	}
}

func TestWindowScopeReplace(t *testing.T) {
	w, _, closed := newTestWindows(t)
	g1, _ := w.OpenScoped("prod", time.Minute, &GrantScope{Resource: "pods", Names: []string{"a"}}, "gateway")
	if g1.Scope == nil || g1.Scope.Resource != "pods" || g1.Source != "gateway" {
		t.Fatalf("grant %+v lost its scope or source", g1)
	}
	g2, _ := w.Open("prod", time.Minute)
	if g2.ID == g1.ID || g2.Scope != nil {
		t.Fatalf("whole-context grant %+v did not replace the scoped one", g2)
	}
	if len(*closed) != 1 || (*closed)[0].reason != CloseReplaced {
		t.Fatalf("closes = %+v, want one %q", *closed, CloseReplaced)
	}
}

func TestWindowExpiredDuringSuspend(t *testing.T) {
	w, clock, closed := newTestWindows(t)
	_, _ = w.Open("prod", time.Minute)
	// The wall clock moves an hour while no timer runs.
	clock.setWall(time.Hour)
	if _, ok := w.Active("prod"); ok {
		t.Fatal("a window past its wall-clock deadline is still active")
	}
	if len(*closed) != 1 || (*closed)[0].reason != CloseExpired {
		t.Fatalf("closes = %+v", *closed)
	}
}

func TestWindowTimerRechecksWallClock(t *testing.T) {
	w, clock, closed := newTestWindows(t)
	_, _ = w.Open("prod", time.Hour)
	clock.setWall(2 * time.Hour)
	// Only the next periodic re-check runs; it must see the wall clock.
	clock.Advance(maxTimerStep)
	if len(*closed) != 1 {
		t.Fatalf("window not closed by the timer after a wall-clock jump: %+v", *closed)
	}
}

func TestWindowOpenValidates(t *testing.T) {
	w := NewWindows(newWindowTestClock())
	if _, err := w.Open("", time.Minute); !errors.Is(err, ErrWindowNoContext) {
		t.Fatalf("empty context: err = %v", err)
	}
	if _, err := w.Open("prod", 0); err == nil {
		t.Fatal("zero duration accepted")
	}
}

func TestWindowOnOpenAndLookup(t *testing.T) {
	w := NewWindows(newWindowTestClock())
	var opened []string
	w.OnOpen(func(g Grant) { opened = append(opened, g.Context) })
	g, _ := w.Open("prod", time.Minute)
	_, _ = w.Open("dev", time.Minute)
	if len(opened) != 2 {
		t.Fatalf("OnOpen calls = %v", opened)
	}
	if got, ok := w.Lookup(g.ID); !ok || got.Context != "prod" {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	if gs := w.Grants(); len(gs) != 2 || gs[0].Context != "dev" {
		t.Fatalf("Grants = %+v", gs)
	}
}

func TestWindowCloseGrantOnlyThatGrant(t *testing.T) {
	w, _, closed := newTestWindows(t)
	g1, _ := w.OpenScoped("prod", time.Minute, &GrantScope{Resource: "pods", Names: []string{"a"}}, "keys")
	g2, _ := w.OpenScoped("prod", time.Minute, &GrantScope{Resource: "pods", Names: []string{"b"}}, "keys")
	// g1 was replaced: closing it by ID must not close g2.
	if w.CloseGrant(g1.ID, CloseCompleted) {
		t.Fatal("closed a grant that was no longer open")
	}
	if g, ok := w.Active("prod"); !ok || g.ID != g2.ID {
		t.Fatalf("active = %+v %v, want g2", g, ok)
	}
	if !w.CloseGrant(g2.ID, CloseCompleted) {
		t.Fatal("CloseGrant did not find the open grant")
	}
	if _, ok := w.Active("prod"); ok {
		t.Fatal("grant still open")
	}
	if n := len(*closed); n != 2 || (*closed)[1].reason != CloseCompleted {
		t.Fatalf("closes = %+v", *closed)
	}
	// A different subresource or verb is a different scope (not an extension).
	g3, _ := w.OpenScoped("prod", time.Minute, &GrantScope{Resource: "deployments", Names: []string{"web"}, Verbs: []string{"update"}}, "keys")
	g4, _ := w.OpenScoped("prod", time.Minute, &GrantScope{Resource: "deployments", Names: []string{"web"}, Verbs: []string{"update"}, Subresource: "scale"}, "keys")
	if g3.ID == g4.ID {
		t.Fatal("a scale scope extended an edit grant")
	}
}

// TestWindowScopeWithOtherActionReplaces — attack: a grant for a restart is
// open, and a step-up for an image change on the same Deployment (same
// group, resource, namespace and name) extends it instead of replacing it,
// so the window keeps saying "restart" while the image change waits for a
// grant that never comes, or a sloppier matcher lets it ride. A scope with
// another action or content is another grant.
func TestWindowScopeWithOtherActionReplaces(t *testing.T) {
	w, _, closed := newTestWindows(t)
	restart, _ := KeyScope("restart", "deployments", []Target{{Namespace: "shop", Name: "web"}})
	edit, _ := KeyScope("edit", "deployments", []Target{{Namespace: "shop", Name: "web"}})
	g1, _ := w.OpenScoped("prod", time.Minute, restart, "keys")
	g2, _ := w.OpenScoped("prod", time.Minute, edit, "keys")
	if g1.ID == g2.ID || g2.Scope.Action != "edit" {
		t.Fatalf("the edit grant %+v did not replace the restart grant %+v", g2, g1)
	}
	proxyA := &GrantScope{Resource: "nodes", Subresource: "proxy", Names: []string{"n1"}, Action: "proxy", Content: "GET /configz"}
	proxyB := &GrantScope{Resource: "nodes", Subresource: "proxy", Names: []string{"n1"}, Action: "proxy", Content: "POST /run"}
	g3, _ := w.OpenScoped("prod", time.Minute, proxyA, "gateway")
	g4, _ := w.OpenScoped("prod", time.Minute, proxyB, "gateway")
	if g3.ID == g4.ID || g4.Scope.Content != "POST /run" {
		t.Fatalf("a scope with other content extended %+v", g3)
	}
	g5, _ := w.OpenScoped("prod", time.Minute, proxyB, "gateway")
	if g5.ID != g4.ID {
		t.Fatal("the same scope again did not extend its grant")
	}
	if len(*closed) != 3 {
		t.Fatalf("closes %+v, want three replacements", *closed)
	}
}
