package overlay

import (
	"regexp"
	"strings"
	"testing"
)

// boxText is the overlay's box as one run of text without spaces: the text
// between the box's borders on every row, so that a message wrapped at a
// space or a hyphen reads whole.
func boxText(screen string) string {
	lines := strings.Split(screen, "\n")
	left, right := -1, -1
	for _, l := range lines {
		r := []rune(l)
		for i, c := range r {
			switch c {
			case '╭':
				left = i
			case '╮':
				right = i
			}
		}
		if left >= 0 && right > left {
			break
		}
	}
	var words []string
	for _, l := range lines {
		r := []rune(l)
		if left < 0 || len(r) <= right {
			continue
		}
		words = append(words, strings.Fields(string(r[left+1:right]))...)
	}
	return strings.Join(words, "")
}

// TestOverlayShowsTheWholeCause stops this blind spot: with the audit disk
// full, the overlay cut the reason at the box's edge, so the user saw
// "the audit trail cannot…" and not which file or what to do. The message
// is wrapped, whole, inside the box.
func TestOverlayShowsTheWholeCause(t *testing.T) {
	cause := "Nothing is elevated: this step-up could not be recorded: append audit record to /home/alice/.local/state/k9s-guard/audit.jsonl: write: no space left on device (nothing was recorded)"
	v := &overlayVerifier{answers: []Result{{Status: Failed, Message: cause}}}
	m := newTestOverlay(t, 80, 24, overlayRequest(), v)
	m = overlaySend(t, m, overlayKeys("123456", "enter")...)
	got := boxText(overlayScreen(m))
	if !strings.Contains(got, strings.Join(strings.Fields(cause), "")) {
		t.Fatalf("the overlay does not show the whole cause:\n%s", overlayScreen(m))
	}
}

// TestOverlaySaysWhoAsked: the prompt names who raised it, so that a
// plugin's request cannot pass for the user's own key.
func TestOverlaySaysWhoAsked(t *testing.T) {
	req := overlayRequest()
	req.AskedBy = "kubectl (pid 4242), through the gateway"
	m := newTestOverlay(t, 80, 24, req, nil)
	if !regexp.MustCompile(`Asked by\s+kubectl \(pid 4242\), through the gateway`).MatchString(overlayScreen(m)) {
		t.Fatalf("no Asked by row:\n%s", overlayScreen(m))
	}
}
