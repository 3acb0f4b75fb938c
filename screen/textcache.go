package screen

// The screen watcher reads the screen as text four times a second and the
// key path on every keystroke, while K9s redraws every two seconds: most
// reads would render an unchanged screen (all 200×60 cells, colours and
// all, then strip the colours again) and parse it again with the same
// result. Rendering, then parsing, were most of k9s-guard's CPU in real
// use, so a read reuses the text and the parsed state of the previous one
// while no output has been fed since and no resize has happened.

// textCache is the screen as text at one point of the output stream.
type textCache struct {
	valid    bool
	written  uint64 // Shadow.written when rendered
	resizing uint64 // Shadow.resizing when rendered
	lines    []string
	parsed   bool
	state    State // Parse(lines), once parsed
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
// have changed since the cached copy. The caller gets its own slice.
func (s *Shadow) cachedLines(render func() []string) []string {
	s.textMu.Lock()
	defer s.textMu.Unlock()
	return append([]string(nil), s.currentText(render).lines...)
}

// parsedNow is Parse of the screen as it is now, parsing only when the
// text has changed since the last parse.
func (s *Shadow) parsedNow() State {
	s.textMu.Lock()
	defer s.textMu.Unlock()
	c := s.currentText(s.renderLines)
	if !c.parsed {
		c.state, c.parsed = Parse(c.lines), true
	}
	st := c.state
	st.Crumbs = append([]string(nil), st.Crumbs...)
	return st
}

// currentText is the text of the screen now: the cached copy if nothing
// can have changed, else a fresh render. A copy rendered while the pump was
// feeding (or a resize ran) is used once and not kept: it may be half a
// frame. The caller holds textMu.
func (s *Shadow) currentText(render func() []string) *textCache {
	w0, r0, changing := s.feedState()
	if c := &s.text; c.valid && !changing && c.written == w0 && c.resizing == r0 {
		return c
	}
	lines := render()
	// Kept only if nothing moved while rendering: the pump sets busy before
	// it writes and adds to written when it is done, so an unchanged,
	// not-busy state on both sides means no write overlapped the render.
	w1, r1, changing1 := s.feedState()
	fresh := textCache{valid: !changing && !changing1 && w0 == w1 && r0 == r1, written: w0, resizing: r0, lines: lines}
	if !fresh.valid {
		return &fresh
	}
	s.text = fresh
	return &s.text
}
