package session

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/ui/overlay"
)

// runOverlay runs the overlay program on a pipe fed with input and
// returns its outcome, the codes the verifier saw and the last frame drawn.
func runOverlay(t *testing.T, input string) (overlay.Outcome, []string, string) {
	t.Helper()
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var mu sync.Mutex
	var codes []string
	var last string
	m := drawnOverlay{
		Model: overlay.New(overlay.Options{
			Width: 80, Height: 24, Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
			Request: overlay.Request{Context: "prod", Action: "kill", Target: "pod shop/a", AttemptsLeft: 5},
			Verify: func(code string) overlay.Result {
				mu.Lock()
				defer mu.Unlock()
				codes = append(codes, code)
				if code == "123456" {
					return overlay.Result{Status: overlay.OK}
				}
				return overlay.Result{Status: overlay.Wrong, AttemptsLeft: 4}
			},
		}),
		draw: func(m overlay.Model) {
			mu.Lock()
			defer mu.Unlock()
			last = m.Render()
		},
	}
	if _, err := feed.WriteString(input); err != nil {
		t.Fatal(err)
	}
	// The pipe stays open, as the session's feed does while the overlay is
	// up: the program must end on the outcome, not on the end of input.
	defer feed.Close()
	final, err := overlayProgram(context.Background(), m, in, 80, 24).Run()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return final.(drawnOverlay).Outcome(), codes, last
}

func TestOverlayProgramGrantsOnTheRightCode(t *testing.T) {
	out, codes, last := runOverlay(t, "123456\r")
	if out != overlay.Granted {
		t.Fatalf("outcome %v, want granted", out)
	}
	if strings.Join(codes, " ") != "123456" {
		t.Errorf("verifier saw %q", codes)
	}
	if !strings.Contains(last, "Step-up required") {
		t.Errorf("the overlay was not drawn:\n%s", last)
	}
}

// Esc on its own is a key only after tcell's silence; Bubble Tea's reader
// applies the same rule to the pipe.
func TestOverlayProgramEscCancels(t *testing.T) {
	out, codes, _ := runOverlay(t, "12\x1b")
	if out != overlay.Cancelled || len(codes) != 0 {
		t.Errorf("outcome %v, codes %q: want cancelled with nothing checked", out, codes)
	}
}

// The gateway's prompt says each word once (issue 12: "kill kill pod",
// "secrets secrets secrets in namespace shop").
func TestGatewayTargetSaysEachWordOnce(t *testing.T) {
	for _, tc := range []struct{ action, op, want string }{
		{"kill", "kill pod shop/web-1", "pod shop/web-1"},
		{"secrets", "secrets secrets in namespace shop", "secrets in namespace shop"},
		{"secrets", "secrets secret shop/db", "secret shop/db"},
		{"delete", "delete pods in namespace shop", "pods in namespace shop"},
		{"scale", "update deployment/scale shop/web", "update deployment/scale shop/web"},
	} {
		if got := gatewayTarget(tc.action, tc.op); got != tc.want {
			t.Errorf("gatewayTarget(%q, %q) = %q, want %q", tc.action, tc.op, got, tc.want)
		}
	}
}
