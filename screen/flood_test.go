package screen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// fakeClock is a clock the test moves by hand; its timers fire, each on a
// goroutine of its own as time.AfterFunc's do, when Advance passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

// floodShadow is a shadow screen on a fake clock whose inline budget an
// earlier flood has spent (the clock never refills it unless moved), and
// a channel told each time the pump starts waiting for the flood to pause.
func floodShadow(t *testing.T, ring int) (*Shadow, *fakeClock, <-chan struct{}) {
	t.Helper()
	clk := newFakeClock()
	waiting := make(chan struct{}, 1)
	pumpWaitHook = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() { pumpWaitHook = nil })
	s := newShadow(80, 24, clk, ring)
	t.Cleanup(s.Close)
	s.mu.Lock()
	s.inline = inlineBudget{at: clk.Now()}
	s.mu.Unlock()
	return s, clk, waiting
}

// A flood of K9s output is not emulated while it lasts: on two cores the
// emulator beside a flood took 45% off the terminal's throughput, and,
// slower than the flood, finished no sooner. The pump waits for the flood
// to pause for floodQuiet; a reader that needs the screen now (the key
// gate's StateWithin) makes it digest at once; the screen watcher's
// patient look (CaughtUpWithin) does not.
func TestShadowLeavesAFloodUntilItPauses(t *testing.T) {
	s, clk, waiting := floodShadow(t, maxBacklog)
	if _, err := s.Write([]byte("\x1b[Hframe one")); err != nil {
		t.Fatal(err)
	}
	<-waiting // the pump has the flood and waits for a pause
	if g := s.Generation(); g != 0 {
		t.Fatalf("the emulator was fed %d bytes of a flood that has not paused", g)
	}
	if s.CaughtUpWithin(30 * time.Millisecond) {
		t.Fatal("the watcher's patient look made the pump digest a flood")
	}
	// The flood goes on: output floodQuiet/2 later restarts the wait.
	clk.Advance(floodQuiet / 2)
	if _, err := s.Write([]byte("\x1b[Hframe two")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(floodQuiet/2 + time.Millisecond)
	if s.CaughtUpWithin(30 * time.Millisecond) {
		t.Fatal("the pump digested before the flood had paused for floodQuiet")
	}
	clk.Advance(floodQuiet)
	if !s.CaughtUpWithin(time.Minute) {
		t.Fatal("the pump never digested the flood once it paused")
	}
	if got := s.Lines()[0]; got != "frame two" {
		t.Fatalf("top row %q, want the flood's last frame", got)
	}

	// The next flood: a reader that needs the screen does not wait for a
	// pause that is not coming.
	if _, err := s.Write([]byte("\x1b[Hframe three")); err != nil {
		t.Fatal(err)
	}
	<-waiting
	st, caught := s.StateWithin(time.Minute)
	if !caught {
		t.Fatalf("StateWithin gave up on a flood the pump was holding back: %+v", st)
	}
	if got := s.Lines()[0]; got != "frame three" {
		t.Fatalf("top row %q after StateWithin, want frame three", got)
	}
}

// The backlog is a ring of bounded size: a flood that never pauses and is
// larger than the ring makes the terminal wait for the emulator instead of
// the guard's memory growing without end, and every byte still reaches the
// emulator once, in order, across the ring's wrap.
func TestShadowBacklogBoundedAndExact(t *testing.T) {
	const ring = 64 << 10
	s, _, _ := floodShadow(t, ring)
	var (
		mu     sync.Mutex
		fed    bytes.Buffer
		overfl string
	)
	feedHook = func(p []byte) {
		s.mu.Lock()
		if held := s.queued - s.written; held > ring && overfl == "" {
			overfl = fmt.Sprintf("%d bytes held back, ring of %d", held, ring)
		}
		s.mu.Unlock()
		mu.Lock()
		fed.Write(p)
		mu.Unlock()
	}
	defer func() { feedHook = nil }()
	var stream bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for stream.Len() < 1<<20 {
		fmt.Fprintf(&stream, "\x1b[%d;1Hrow %d %s", r.IntN(24)+1, stream.Len(), strings.Repeat("x", r.IntN(70)))
	}
	data := stream.Bytes()
	for off := 0; off < len(data); {
		n := min(len(data)-off, 1+r.IntN(40<<10))
		if _, err := s.Write(data[off : off+n]); err != nil {
			t.Fatal(err)
		}
		off += n
	}
	s.Sync()
	mu.Lock()
	defer mu.Unlock()
	if overfl != "" {
		t.Fatal(overfl)
	}
	if !bytes.Equal(fed.Bytes(), data) {
		t.Fatalf("the emulator was fed %d bytes, not the %d written, in order", fed.Len(), len(data))
	}
}

func TestBacklogRing(t *testing.T) {
	b := backlog{size: 8}
	defer b.free()
	b.put(0, []byte("abcdef"))
	if x, y := b.span(0, 6); string(x)+"|"+string(y) != "abcdef|" {
		t.Fatalf("span %q|%q", x, y)
	}
	b.put(6, []byte("ghij")) // wraps: positions 6, 7, 0, 1
	if x, y := b.span(4, 10); string(x) != "efgh" || string(y) != "ij" {
		t.Fatalf("span across the wrap %q|%q", x, y)
	}
	b.emptied(10)
	b.put(10, []byte("k"))
	if x, _ := b.span(10, 11); string(x) != "k" || b.mem[0] != 'k' {
		t.Fatalf("after emptied the next byte is at ring position 0: %q, ring %q", x, b.mem)
	}
}

// The part of the ring made resident ahead of a flood starts on a page
// boundary (madvise refuses anything else, and did, silently: the
// terminal's path took the page faults after all).
func TestBacklogAheadIsPageAligned(t *testing.T) {
	b := backlog{size: maxBacklog}
	defer b.free()
	b.put(0, bytes.Repeat([]byte("x"), releaseAbove/2+123))
	at := uint64(releaseAbove/2 + 123)
	if !b.wantsAhead(at) {
		t.Fatal("a backlog of half of releaseAbove does not ask for pages ahead")
	}
	p := b.ahead(at)
	start := uintptr(unsafe.Pointer(&p[0])) - uintptr(unsafe.Pointer(&b.mem[0]))
	if start%pageSize != 0 || len(p) < prefaultAhead {
		t.Fatalf("ahead starts at ring offset %d (len %d): not on a page boundary, or short", start, len(p))
	}
	if b.wantsAhead(at) {
		t.Fatal("asks again for what it has just been given")
	}
}
