package overlay

import (
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestStatusLineGolden(t *testing.T) {
	now := overlayNow
	one := StatusLine{Windows: []StatusWindow{{Context: "prod", Until: now.Add(4*time.Minute + 32*time.Second)}}}
	two := StatusLine{Windows: []StatusWindow{
		{Context: "staging", Until: now.Add(45 * time.Second)},
		{Context: "prod", Until: now.Add(4*time.Minute + 32*time.Second)},
		{Context: "expired", Until: now.Add(-time.Second)},
	}}
	many := StatusLine{Windows: []StatusWindow{
		{Context: "prod-eu-west-1", Until: now.Add(time.Hour + time.Minute)},
		{Context: "prod-us-east-1", Until: now.Add(10 * time.Minute)},
		{Context: "prod-ap-south-1", Until: now.Add(3 * time.Minute)},
	}}
	cases := []struct {
		name  string
		s     StatusLine
		width int
	}{
		{"one window, 140 cols", one, 140},
		{"one window, 80 cols", one, 80},
		{"two windows, 140 cols", two, 140},
		{"two windows, 80 cols", two, 80},
		{"three windows, 140 cols", many, 140},
		{"three windows, 80 cols", many, 80},
		{"three windows, 40 cols", many, 40},
	}
	var b strings.Builder
	for _, c := range cases {
		text, col := c.s.Render(now, c.width)
		plain := ansi.Strip(text)
		if w := ansi.StringWidth(plain); col+w != c.width {
			t.Errorf("%s: col %d + width %d != %d: not right-aligned", c.name, col, w, c.width)
		}
		// The line as it would appear on the top row of the terminal.
		b.WriteString(c.name + ":\n" + strings.Repeat(".", col) + plain + "\n")
	}
	checkGolden(t, "status.golden", b.String())
}

func TestStatusLineNothingOpen(t *testing.T) {
	now := overlayNow
	for _, s := range []StatusLine{
		{},
		{Windows: []StatusWindow{{Context: "prod", Until: now}}},
		{Windows: []StatusWindow{{Context: "prod", Until: now.Add(-time.Minute)}}},
	} {
		if text, col := s.Render(now, 80); text != "" || col != 0 {
			t.Errorf("%+v: got %q at %d, want nothing", s, text, col)
		}
		if p := s.Paint(now, 80); p != "" {
			t.Errorf("Paint drew %q with nothing open", p)
		}
	}
}

func TestStatusLineCountsDown(t *testing.T) {
	s := StatusLine{Windows: []StatusWindow{{Context: "prod", Until: overlayNow.Add(5 * time.Minute)}}}
	for _, c := range []struct {
		after time.Duration
		want  string
	}{{0, "5:00"}, {time.Second, "4:59"}, {4*time.Minute + 59*time.Second + 500*time.Millisecond, "0:01"}} {
		text, _ := s.Render(overlayNow.Add(c.after), 120)
		if !strings.Contains(ansi.Strip(text), "prod "+c.want) {
			t.Errorf("after %v: %q, want %s", c.after, ansi.Strip(text), c.want)
		}
	}
}

func TestStatusLinePaint(t *testing.T) {
	s := StatusLine{Windows: []StatusWindow{{Context: "prod", Until: overlayNow.Add(time.Minute)}}}
	text, col := s.Render(overlayNow, 100)
	p := s.Paint(overlayNow, 100)
	want := "\x1b7" + ansi.CursorPosition(col+1, StatusRow+1) + text + "\x1b8"
	if p != want {
		t.Errorf("Paint = %q, want %q", p, want)
	}
}

func TestStatusLineCustomStyle(t *testing.T) {
	st := lipgloss.NewStyle().Reverse(true)
	s := StatusLine{Windows: []StatusWindow{{Context: "prod", Until: overlayNow.Add(time.Minute)}}, Style: &st}
	text, _ := s.Render(overlayNow, 100)
	if text != st.Render(ansi.Strip(text)) {
		t.Errorf("custom style not applied: %q", text)
	}
}

func TestRelockKeyIsCtrlRightBracket(t *testing.T) {
	if RelockKey != ']'&0x1f {
		t.Errorf("RelockKey = %#x, want Ctrl-] (0x1d)", RelockKey)
	}
}

// The indicator goes where K9s leaves room: the dashes right of the
// view's title, not the logo corner, where it covered the menu (issue 12).
func TestStatusRoomIsTheFramesTopBorder(t *testing.T) {
	lines := []string{
		" Context: prod [RW]      <0> all   <a>  Attach     ____  __ ________",
		"┌──────────────────────────────────────┐",
		"│ > pods                               │",
		"└──────────────────────────────────────┘",
		"┌──────────── pods(shop)[4] ─────────────────────────────────┐",
		"│ NAME                                                       │",
	}
	row, end, room, ok := StatusRoom(lines)
	if !ok || row != 4 {
		t.Fatalf("row %d ok %v, want the titled frame (row 4)", row, ok)
	}
	if w := ansi.StringWidth(lines[4]); end != w-2 || room != 31 {
		t.Errorf("end %d room %d, want %d and 31", end, room, w-2)
	}
	s := StatusLine{Windows: []StatusWindow{{Context: "prod", Until: overlayNow.Add(time.Minute)}}}
	p := s.PaintIn(overlayNow, row, end, room)
	text := ansi.Strip(p)
	if !strings.Contains(text, "ELEVATED prod 1:00") || ansi.StringWidth(text) > room {
		t.Errorf("painted %q in %d columns", text, room)
	}
	if _, _, _, ok := StatusRoom([]string{"$ vi", "~", "~"}); ok {
		t.Error("room found on a child's screen")
	}
	if p := s.PaintIn(overlayNow, row, end, 3); p != "" {
		t.Errorf("painted %q in 3 columns", p)
	}
}
