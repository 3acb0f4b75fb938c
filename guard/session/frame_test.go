package session

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// A frame drawn over a full screen leaves exactly the frame, and no moment
// of its drawing blanks a row: each row is written over the old one, and
// only what is left of it to the right is erased (a row as wide as the
// screen is not, or the erase would eat its last cell).
func TestFrameOverwritesWithoutBlanking(t *testing.T) {
	const cols, rows = 20, 4
	em := vt.NewEmulator(cols, rows)
	go func() { _, _ = io.Copy(io.Discard, em) }()
	old := strings.Repeat(strings.Repeat("#", cols), rows)
	_, _ = em.Write([]byte(old))
	want := []string{"╭──────────────────╮", "│ Step-up", "", "x" + strings.Repeat("y", cols-1)}
	out := frame(strings.Join(want, "\n"), cols)
	if strings.Contains(out, ansi.EraseEntireLine) {
		t.Fatal("the frame erases whole rows before drawing them")
	}
	// Written byte by byte, the first row is never blank once reached.
	for i := range len(out) {
		_, _ = em.Write([]byte{out[i]})
		if first := em.CellAt(0, 0); first == nil || first.Content == " " || first.Content == "" {
			t.Fatalf("after %d bytes the first cell is blank", i+1)
		}
	}
	for y, w := range want {
		var got strings.Builder
		for x := range cols {
			if c := em.CellAt(x, y); c != nil && c.Content != "" {
				got.WriteString(c.Content)
			}
		}
		if g := strings.TrimRight(got.String(), " "); g != w {
			t.Errorf("row %d = %q, want %q", y, g, w)
		}
	}
}
