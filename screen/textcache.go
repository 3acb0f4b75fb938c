package screen

// The screen watcher reads the screen as text four times a second and the
// key path on every keystroke, while K9s redraws every two seconds: most
// reads would render an unchanged screen (all 200×60 cells, colours and
// all, then strip the colours again). Rendering was most of k9s-guard's
// CPU in real use, so a read reuses the text of the previous one while no
// output has been fed since and no resize has happened.

// textCache is the screen as text at one point of the output stream.
type textCache struct {
	valid    bool
	written  uint64 // Shadow.written when rendered
	resizing uint64 // Shadow.resizing when rendered
	lines    []string
}

// feedState is where the emulator stands: how much output it has digested,
// how many resizes, and whether it may be changing right now.
func (s *Shadow) feedState() (written, resizing uint64, changing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written, s.resizing, s.busy || s.resizing%2 == 1
}

func (s *Shadow) bumpResizing() {
	s.mu.Lock()
	s.resizing++
	s.mu.Unlock()
}

// cachedLines returns render's lines, rendering only when the screen may
// have changed since the cached copy. A copy rendered while the pump was
// feeding (or a resize ran) is used once and not kept: it may be half a
// frame. The caller gets its own slice.
func (s *Shadow) cachedLines(render func() []string) []string {
	s.textMu.Lock()
	defer s.textMu.Unlock()
	w0, r0, changing := s.feedState()
	if c := &s.text; c.valid && !changing && c.written == w0 && c.resizing == r0 {
		return append([]string(nil), c.lines...)
	}
	lines := render()
	// Kept only if nothing moved while rendering: the pump sets busy before
	// it writes and adds to written when it is done, so an unchanged,
	// not-busy state on both sides means no write overlapped the render.
	w1, r1, changing1 := s.feedState()
	s.text = textCache{valid: !changing && !changing1 && w0 == w1 && r0 == r1, written: w0, resizing: r0, lines: lines}
	return append([]string(nil), lines...)
}
