package session

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/k9s-guard/k9s-guard/ui/overlay"
)

var (
	sgrRe    = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)
	colourRe = regexp.MustCompile(`(^|[;:])(3[0-8]|4[0-8]|9[0-7]|10[0-7])([;:]|$)`)
)

// colourSGR returns the SGR sequences in raw that set a colour.
func colourSGR(raw []byte) (found []string) {
	for _, m := range sgrRe.FindAllSubmatch(raw, -1) {
		if colourRe.Match(m[1]) {
			found = append(found, string(m[0]))
		}
	}
	return found
}

// What the guard draws over K9s (the overlay, the status line) loses its
// colour for any non-empty NO_COLOR, and keeps it otherwise.
func TestNoColorAnyValueOverK9s(t *testing.T) {
	styled := overlay.DefaultStyles().Status.Render("ELEVATED prod")
	for _, v := range []string{"", "yes", "0"} {
		s := &session{cfg: Config{Getenv: func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}}}
		got := colourSGR(s.ownColors(styled))
		if v == "" && len(got) == 0 {
			t.Errorf("no colour without NO_COLOR: %q", s.ownColors(styled))
		}
		if v != "" && len(got) > 0 {
			t.Errorf("NO_COLOR=%q: colours %q", v, got)
		}
		if !strings.Contains(ansi.Strip(string(s.ownColors(styled))), "ELEVATED prod") {
			t.Errorf("NO_COLOR=%q: text lost", v)
		}
	}
}
