package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCtrlKRightAfterCompletedCtxSwitchPromptsFromTheKey: issue 12,
// "reaching the protected context another way". Ctrl-K typed right after
// ":ctx pro" Tab Enter, before K9s has drawn the prod context, is held by
// the key prompt (via key, naming the kill), not left to the gateway: the
// completion is read from the kubeconfig's context names, and K9s's
// default view after a switch is pods.
func TestCtrlKRightAfterCompletedCtxSwitchPromptsFromTheKey(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	if err := term.Type(":ctx pro", "\t", "\r", "\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "kill") || !strings.Contains(sc, "prod") {
		t.Errorf("the prompt does not name the kill in prod:\n%s", sc)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(auditLines(t, env, `"stepup.prompt"`)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the audit trail with a deadline
	}
	lines := auditLines(t, env, `"stepup.prompt"`)
	if len(lines) == 0 || !strings.Contains(lines[0], "via key") {
		t.Errorf("the first prompt did not come from the key: %q", lines)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// TestHotkeyToProdWithTheHeaderHiddenPromptsFromTheKey: issue 12. With
// K9s's header hidden (Ctrl-E) nothing on screen names the context; a
// hotkey from the user's hotkeys.yaml running "pods @prod" switches to
// prod, and Ctrl-K right after it is held by the key prompt (the guard
// reads hotkeys.yaml as K9s does), not left to the gateway.
func TestHotkeyToProdWithTheHeaderHiddenPromptsFromTheKey(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	writeK9sConfig(t, env, "hotkeys.yaml", "hotKeys:\n  prod-pods:\n    shortCut: Shift-P\n    description: prod pods\n    command: pods @prod\n")
	term := startGuard(t, env, 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	step(t, term, "the header hidden", "\x05", func(s string) bool { return !strings.Contains(s, "Context:") })
	if err := term.Type("P", "\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "prod") || !strings.Contains(sc, "kill") {
		t.Errorf("the prompt does not name the kill in prod:\n%s", sc)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(auditLines(t, env, `"stepup.prompt"`)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the audit trail with a deadline
	}
	if lines := auditLines(t, env, `"stepup.prompt"`); len(lines) == 0 || !strings.Contains(lines[0], "via key") {
		t.Errorf("the first prompt did not come from the key: %q", lines)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}
