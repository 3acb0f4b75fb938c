package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// The passcode secret every step-up test enrols (160 bits, base32).
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

const protectedProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    elevation:
      context: admin
  # dev is on prod's server and CA, so it would carry prod's rule; the
  # tests use it as the unprotected context, and say so.
  dev:
    protected: false
`

// guardedEnv is a user whose profile protects the prod context (read-only
// viewer, elevated to the admin context) and who has enrolled testSecret.
func guardedEnv(t *testing.T, profileYAML string, extra ...string) []string {
	t.Helper()
	env := userEnv(t, extra...)
	cfg := envValue(env, "XDG_CONFIG_HOME")
	if err := os.MkdirAll(filepath.Join(cfg, "k9s-guard"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "k9s-guard", "profile.yaml"), []byte(profileYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := exec.Command(guardBin, "otp", "import", "--store", "file")
	imp.Env = env
	imp.Stdin = strings.NewReader(testSecret + "\n")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("otp import: %v\n%s", err, out)
	}
	return env
}

func envValue(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}

// code returns the passcode for now plus steps periods (the verifier takes
// one step of skew either way, so -1, 0 and +1 give three distinct codes).
func code(t *testing.T, steps int) string {
	t.Helper()
	c, err := totp.GenerateCode(testSecret, time.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitOverlay waits until the whole prompt is drawn (its first and last
// lines): the screen arrives in chunks, and a half-drawn box is not a prompt.
func waitOverlay(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitFor("the step-up prompt", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Step-up required") && strings.Contains(s, "esc cancel") && strings.Contains(s, "╰")
	}); err != nil {
		t.Fatal(err)
	}
}

// stepUp presses key, waits for the overlay, types the passcode for the
// given 30 s step offset and waits for the overlay to close.
func stepUp(t *testing.T, term *Term, key string, steps int) {
	t.Helper()
	if err := term.Type(key); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.Type(code(t, steps), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// dismissK9sDialog waits for K9s's own confirm dialog, cancels it with Esc
// and waits until it is gone (a key typed within 50 ms of the Esc would
// reach K9s as Alt+key).
func dismissK9sDialog(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the dialog to close", 10*time.Second, func(s string) bool { return !strings.Contains(s, "Cancel") }); err != nil {
		t.Fatal(err)
	}
}

// pressOK waits for K9s's own confirm dialog, moves the focus from Cancel
// (where K9s puts it) to OK with Tab, and presses it once K9s has drawn OK
// in the focused button's colours.
func pressOK(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	focusedBg := buttonBg(term, "Cancel")
	if err := term.Type("\t"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the focus on OK", 10*time.Second, func(string) bool {
		return focusedBg >= 0 && buttonBg(term, "OK") == focusedBg
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\r"); err != nil {
		t.Fatal(err)
	}
}

func waitNoOverlay(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitFor("the overlay to close", 15*time.Second, func(s string) bool { return !strings.Contains(s, "Step-up required") }); err != nil {
		t.Fatal(err)
	}
}

func admin(t *testing.T) *clusterClient {
	t.Helper()
	cs, err := testCluster.Clientset(cluster.ContextAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return &clusterClient{t: t, cs: cs}
}

// podExists polls until the named pod's existence equals want.
func (c *clusterClient) waitPod(ns, name string, want bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if (err == nil) == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pod %s/%s exists=%v, want %v", ns, name, err == nil, want)
		}
		time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
	}
}

// firstPod is the pod in K9s's first table row (the selected one at start).
func firstPod(t *testing.T, term *Term) string {
	t.Helper()
	for _, l := range term.Lines() {
		f := strings.Fields(strings.Trim(l, "│ "))
		if len(f) > 0 && (strings.HasPrefix(f[0], "cart-") || strings.HasPrefix(f[0], "web-")) {
			return f[0]
		}
	}
	t.Fatalf("no pod row on screen:\n%s", term.Screen())
	return ""
}

// TestKillNeedsPasscode: in a protected context, as the read-only user,
// Ctrl-K brings up the overlay; a wrong code is refused and the pod stays;
// the right code kills it (through the elevated credentials).
func TestKillNeedsPasscode(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	pod := firstPod(t, term)
	adm := admin(t)

	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	for _, want := range []string{"prod", "kill", "pod shop/" + pod, "context admin"} {
		if !strings.Contains(term.Screen(), want) {
			t.Errorf("overlay does not show %q:\n%s", want, term.Screen())
		}
	}
	wrong := "000000"
	if wrong == code(t, 0) {
		wrong = "111111"
	}
	if err := term.Type(wrong, "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Wrong code", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	adm.waitPod("shop", pod, true)
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	adm.waitPod("shop", pod, false)
	if err := term.WaitText("ELEVATED prod", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestCancelDropsTheKey: Esc on the overlay drops the held key; nothing
// reaches the cluster.
func TestCancelDropsTheKey(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	pod := firstPod(t, term)
	before := term.Lines()
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	// The K9s screen is back, exactly: header, frame and rows (only the AGE
	// column may have moved on).
	waitPods(t, term)
	waitWholeFrame(t, term)
	after := term.Lines()
	for i := range before {
		if i < 8 || strings.HasPrefix(before[i], "└") || strings.TrimSpace(strings.Trim(before[i], "│ ")) == "" {
			if before[i] != after[i] && i != 0 {
				t.Errorf("row %d not repainted exactly:\nbefore %q\nafter  %q", i, before[i], after[i])
			}
		}
	}
	admin(t).waitPod("shop", pod, true)
}

// TestWindowThenRelock: while the window is open Ctrl-D goes straight to
// K9s's own dialog; after re-lock (Ctrl-]) it prompts again, and a code
// that was already used is refused.
func TestWindowThenRelock(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	used := code(t, 0)
	stepUp(t, term, "\x04", 0)
	// The replayed Ctrl-D opened K9s's own delete dialog; cancel it.
	dismissK9sDialog(t, term)
	// Window open: Ctrl-D asks nothing.
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Fatal("prompted although the window is open")
	}
	dismissK9sDialog(t, term)
	// Re-lock: the indicator goes and the next Ctrl-D prompts again.
	if err := term.Type("\x1d"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the indicator to go", 10*time.Second, func(s string) bool { return !strings.Contains(s, "ELEVATED") }); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	// Replay attack: the code that opened the first window is refused.
	if err := term.Type(used, "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("already", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestLockoutAfterFiveWrongCodes: brute force is stopped by a lockout.
func TestLockoutAfterFiveWrongCodes(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	valid := map[string]bool{code(t, -1): true, code(t, 0): true, code(t, 1): true}
	n := 0
	for i := 100000; n < 5; i++ {
		c := strings.Repeat(string(rune('0'+n)), 6)
		if valid[c] {
			continue
		}
		if err := term.Type(c, "\r"); err != nil {
			t.Fatal(err)
		}
		n++
		if n < 5 {
			if err := term.WaitText(map[int]string{1: "4 attempts", 2: "3 attempts", 3: "2 attempts", 4: "1 attempt"}[n], 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := term.WaitFor("a lockout", 10*time.Second, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "locked")
	}); err != nil {
		t.Fatal(err)
	}
	// Even the right code is refused while locked out.
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("still locked", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "Step-up required") && !strings.Contains(s, "ELEVATED")
	}); err != nil {
		t.Fatal(err)
	}
}

// TestUnprotectedContextNeverPrompts: the profile says dev is not
// protected; Ctrl-D goes straight to K9s's own dialog.
func TestUnprotectedContextNeverPrompts(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "dev", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Fatal("prompted in an unprotected context")
	}
}

// TestNoPasscodeEnrolledFailsClosed: a protected context with no enrolled
// secret elevates nothing; the prompt says how to fix it.
func TestNoPasscodeEnrolledFailsClosed(t *testing.T) {
	env := userEnv(t)
	cfg := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "k9s-guard")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "profile.yaml"), []byte(protectedProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	pod := firstPod(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("run `k9s-guard otp enroll`", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	admin(t).waitPod("shop", pod, true)
}

// waitWholeFrame waits until K9s has drawn its table's whole frame: a top
// border, a bottom border, and every row between them boxed. K9s draws a
// screen in several writes; a snapshot taken between them is half a screen.
func waitWholeFrame(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitFor("the whole table frame", 15*time.Second, func(string) bool {
		top, bottom := -1, -1
		lines := term.Lines()
		for i, l := range lines {
			switch {
			case top < 0 && strings.HasPrefix(l, "┌"):
				top = i
			case top >= 0 && strings.HasPrefix(l, "└"):
				bottom = i
			}
		}
		if top < 0 || bottom < 0 {
			return false
		}
		for _, l := range lines[top+1 : bottom] {
			if !strings.HasPrefix(l, "│") || !strings.HasSuffix(l, "│") {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
}
