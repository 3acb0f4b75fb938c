// Package screen keeps a shadow copy of what K9s has drawn, by feeding its
// output to a terminal emulator of the same size, and reads K9s's state off
// it: the current context from the header, the current view from the table
// title and breadcrumbs, whether a prompt, filter or dialog is open, and
// whether K9s has handed the terminal to a shell or an editor.
//
// Feeding never delays the user's terminal: output is queued before it is
// written there and digested after, a little at a time on the output
// pump's thread and a flood on a separate goroutine of the lowest priority
// once the flood pauses (or a reader needs the screen at once), so a slow
// emulator can only make the shadow lag, never the terminal.
package screen

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/k9s-guard/k9s-guard/third_party/vt"
)

// Modes are the terminal modes K9s may leave switched on if it dies; the
// launcher switches each one off again on the way out.
type Modes struct {
	AltScreen    bool
	CursorHidden bool
	Mouse        bool // any mouse tracking mode
	Paste        bool // bracketed paste
	AppCursor    bool // application cursor keys
}

// Shadow is the emulated copy of K9s's screen.
type Shadow struct {
	em *emulator

	mu     sync.Mutex
	cond   *sync.Cond
	alt    altScanner // skips what shells and editors print while K9s is away
	ring   backlog    // the output queued: [written, queued) of the stream
	busy   bool       // a chunk is being fed (by the pump or Digest)
	closed bool
	// inlinePending is set when the queue is Digest's to feed (see Queue).
	inlinePending bool
	inline        inlineBudget
	// fault is the emulator's panic, if it had one; faulted is closed then.
	fault   error
	faulted chan struct{}
	// closeCalled is set by Close; closed is also set by a fault.
	closeCalled bool
	written     uint64 // bytes fed to the emulator so far
	claimed     uint64 // bytes handed to a feed so far (the pump's or Digest's)
	queued      uint64 // bytes accepted by Write so far
	// lastQueue is when output last came; the pump leaves a flood alone
	// until it pauses for floodQuiet, unless urgent readers are waiting
	// for the screen (the key gate, an overlay) or the backlog is full.
	lastQueue time.Time
	urgent    int
	wake      stopper // the pump's timer while it waits for a pause
	prefault  chan struct{}
	clock     clock

	// stopping is set by Close so the pump gives up mid-chunk; done is
	// the pump and the reply drain, which Close waits for.
	stopping atomic.Bool
	done     sync.WaitGroup

	modeMu sync.Mutex
	modes  Modes

	// resizing counts Resize calls begun and ended (odd while one runs);
	// with written it tells whether the screen can have changed.
	resizing uint64
	// text is the screen as text the last time it was read, for as long
	// as nothing has been fed since (see cachedLines).
	textMu sync.Mutex
	text   textCache
	// wasAlt is set once K9s has entered the alternate screen: leaving it
	// after that means a child program owns the terminal. away is set
	// then, and stays set until K9s's own screen is back: the child (vim)
	// may enter the alternate screen itself.
	wasAlt bool
	away   bool
}

// New starts a shadow screen of cols×rows.
func New(cols, rows int) *Shadow { return newShadow(cols, rows, systemClock{}, maxBacklog) }

func newShadow(cols, rows int, c clock, backlogSize int) *Shadow {
	s := &Shadow{em: newEmulator(cols, rows), faulted: make(chan struct{}), clock: c, ring: backlog{size: backlogSize}}
	s.cond = sync.NewCond(&s.mu)
	s.em.SetCallbacks(vt.Callbacks{
		AltScreen: func(on bool) {
			s.setMode(func(m *Modes) { m.AltScreen = on })
			s.modeMu.Lock()
			if on {
				s.wasAlt = true
			} else if s.wasAlt {
				s.away = true
			}
			s.modeMu.Unlock()
		},
		CursorVisibility: func(visible bool) { s.setMode(func(m *Modes) { m.CursorHidden = !visible }) },
		EnableMode:       func(m ansi.Mode) { s.trackMode(m, true) },
		DisableMode:      func(m ansi.Mode) { s.trackMode(m, false) },
	})
	// The emulator answers terminal queries (cursor position, device
	// attributes) by writing to its own pipe. The real terminal already
	// answers K9s, so these replies are read and thrown away; left unread
	// they would block the emulator.
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		_, _ = io.Copy(io.Discard, s.em)
	}()
	go func() {
		defer s.done.Done()
		s.pump()
	}()
	return s
}

