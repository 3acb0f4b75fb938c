package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/screen"
)

// TestContextSwitchFollowsK9s: K9s switches contexts in memory (`:ctx`);
// the guard follows it. Starting in the unprotected dev context, Ctrl-K
// goes straight to K9s; only after `:ctx prod` does the same key
// ask for a passcode. And leaving prod closes its window.
func TestContextSwitchFollowsK9s(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "dev", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	// In dev, Ctrl-D goes straight to K9s's dialog.
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	dismissK9sDialog(t, term)
	// Switch to prod in K9s.
	if err := term.Type(":ctx prod", "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Context: prod", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(":deploy", "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("deployments(shop)", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if !strings.Contains(term.Screen(), "prod") {
		t.Fatalf("overlay is not for prod:\n%s", term.Screen())
	}
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	if err := term.WaitText("ELEVATED prod", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	dismissK9sDialog(t, term) // the delete dialog the replayed Ctrl-D opened
	// Leaving prod closes its window (closeOnContextSwitch defaults to on).
	if err := term.Type(":ctx dev", "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Context: dev", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the indicator to go", 10*time.Second, func(s string) bool { return !strings.Contains(s, "ELEVATED") }); err != nil {
		t.Fatal(err)
	}
}

// TestEscThenCommandIsNotAltKey: K9s takes an ESC followed by 50 ms of
// nothing as Esc; the guard must read the stream the same way. A user who
// presses Esc and, a moment later, types ":ctx dev" must not get a
// step-up prompt for "edit" (the "e" of "dev"), as if ":" had been Alt-:.
//
// How long "a moment" is must not depend on the machine: a sleep between
// the keys is measured on the test's clock, while the guard and K9s each
// time the gap from when they read the ESC, which on a loaded machine can
// be later, so both may see Esc and ":" together — and then Alt-: followed
// by table keys is the reading of both, and the guard rightly prompts. So
// the Esc is pressed where K9s shows that it took it on its own: it leaves
// a describe view. K9s only does so after 50 ms without input since it
// read the ESC, which the guard had read and forwarded before; only then
// is ":ctx dev" typed, and both must read it as a command.
func TestEscThenCommandIsNotAltKey(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	view := func(s string) string { return screen.Parse(strings.Split(s, "\n")).Resource }
	if err := term.WaitFor("the deployments", startTimeout, func(s string) bool {
		return view(s) == "deployments" && strings.Contains(s, "cart")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("d"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the describe view", 20*time.Second, func(s string) bool { return view(s) == "describe" }); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("K9s to take the Esc and go back", 20*time.Second, func(s string) bool {
		return view(s) == "deployments"
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(":ctx dev", "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the switch to dev, or a prompt", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "Context: dev") || strings.Contains(s, "Step-up required")
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Fatalf("typing a command after Esc prompted:\n%s", term.Screen())
	}
}
