package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestOverlaySmallTerminalAndResize: the overlay fits an 80x24 terminal,
// follows a resize while it is open, and K9s is repainted at the new size
// when it closes.
func TestOverlaySmallTerminalAndResize(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 80, 24, "--context", "prod", "-n", "shop", "-c", "pods")
	if err := term.WaitFor("the pod list", startTimeout, func(s string) bool { return strings.Contains(s, "web-") }); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	boxFits := func(cols int) func(string) bool {
		return func(s string) bool {
			if !strings.Contains(s, "Step-up required") || !strings.Contains(s, "esc cancel") {
				return false
			}
			for _, l := range strings.Split(s, "\n") {
				if len([]rune(l)) > cols {
					return false
				}
			}
			return true
		}
	}
	if err := term.WaitFor("the whole box at 80x24", 5*time.Second, boxFits(80)); err != nil {
		t.Fatal(err)
	}
	if err := term.Resize(100, 30); err != nil {
		t.Fatal(err)
	}
	// The box is re-centred: its top-left corner moves right.
	if err := term.WaitFor("the box re-centred at 100x30", 10*time.Second, func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if i := strings.Index(l, "╭"); i >= 0 {
				return len([]rune(l[:i])) > 10 && boxFits(100)(s)
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	// K9s, repainted, fills the new width: its frame closes at column 100.
	if err := term.WaitFor("K9s at 100 columns", 15*time.Second, func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "┌") && strings.HasSuffix(l, "┐") && len([]rune(l)) == 100 {
				return strings.Contains(s, "web-")
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
}

// TestOverlayHonoursNoColor: with NO_COLOR set, what k9s-guard draws
// itself (the overlay's frame) has no colour; without it, it has.
func TestOverlayHonoursNoColor(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		extra := []string{}
		if noColor {
			extra = append(extra, "NO_COLOR=1")
		}
		env := guardedEnv(t, protectedProfile, extra...)
		term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
		waitPods(t, term)
		if err := term.Type("\x0b"); err != nil {
			t.Fatal(err)
		}
		waitOverlay(t, term)
		x, y := -1, -1
		for row, l := range term.Lines() {
			if i := strings.Index(l, "╭"); i >= 0 {
				x, y = len([]rune(l[:i])), row
				break
			}
		}
		if y < 0 {
			t.Fatalf("no overlay frame:\n%s", term.Screen())
		}
		style := term.CellStyle(x, y)
		coloured := !strings.Contains(style, "fg=<nil>")
		if coloured == noColor {
			t.Errorf("NO_COLOR=%v: overlay frame cell is %s", noColor, style)
		}
		term.Close()
	}
}