func (s *Shadow) setMode(f func(*Modes)) {
	s.modeMu.Lock()
	f(&s.modes)
	s.modeMu.Unlock()
}

func (s *Shadow) trackMode(m ansi.Mode, on bool) {
	switch m {
	case ansi.ModeMouseNormal, ansi.ModeMouseButtonEvent, ansi.ModeMouseAnyEvent, ansi.ModeMouseX10:
		s.setMode(func(x *Modes) { x.Mouse = on })
	case ansi.ModeBracketedPaste:
		s.setMode(func(x *Modes) { x.Paste = on })
	case ansi.ModeCursorKeys:
		s.setMode(func(x *Modes) { x.AppCursor = on })
	}
}

// Modes reports the modes K9s has switched on, as far as the emulator has
// seen (call Sync first for an exact answer).
func (s *Shadow) Modes() Modes {
	s.modeMu.Lock()
	defer s.modeMu.Unlock()
	return s.modes
}

// Write queues K9s output for the emulator and, when it is a little
// output after a quiet moment, digests it at once (see Digest).
func (s *Shadow) Write(p []byte) (int, error) {
	s.Queue(p)
	s.Digest()
	return len(p), nil
}

// Queue accepts K9s output for the emulator. It never blocks on the
// emulator. The output pump queues a read before it reaches the user's
// terminal, so that whatever the user has seen, the shadow screen has at
// least queued: a reader that waits for it (StateWithin) then sees it too.
func (s *Shadow) Queue(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The ring takes at most half its size at once (a read is 32 KiB).
	for half := s.ring.size / 2; len(p) > half; p = p[half:] {
		s.queueLocked(p[:half])
	}
	s.queueLocked(p)
}

func (s *Shadow) queueLocked(p []byte) {
	if s.closed {
		return
	}
	n := 0
	wasOn := s.alt.on
	wasEmpty := s.claimed == s.queued
	parts := s.alt.keep(p)
	if wasOn && !s.alt.on {
		// K9s left the alternate screen: a child owns the terminal from
		// now, whenever the emulator gets to it. Keys typed meanwhile
		// are the child's.
		s.modeMu.Lock()
		s.away = true
		s.modeMu.Unlock()
	}
	for _, part := range parts {
		n += len(part)
	}
	if n == 0 {
		return
	}
	if room := uint64(s.ring.size); s.queued+uint64(n)-s.written > room {
		// More than the emulator should ever hold back: the terminal
		// waits (at the emulator's pace) rather than the guard's memory
		// grow without end. (What Digest was to feed is the pump's now:
		// Digest runs only after this returns.)
		s.inlinePending = false
		s.hurry()
		for s.queued+uint64(n)-s.written > room && !s.closed {
			s.cond.Wait()
		}
		s.urgent--
		if s.closed {
			return
		}
	}
	for _, part := range parts {
		s.ring.put(s.queued, part)
		s.queued += uint64(len(part))
	}
	if s.ring.wantsAhead(s.queued) {
		s.prefaultAhead()
	}
	now := s.clock.Now()
	s.lastQueue = now
	if s.inlinePending || (wasEmpty && !s.busy && s.inline.take(n, now)) {
		s.inlinePending = true // Digest feeds it, on the caller's thread
		return
	}
	if wasEmpty {
		// The pump may be waiting for work. (Output added to a queue it
		// already knows of needs no wake-up: waking the pump's thread on
		// every read of a flood cost the terminal's path a system call.)
		s.cond.Broadcast()
	}
}

