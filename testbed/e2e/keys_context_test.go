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
