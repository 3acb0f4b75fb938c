package session

import (
	"bytes"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/k9s-guard/k9s-guard/ui/overlay"
)

// What the session draws on the terminal itself, between K9s's frames: the
// elevation status line, and the repaint of K9s's screen from the shadow
// copy after the overlay.

// statusLine describes the open windows for the indicator.
func (s *session) statusLine() overlay.StatusLine {
	var sl overlay.StatusLine
	for _, g := range s.prot.windows.Grants() {
		sl.Windows = append(sl.Windows, overlay.StatusWindow{Context: g.Context, Until: g.Deadline})
	}
	return sl
}

// paintStatus draws the elevation indicator where K9s leaves room for it
// (see overlay.StatusRoom).
func (s *session) paintStatus() {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	s.paintStatusLocked()
}

func (s *session) paintStatusLocked() {
	if s.prompt == nil || s.prompt.active.Load() {
		return
	}
	if st := s.shadow.State(); st.Suspended || !s.shadow.Modes().AltScreen {
		// K9s has handed the terminal to a shell or an editor: their screen
		// is not K9s's, and the guard does not draw on it. (The relay checks
		// this too, from the stream itself, which the shadow lags.)
		return
	}
	lines := s.shadow.Lines()
	row, end, room, ok := overlay.StatusRoom(lines)
	var p string
	if ok {
		p = s.statusLine().PaintIn(s.cfg.Now(), row, end, room)
	}
	if n := s.currentNotice(); n != "" {
		cols, _ := s.shadow.Size()
		_, _ = s.out.DrawBetweenFrames(s.ownColors(noticeSequence(n, cols)))
	}
	if p == "" {
		s.out.SetSticky(nil)
		return
	}
	if s.statusPainted && s.statusRow != row {
		s.out.SetSticky(nil)
		// The frame moved (the header hidden or shown): the old row goes
		// back to what K9s drew there first.
		if !s.repaintRow(s.statusRow) {
			return
		}
	}
	b := s.ownColors(p)
	if drawn, _ := s.out.DrawBetweenFrames(b); drawn {
		s.statusPainted, s.statusRow = true, row
		s.out.SetSticky(b)
	}
}

// repaintRow redraws one row of the real terminal from the shadow screen,
// between K9s's frames; it reports whether it could.
func (s *session) repaintRow(row int) bool {
	rows := strings.Split(s.shadow.Render(), "\n")
	if row >= len(rows) {
		return true
	}
	drawn, _ := s.out.DrawBetweenFrames([]byte(ansi.SaveCursor + ansi.CursorPosition(1, row+1) + ansi.ResetStyle + rows[row] + ansi.ResetStyle + ansi.RestoreCursor))
	return drawn
}

// A notice is a line k9s-guard says over K9s's top row for a few
// seconds, for what it did or refused on its own (a context rename that
// was not written through): K9s's own flash line would say "done".
type notice struct {
	text  string
	until time.Time
}

const noticeFor = 10 * time.Second

// say shows a notice over K9s's top row for noticeFor.
func (s *session) say(text string) {
	s.notice.Store(&notice{text: text, until: s.cfg.Now().Add(noticeFor)})
	s.paintStatus()
}

// currentNotice is the notice to draw, if one is up; an expired one marks
// the row for repainting from the shadow screen.
func (s *session) currentNotice() string {
	n := s.notice.Load()
	if n == nil {
		return ""
	}
	if s.cfg.Now().After(n.until) {
		if s.notice.CompareAndSwap(n, nil) {
			s.statusStale.Store(true)
		}
		return ""
	}
	return n.text
}

func noticeSequence(text string, cols int) string {
	line := ansi.Truncate(" k9s-guard: "+text+" ", max(cols-24, 10), "…")
	return ansi.SaveCursor + ansi.CursorHomePosition + ansi.SGR(ansi.AttrReverse, ansi.AttrBold) + line + ansi.ResetStyle + ansi.RestoreCursor
}

// clearStatus repaints the indicator's row from the shadow screen.
// If K9s is mid-sequence it cannot be drawn now; the screen watcher tries
// again on its next tick, so a closed window never leaves its indicator.
func (s *session) clearStatus() {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	s.statusStale.Store(true)
	s.out.SetSticky(nil)
	if s.prompt == nil || s.prompt.active.Load() {
		return // the repaint after the overlay redraws the row anyway
	}
	if s.repaintRow(s.statusRow) {
		s.statusStale.Store(false)
		s.statusPainted = false
	}
	s.paintStatusLocked()
}

// ownColors prepares what k9s-guard itself draws (the overlay, the status
// line) for the terminal: with NO_COLOR set, colours are stripped and only
// attributes such as bold and reverse remain. K9s's own screen, repainted
// from the shadow copy, keeps whatever K9s chose.
func (s *session) ownColors(text string) []byte {
	if s.cfg.Getenv("NO_COLOR") == "" {
		return []byte(text)
	}
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
	_, _ = w.Write([]byte(text))
	return b.Bytes()
}

// repaint redraws the whole K9s screen from the shadow copy (after the
// overlay), then the status line, and puts the cursor back.
func (s *session) repaint() []byte {
	var b strings.Builder
	screen := s.shadow.Render()
	cols, _ := s.shadow.Size()
	b.WriteString(frame(screen, cols))
	col, row, hidden := s.shadow.Cursor()
	b.WriteString(ansi.CursorPosition(col+1, row+1))
	if hidden {
		b.WriteString(ansi.HideCursor)
	} else {
		b.WriteString(ansi.ShowCursor)
	}
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	if row, end, room, ok := overlay.StatusRoom(strings.Split(ansi.Strip(screen), "\n")); ok {
		if p := s.statusLine().PaintIn(s.cfg.Now(), row, end, room); p != "" {
			b.WriteString(p)
			s.statusPainted, s.statusRow = true, row
			s.out.SetSticky(s.ownColors(p))
		}
	}
	return []byte(b.String())
}

// frame turns a full-screen rendering into bytes that draw it row by row.
// Each row is written over the one on screen and only what is left of it
// to the right is erased afterwards, so that no moment of the drawing shows
// a blank row (a terminal can show a frame half written: erasing first
// flickered, and a test read the overlay's top border as gone). A row as
// wide as the screen is not followed by an erase: the cursor then sits on
// the last column, and erasing there would eat it. cols is the screen's
// width.
func frame(screen string, cols int) string {
	lines := strings.Split(screen, "\n")
	var b strings.Builder
	for i, line := range lines {
		b.WriteString(ansi.CursorPosition(1, i+1) + ansi.ResetStyle + line + ansi.ResetStyle)
		if ansi.StringWidth(line) < cols {
			b.WriteString(ansi.EraseLineRight)
		}
	}
	return b.String()
}
