package vt

import "testing"

// Margins past the screen are clamped to it, as xterm does: in v0.1.0 a
// bottom margin below the last line made the next scroll panic, and the
// emulator runs on the output of a program the guard does not control.
func TestMarginsPastTheScreenAreClamped(t *testing.T) {
	for _, seq := range []string{
		"\x1b[1;30r\x1b[5S",                         // scroll up
		"\x1b[1;30r\x1b[5T",                         // scroll down
		"\x1b[1;30r\x1b[10;1H\x1b[3L\x1b[3M",        // insert and delete lines
		"\x1b[?69h\x1b[1;200s\x1b[5S\x1b[3@\x1b[3P", // left/right margins too
		"\x1b[1;30r\x1b[24;1H\n\n\n",                // index at the bottom
	} {
		e := NewEmulator(80, 24)
		if _, err := e.Write([]byte(seq + "after")); err != nil {
			t.Fatalf("%q: %v", seq, err)
		}
		if r := e.scr.ScrollRegion(); r.Max.Y > 24 || r.Max.X > 80 {
			t.Errorf("%q: scroll region %v runs past the 80x24 screen", seq, r)
		}
	}
}