// Digest feeds the emulator what Queue set aside for the caller: K9s's
// ordinary output (a few KiB a second, a burst of redraws) is digested on
// the output pump's own thread, at its priority, so the shadow screen is
// current a moment after the user's terminal even on a machine whose CPUs
// are busy (the pump thread, at the lowest priority, can then wait for
// seconds). A flood is left to the pump (see inlineBudget).
func (s *Shadow) Digest() {
	s.mu.Lock()
	if !s.inlinePending || s.closed {
		s.mu.Unlock()
		return
	}
	from, to := s.claimed, s.queued
	s.claimed = to
	s.inlinePending, s.busy = false, true
	s.done.Add(1) // Close waits for this feed as for the pump's
	s.mu.Unlock()
	defer s.done.Done()
	s.feed(from, to, false)
}

// feed digests chunk (the caller has set busy) and accounts for it; the
// pump's feed (yield) stops between pieces while a flood goes on (see
// yieldToFlood). An emulator that panics on K9s's output (a bug in it:
// K9s's output is not the guard's to trust) stops the shadow screen, which
// Faulted reports, rather than the process with the user's terminal still
// raw.
func (s *Shadow) feed(from, to uint64, yield bool) {
	defer func() {
		if r := recover(); r != nil {
			s.mu.Lock()
			if s.fault == nil {
				s.fault = fmt.Errorf("the terminal emulator failed on K9s's output: %v", r)
				close(s.faulted)
			}
			s.closed, s.busy = true, false
			s.cond.Broadcast()
			s.mu.Unlock()
		}
	}()
	// The span is this feed's alone: Queue writes past it, and the ring
	// never takes more than it has room for.
	first, second := s.ring.span(from, to)
	for _, chunk := range [][]byte{first, second} {
		if feedHook != nil && len(chunk) > 0 {
			feedHook(chunk)
		}
		for off := 0; off < len(chunk) && !s.stopping.Load(); off += feedChunk {
			if yield {
				s.yieldToFlood()
			}
			_, _ = s.em.Write(chunk[off:min(off+feedChunk, len(chunk))])
		}
	}
	s.mu.Lock()
	s.written = to
	if s.written == s.queued {
		s.ring.emptied(s.queued)
	}
	s.busy = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

// feedHook, set by tests only, sees each chunk before the emulator does.
var feedHook func([]byte)

// inlineBudget bounds the output digested on the output pump's thread: a
// bucket of inlineBurst bytes refilled at inlineRate bytes a second. K9s
// draws a few KiB a second and a full 200×60 redraw is tens of KiB, all
// inline; a flood (a log streamed at full speed) spends the bucket in a
// moment and goes to the low-priority pump, so the emulator never slows
// the user's terminal by more than inlineRate's share of its time.
type inlineBudget struct {
	tokens float64
	at     time.Time
}

const (
	inlineBurst = 128 << 10
	inlineRate  = 256 << 10
)

func (b *inlineBudget) take(n int, now time.Time) bool {
	if b.at.IsZero() {
		b.tokens = inlineBurst
	} else {
		b.tokens = min(inlineBurst, b.tokens+now.Sub(b.at).Seconds()*inlineRate)
	}
	b.at = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// feedChunk bounds how much output the emulator digests per lock, so a
// reader (the overlay, the key watcher) never waits long for it.
const feedChunk = 16 * 1024

// pumpClaim is how much of the backlog the pump takes at a time.
const pumpClaim = 1 << 20

// yieldToFlood waits, before the pump feeds the emulator more, while
// K9s's output is a flood that has not paused for floodQuiet, unless a
// reader needs the screen now (urgent) or the shadow is closing.
//
// The emulator costs about four times the CPU per byte of everything else
// on the way to the terminal. Even on a thread of the lowest priority,
// running it beside a flood took 45% off the terminal's throughput on two
// cores (CPU time, caches, wake-ups), and it finished no sooner: it is
// slower than the flood, so the catching up happens after the flood either
// way.
func (s *Shadow) yieldToFlood() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.urgent == 0 && !s.closed {
		wait := s.lastQueue.Add(floodQuiet).Sub(s.clock.Now())
		if wait <= 0 {
			return
		}
		if s.wake != nil {
			s.wake.Stop()
		}
		s.wake = s.clock.AfterFunc(wait, func() {
			s.mu.Lock()
			s.cond.Broadcast()
			s.mu.Unlock()
		})
		if pumpWaitHook != nil {
			pumpWaitHook()
		}
		s.cond.Wait()
	}
}

// prefaultAhead (with mu held) has the ring made resident ahead of a
// flood, on a goroutine of its own, beside the terminal's path rather than
// on it: a fresh page is a fault and the system zeroing it, which in a
// flood was a seventh of the guard's CPU, all on the terminal's path.
func (s *Shadow) prefaultAhead() {
	if s.prefault == nil {
		s.prefault = make(chan struct{}, 1)
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			for range s.prefault {
				s.mu.Lock()
				p := s.ring.ahead(s.queued)
				s.mu.Unlock()
				// Queue may write there meanwhile: populating keeps what
				// it finds.
				populate(p)
			}
		}()
	}
	select {
	case s.prefault <- struct{}{}:
	default: // one is under way
	}
}

