package screen

import (
	"strings"
	"testing"
)

// TestShadowClose: Close stops the pump and the drain of the emulator's
// replies while both may be running (run with -race: the emulator's Close
// must not overlap its Read), can be called twice, and output written
// afterwards is ignored rather than fed to a closed emulator.
func TestShadowClose(t *testing.T) {
	s := New(40, 10)
	// A device-attributes query makes the emulator write a reply, which
	// the drain must read for the pump to go on.
	if _, err := s.Write([]byte("\x1b[c\x1b[6nhello")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Lines(), "\n"); !strings.Contains(got, "hello") {
		t.Fatalf("screen before Close:\n%s", got)
	}
	gen := s.Generation()
	s.Close()
	s.Close()
	if _, err := s.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	s.Sync() // returns at once on a closed shadow
	if s.Generation() != gen {
		t.Fatal("output written after Close reached the emulator")
	}
}

// Once K9s has drawn on the alternate screen, leaving it hands the
// terminal to a child (kubectl edit's vi, a plugin's bash): the shadow
// then says so, and reads nothing of the child's screen as K9s's.
func TestShadowSuspended(t *testing.T) {
	s := New(60, 12)
	defer s.Close()
	if st := s.State(); st.Suspended {
		t.Fatalf("suspended before K9s started: %+v", st)
	}
	k9s := "\x1b[?1049h\x1b[H Context: prod [RW]\r\n┌─── pods(shop)[1] ───┐\r\n│ web │\r\n└─────┘"
	if _, err := s.Write([]byte(k9s)); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Suspended || st.Context != "prod" {
		t.Fatalf("K9s on screen: %+v", st)
	}
	if _, err := s.Write([]byte("\x1b[?1049l$ echo Context: evil\r\n")); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); !st.Known || !st.Suspended || st.Context != "" || st.Resource != "" {
		t.Fatalf("child on screen: %+v", st)
	}
	// vim enters the alternate screen itself: still the child's.
	if _, err := s.Write([]byte("\x1b[?1049h\x1b[H\x1b[2Japiversion: v1\r\nContext: evil\r\n~")); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); !st.Suspended {
		t.Fatalf("vim on the alternate screen read as K9s: %+v", st)
	}
	if _, err := s.Write([]byte("\x1b[?1049l\x1b[?1049h" + k9s)); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Suspended || st.Context != "prod" {
		t.Fatalf("K9s back: %+v", st)
	}
}
