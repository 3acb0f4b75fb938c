package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestWindowExpiresWhileIdle: a window closes at its deadline with nobody
// touching the keyboard; the indicator goes and the next action prompts.
// The profile's shortest window (30 s) keeps this test's wait bounded.
func TestWindowExpiresWhileIdle(t *testing.T) {
	profile := strings.Replace(protectedProfile, "window: 5m", "window: 30s", 1)
	env := guardedEnv(t, profile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	stepUp(t, term, "\x04", 0)
	if err := term.WaitText("ELEVATED prod 0:", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	opened := time.Now()
	if err := term.WaitText("Cancel", 10*time.Second); err != nil { // K9s's own delete dialog
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	// Idle: no key until the window has run out.
	if err := term.WaitFor("the window to expire", 45*time.Second, func(s string) bool {
		return !strings.Contains(s, "ELEVATED") && !strings.Contains(s, "Cancel")
	}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(opened); el < 25*time.Second {
		t.Fatalf("the indicator went after %s, before the 30 s window ended", el)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
}

// TestIdleClosesWindow: closeOn.idle ends a window after a spell without
// keys, long before its deadline.
func TestIdleClosesWindow(t *testing.T) {
	profile := strings.Replace(protectedProfile, "window: 5m", "window: 5m\n    closeOn: {idle: 10s}", 1)
	env := guardedEnv(t, profile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	stepUp(t, term, "\x04", 0)
	if err := term.WaitText("ELEVATED prod 4:", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	typed := time.Now()
	if err := term.WaitFor("the idle window to close", 30*time.Second, func(s string) bool { return !strings.Contains(s, "ELEVATED") }); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(typed); el < 8*time.Second {
		t.Fatalf("closed after %s of idleness, before the 10 s limit", el)
	}
}