// floodQuiet is the pause in K9s's output after which the pump digests
// what the inline budget left to it: K9s draws in bursts far apart; a
// flood (32 MiB of redraws at full speed) never pauses this long.
const floodQuiet = 25 * time.Millisecond

// pumpWaitHook, set by tests only, runs each time the pump starts waiting
// for a flood to pause (with the shadow's lock held).
var pumpWaitHook func()

// A clock tells the time and runs timers; tests use one they move by hand.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) stopper {
	return time.AfterFunc(d, f)
}

func (s *Shadow) pump() {
	// The emulator costs far more CPU per byte than the pass-through. It
	// runs on its own thread at the lowest priority, after a flood of
	// output rather than during it (yieldToFlood), and catches up then.
	runtime.LockOSThread()
	lowerThreadPriority()
	s.mu.Lock()
	for {
		for (s.claimed == s.queued || s.busy || s.inlinePending) && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		// A piece at a time, so that a terminal waiting for room in the
		// ring (see Queue) gets it as the emulator goes.
		from, to := s.claimed, min(s.queued, s.claimed+pumpClaim)
		s.claimed = to
		s.busy = true
		s.mu.Unlock()
		s.feed(from, to, true)
		s.mu.Lock()
	}
}

// Idle reports whether the emulator has digested everything written so far
// (then reading it never waits on the feeding goroutine).
func (s *Shadow) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimed == s.queued && !s.busy
}

// Sync waits until everything written so far has reached the emulator.
func (s *Shadow) Sync() {
	s.mu.Lock()
	target := s.queued
	if s.written < target {
		s.hurry()
		for s.written < target && !s.closed {
			s.cond.Wait()
		}
		s.urgent--
	}
	s.mu.Unlock()
}

// hurry (with mu held) makes the pump digest at once, flood or not, until
// the caller's urgent-- .
func (s *Shadow) hurry() {
	s.urgent++
	s.cond.Broadcast()
}

// Faulted is closed when the emulator has failed (see feed); Fault then
// says how. The shadow screen takes no more output after that.
func (s *Shadow) Faulted() <-chan struct{} { return s.faulted }

// Fault is the emulator's failure, nil while it works.
func (s *Shadow) Fault() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// StateWithin reads K9s's state once the emulator has digested the
// output written so far, waiting at most d; caught is false when it had
// not by then (the state is then as the emulator has it).
func (s *Shadow) StateWithin(d time.Duration) (st State, caught bool) {
	caught = s.syncWithin(d, true)
	return s.StateNow(), caught
}

// CaughtUpWithin reports whether the emulator has digested the output
// written so far, waiting at most d for it without hurrying it: for the
// screen watcher, which can look again later, while the gate's and the
// overlay's reads (StateWithin, Sync) make the pump digest at once.
func (s *Shadow) CaughtUpWithin(d time.Duration) bool { return s.syncWithin(d, false) }

