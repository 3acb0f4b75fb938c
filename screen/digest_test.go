package screen

import (
	"strings"
	"testing"
	"time"
)

// K9s's ordinary output is digested on the writer's own thread: once
// Write returns, the shadow screen has it, with nothing left for the
// low-priority pump (which a busy machine can starve for seconds, and the
// key gate would then read a screen the user no longer sees).
func TestShadowDigestsOrdinaryOutputAtOnce(t *testing.T) {
	s := New(40, 10)
	defer s.Close()
	for i := range 20 {
		if _, err := s.Write([]byte("\x1b[H\x1b[2Jframe " + strings.Repeat("x", i))); err != nil {
			t.Fatal(err)
		}
		if !s.Idle() {
			t.Fatalf("write %d: output left queued", i)
		}
		if got := s.StateNow(); got.Known {
			t.Fatalf("a bare frame read as K9s: %+v", got)
		}
		if line := strings.TrimRight(s.em.Text()[0], " "); line != strings.TrimRight("frame "+strings.Repeat("x", i), " ") {
			t.Fatalf("write %d: the emulator shows %q", i, line)
		}
	}
}

// Output queued before the terminal has it (Queue) is what StateWithin
// waits for; until Digest feeds it, the wait gives up at its bound and
// says so, and the pump leaves it to Digest.
func TestShadowStateWithinWaitsForQueuedOutput(t *testing.T) {
	s := New(40, 10)
	defer s.Close()
	s.Queue([]byte("queued"))
	if s.Idle() {
		t.Fatal("queued output reads as digested")
	}
	if _, caught := s.StateWithin(20 * time.Millisecond); caught {
		t.Fatal("StateWithin caught up with output nobody fed")
	}
	done := make(chan bool, 1)
	go func() {
		_, caught := s.StateWithin(time.Minute)
		done <- caught
	}()
	s.Digest()
	if caught := <-done; !caught {
		t.Fatal("StateWithin gave up on output Digest fed")
	}
	if !strings.Contains(strings.Join(s.Lines(), "\n"), "queued") {
		t.Fatal("the digested output is not on the screen")
	}
}

// A flood spends the inline budget and goes to the pump: Write then
// returns without digesting, and the pump catches up on its own.
func TestShadowFloodGoesToThePump(t *testing.T) {
	s := New(80, 24)
	defer s.Close()
	s.mu.Lock()
	s.inline = inlineBudget{at: time.Now()} // spent by an earlier flood
	s.mu.Unlock()
	if _, err := s.Write([]byte("flood")); err != nil {
		t.Fatal(err)
	}
	if _, caught := s.StateWithin(time.Minute); !caught {
		t.Fatal("the pump never digested the flood")
	}
}

func TestInlineBudget(t *testing.T) {
	var b inlineBudget
	t0 := time.Unix(1000, 0)
	if !b.take(inlineBurst, t0) {
		t.Fatal("a full bucket refused its burst")
	}
	if b.take(1, t0) {
		t.Fatal("an empty bucket gave a byte")
	}
	if b.take(inlineRate/2, t0.Add(400*time.Millisecond)) {
		t.Fatal("400 ms refilled more than inlineRate allows")
	}
	if !b.take(inlineRate/2, t0.Add(500*time.Millisecond)) {
		t.Fatal("refill: 100 ms more should have made half a second's worth")
	}
	if !b.take(inlineBurst, t0.Add(time.Hour)) || b.take(1, t0.Add(time.Hour)) {
		t.Fatal("the bucket holds more than inlineBurst")
	}
}

// An emulator that panics on K9s's output stops the shadow screen and says
// so, on the inline path and on the pump's, instead of taking the process
// down with the user's terminal still raw; readers waiting for it return.
func TestShadowFaultStopsTheScreenNotTheProcess(t *testing.T) {
	feedHook = func(p []byte) {
		if strings.Contains(string(p), "boom") {
			panic("emulator bug")
		}
	}
	defer func() { feedHook = nil }()
	for _, flood := range []bool{false, true} {
		s := New(40, 10)
		if flood {
			s.mu.Lock()
			s.inline = inlineBudget{at: time.Now()} // the pump's path
			s.mu.Unlock()
		}
		if _, err := s.Write([]byte("boom")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Faulted():
		case <-time.After(time.Minute):
			t.Fatalf("flood=%v: no fault reported", flood)
		}
		if err := s.Fault(); err == nil || !strings.Contains(err.Error(), "emulator bug") {
			t.Fatalf("flood=%v: Fault() = %v", flood, err)
		}
		s.Sync() // returns: nothing more will be fed
		if _, err := s.Write([]byte("more")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
