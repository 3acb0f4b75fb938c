package screen

import (
	"strings"
	"sync"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/k9s-guard/k9s-guard/third_party/vt"
)

// emulator is x/vt's emulator behind a lock, like vt.SafeEmulator, plus
// a way to read the screen as plain text under one lock. SafeEmulator's
// lock is not exported, and without it the text could only be had by
// rendering every cell with its colours and stripping them again (most of
// the guard's CPU in real use), or by locking once per cell.
type emulator struct {
	*vt.Emulator
	mu sync.RWMutex
}

func newEmulator(cols, rows int) *emulator {
	return &emulator{Emulator: vt.NewEmulator(cols, rows)}
}

func (e *emulator) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.Emulator.Write(p)
}

func (e *emulator) Resize(cols, rows int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Emulator.Resize(cols, rows)
}

func (e *emulator) Render() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.Emulator.Render()
}

func (e *emulator) Bounds() uv.Rectangle {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.Emulator.Bounds()
}

// CellAt returns a copy of the cell at x, y (nil outside the screen): the
// emulator's own cell may change as soon as the lock is released.
func (e *emulator) CellAt(x, y int) *uv.Cell {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c := e.Emulator.CellAt(x, y)
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}

func (e *emulator) CursorPosition() uv.Position {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.Emulator.CursorPosition()
}

func (e *emulator) CursorHidden() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.Emulator.CursorHidden()
}

// Text returns the screen as plain text, one string per row with trailing
// spaces trimmed: exactly ansi.Strip of Render split into rows (each cell's
// content in order; the blank continuation cells of wide characters are
// skipped, as Render skips them).
func (e *emulator) Text() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	w, h := e.Width(), e.Height()
	lines := make([]string, h)
	var b strings.Builder
	for y := range h {
		b.Reset()
		b.Grow(w)
		for x := range w {
			// A zero cell (what Render skips) has no content either, so
			// the content alone is the text, with no comparison of styles.
			if c := e.Emulator.CellAt(x, y); c != nil {
				b.WriteString(c.Content)
			}
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	return lines
}
