package overlay

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// StatusRow is the screen row the status line is drawn on: the top row,
// right-aligned, over the first row of K9s's logo.
//
// Why there: the logo is decoration and static, so tcell (which only
// rewrites cells whose content it changed) almost never repaints over the
// indicator, and nothing K9s says is hidden. The last row, the other
// candidate, is where K9s flashes its errors ("access denied…"), which the
// user must be able to read. With --logoless or --headless the top right
// is K9s's menu or the table's border; the indicator then hides a few menu
// hints, which is the lesser evil. The caller repaints the row from the
// shadow screen when the indicator shrinks or disappears.
const StatusRow = 0

// StatusWindow is one open elevation window.
type StatusWindow struct {
	Context string
	Until   time.Time
}

// StatusLine renders the "elevated" indicator for the open windows.
type StatusLine struct {
	Windows []StatusWindow
	// Style overrides Styles.Status when set.
	Style *lipgloss.Style
}

// statusMinWidth is the narrowest terminal the indicator is drawn on; below
// it K9s itself does not fit.
const statusMinWidth = 20

// Render returns the indicator (styled) and the 0-based column to draw it
// at on StatusRow, or "" when no window is open at now. The text is at
// most half the width when it can be, so K9s's context name on the left
// stays visible; it drops the re-lock hint, then the word ELEVATED, then
// folds extra contexts into "+N", then shows only the count. Windows are
// listed soonest-ending first.
func (s StatusLine) Render(now time.Time, width int) (text string, col int) {
	plain := s.plain(now, width)
	if plain == "" {
		return "", 0
	}
	style := DefaultStyles().Status
	if s.Style != nil {
		style = *s.Style
	}
	text = style.Render(plain)
	return text, width - ansi.StringWidth(plain)
}

// Paint returns the bytes that draw the indicator on a real terminal
// without disturbing K9s: save the cursor (and its attributes), move to
// the indicator's place, draw, restore. It returns "" when nothing is open.
func (s StatusLine) Paint(now time.Time, width int) string {
	text, col := s.Render(now, width)
	if text == "" {
		return ""
	}
	return ansi.SaveCursor + ansi.CursorPosition(col+1, StatusRow+1) + text + ansi.RestoreCursor
}

// PaintIn returns the bytes that draw the indicator right-aligned in the
// room K9s leaves on a row: the columns [end-room, end) of 0-based row,
// as StatusRoom finds them. It drops parts as Render does to fit the room,
// and returns "" when nothing is open or even the shortest form does not
// fit.
func (s StatusLine) PaintIn(now time.Time, row, end, room int) string {
	plain := s.fit(now, room)
	if plain == "" || ansi.StringWidth(plain) > room {
		return ""
	}
	style := DefaultStyles().Status
	if s.Style != nil {
		style = *s.Style
	}
	col := end - ansi.StringWidth(plain)
	return ansi.SaveCursor + ansi.CursorPosition(col+1, row+1) + style.Render(plain) + ansi.RestoreCursor
}

// StatusRoom finds where K9s leaves room for the indicator on its screen
// (text lines, as the shadow screen has them): the run of dashes between
// the view's title and the top-right corner of its frame
// ("┌──── pods(shop)[4] ───────────┐"), one dash kept at each end. K9s
// draws nothing else there, and tcell repaints those cells only when the
// title changes. The logo's corner, where it was drawn before, is narrower
// than the indicator: it covered the menu's last column. ok is false when
// no frame is on screen (a child owns it, or K9s has not drawn yet).
func StatusRoom(lines []string) (row, end, room int, ok bool) {
	for i, l := range lines {
		if !strings.HasPrefix(l, "┌") || !strings.HasSuffix(l, "┐") {
			continue
		}
		body := strings.TrimSuffix(strings.TrimPrefix(l, "┌"), "┐")
		if strings.Trim(body, "─") == "" {
			continue // the untitled box of the command prompt
		}
		dashes := len(body) - len(strings.TrimRight(body, "─"))
		run := dashes / len("─")
		width := ansi.StringWidth(l)
		return i, width - 1 - 1, run - 2, run-2 > 0
	}
	return 0, 0, 0, false
}

func (s StatusLine) plain(now time.Time, width int) string {
	if width < statusMinWidth {
		return ""
	}
	return s.fit(now, max(width/2, statusMinWidth))
}

// fit is the indicator's text for the open windows within budget columns.
func (s StatusLine) fit(now time.Time, budget int) string {
	var open []StatusWindow
	for _, w := range s.Windows {
		if w.Until.After(now) {
			open = append(open, w)
		}
	}
	if len(open) == 0 {
		return ""
	}
	// The window that ends first is the one the user needs to know about.
	slices.SortStableFunc(open, func(a, b StatusWindow) int {
		if c := a.Until.Compare(b.Until); c != 0 {
			return c
		}
		return strings.Compare(a.Context, b.Context)
	})
	items := make([]string, len(open))
	for i, w := range open {
		items[i] = w.Context + " " + formatCountdown(w.Until.Sub(now))
	}

	hint := " · " + RelockKeyName + " re-lock"
	candidates := []string{
		" ⚡ ELEVATED " + strings.Join(items, ", ") + hint + " ",
		" ⚡ ELEVATED " + strings.Join(items, ", ") + " ",
		" ⚡ " + strings.Join(items, ", ") + " ",
	}
	for _, c := range candidates {
		if ansi.StringWidth(c) <= budget {
			return c
		}
	}
	// Fold: show as many windows as fit, then "+N".
	for n := len(items) - 1; n >= 1; n-- {
		c := fmt.Sprintf(" ⚡ %s +%d ", strings.Join(items[:n], ", "), len(items)-n)
		if ansi.StringWidth(c) <= budget {
			return c
		}
	}
	if c := fmt.Sprintf(" ⚡ %d ELEVATED ", len(items)); ansi.StringWidth(c) <= budget {
		return c
	}
	return " ⚡ "
}