func (s *Shadow) syncWithin(d time.Duration, urgent bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.queued
	if s.written >= target || s.closed {
		return s.written >= target
	}
	if urgent {
		s.hurry()
		defer func() { s.urgent-- }()
	}
	expired := false
	t := time.AfterFunc(d, func() {
		s.mu.Lock()
		expired = true
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer t.Stop()
	for s.written < target && !s.closed && !expired {
		s.cond.Wait()
	}
	return s.written >= target
}

// Resize changes the emulator's size, after the output queued so far.
func (s *Shadow) Resize(cols, rows int) {
	s.Sync()
	s.bumpResizing()
	s.em.Resize(cols, rows)
	s.bumpResizing()
}

// Size reports the emulator's size.
func (s *Shadow) Size() (cols, rows int) {
	b := s.em.Bounds()
	return b.Dx(), b.Dy()
}

// Lines returns the screen as plain text, one string per row, trailing
// spaces trimmed, once all output written so far has reached it.
func (s *Shadow) Lines() []string {
	s.Sync()
	return s.linesNow()
}

func (s *Shadow) linesNow() []string {
	return s.cachedLines(s.renderLines)
}

func (s *Shadow) renderLines() []string { return s.em.Text() }

// Render returns the screen with its colours and attributes, rows separated
// by "\n", for repainting the real terminal after an overlay.
func (s *Shadow) Render() string {
	s.Sync()
	return s.em.Render()
}

// Cursor reports the cursor position (0-based column and row) and whether
// it is hidden.
func (s *Shadow) Cursor() (col, row int, hidden bool) {
	s.Sync()
	p := s.em.CursorPosition()
	return p.X, p.Y, s.em.CursorHidden()
}

// State reads K9s's state off the current screen.
func (s *Shadow) State() State {
	s.Sync()
	return s.StateNow()
}

// suspended reports whether K9s, having drawn on the alternate screen,
// has left it and not come back: a shell, an editor or a plugin owns the
// terminal. K9s is back once the alternate screen shows its view's frame
// (st, read off it); a child on the alternate screen (vim) has none.
func (s *Shadow) suspended(st func() State) bool {
	s.modeMu.Lock()
	away, alt := s.away, s.modes.AltScreen
	s.modeMu.Unlock()
	if !away {
		return false
	}
	s.mu.Lock()
	queuedOn := s.alt.on
	s.mu.Unlock()
	if !queuedOn || !alt || st().Resource == "" {
		return true
	}
	s.modeMu.Lock()
	s.away = false
	s.modeMu.Unlock()
	return false
}

// Generation counts the output fed to the emulator so far; it changes
// whenever the screen may have.
func (s *Shadow) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// StateNow reads K9s's state off the screen as the emulator has it now,
// without waiting for queued output: for the keystroke path, which must
// never wait on the emulator.
func (s *Shadow) StateNow() State {
	var parsed *State
	parse := func() State {
		if parsed == nil {
			st := s.parsedNow()
			parsed = &st
		}
		return *parsed
	}
	if s.suspended(parse) {
		// The main screen shows the child's output (or nothing: the
		// emulator is not fed while K9s is away), never K9s's own state,
		// so nothing else is read off it. The state is still known: keys
		// belong to the child until K9s comes back.
		return State{Known: true, Suspended: true, Count: -1}
	}
	return parse()
}

// Close stops the feeding goroutine and the reply drain, dropping output
// not fed yet, and returns once both have stopped. It is safe to call twice.
//
// The emulator's own Close must not run while its Read does (vt v0.1.0
// reads its closed flag without a lock), so the drain is stopped first by
// closing the emulator's input pipe, which io.Pipe allows concurrently;
// only then is the emulator closed.
func (s *Shadow) Close() {
	s.mu.Lock()
	already := s.closeCalled
	s.closed, s.closeCalled = true, true
	if s.wake != nil {
		s.wake.Stop()
	}
	if s.prefault != nil && !already {
		close(s.prefault)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	if already {
		s.done.Wait()
		return
	}
	s.stopping.Store(true)
	pipe, ok := s.em.InputPipe().(io.Closer)
	if !ok {
		// Not vt v0.1.0's io.Pipe: its Close is the only way to end Read.
		_ = s.em.Close()
		s.done.Wait()
		s.ring.free()
		return
	}
	_ = pipe.Close()
	s.done.Wait()
	_ = s.em.Close()
	s.ring.free() // no feed is left to read it, and Queue takes no more
}
