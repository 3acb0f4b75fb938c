package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestElevatedLineSitsInTheFramesBorder: issue 12. The ⚡ ELEVATED line
// used to be painted over K9s's menu and logo (top-right corner, wider
// than the logo). It goes in the room K9s leaves: the dashes of the view
// frame's top border, right of the title; the header rows keep K9s's text.
func TestElevatedLineSitsInTheFramesBorder(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	header := term.Lines()[0]
	stepUp(t, term, "\x0b", 0)
	if err := term.WaitText("ELEVATED prod", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the indicator in the frame's border", 10*time.Second, func(string) bool {
		for _, l := range term.Lines() {
			if strings.Contains(l, "ELEVATED prod") {
				return strings.HasPrefix(l, "┌") && strings.Contains(l, "pods(shop)") && strings.HasSuffix(l, "─┐")
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if got := term.Lines()[0]; strings.Contains(got, "ELEVATED") || !strings.Contains(got, strings.Fields(header)[0]) {
		t.Errorf("the header row is painted over:\n%s", got)
	}
}
