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
