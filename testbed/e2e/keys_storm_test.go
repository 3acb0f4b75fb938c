package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auditLines returns the audit trail's records that contain every one of
// the given strings.
func auditLines(t *testing.T, env []string, all ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(envValue(env, "XDG_STATE_HOME"), "k9s-guard", "audit.jsonl"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
next:
	for _, l := range strings.Split(string(b), "\n") {
		for _, s := range all {
			if !strings.Contains(l, s) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// TestBackgroundSecretsWatchDoesNotPrompt: issue 12, item 3. After one
// visit to :secrets (prompt cancelled), K9s keeps retrying its secrets
// watch in the background. Those retries are held quietly (403, audited)
// while the user is in the pods view; they used to raise "read secrets"
// every few seconds and swallow what the user typed.
func TestBackgroundSecretsWatchDoesNotPrompt(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	if err := term.Type(":secrets\r"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	// The gateway's prompt says each word once ("secrets secrets secrets
	// in namespace shop" before).
	if sc := term.Screen(); !strings.Contains(sc, "secrets in namespace shop") || strings.Contains(sc, "secrets secrets") {
		t.Errorf("the prompt for :secrets does not say it once:\n%s", sc)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	step(t, term, "the pods view", ":pods\r", func(s string) bool { return strings.Contains(s, "pods(shop)") && strings.Contains(s, "web-") })
	back := len(term.Raw())
	// The retries come on K9s's own schedule: wait for two of them to be
	// held without a prompt.
	deadline := time.Now().Add(45 * time.Second)
	for len(auditLines(t, env, `"request.denied"`, `"secrets"`, "held without a prompt")) < 2 {
		if strings.Contains(ansiStrip(term.Raw()[back:]), "Step-up required") {
			t.Fatalf("a background secrets request raised the prompt in the pods view:\n%s", term.Screen())
		}
		if time.Now().After(deadline) {
			t.Fatalf("K9s's background secrets retries were never held quietly; audit:\n%s", strings.Join(auditLines(t, env, "secrets"), "\n"))
		}
		time.Sleep(200 * time.Millisecond) // polling the audit trail with a deadline
	}
	if strings.Contains(ansiStrip(term.Raw()[back:]), "Step-up required") {
		t.Fatalf("a background secrets request raised the prompt in the pods view:\n%s", term.Screen())
	}
	// Typing is K9s's: a command typed now is not swallowed by a prompt.
	step(t, term, "the deployments", ":deploy\r", has("deployments(shop)"))
}
