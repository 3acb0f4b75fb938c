package e2e

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const startTimeout = 60 * time.Second

// waitPods starts K9s on the dev context's shop namespace and waits for the
// pod list.
func waitPods(t *testing.T, term *Term) {
	t.Helper()
	if err := term.WaitFor("the shop pod list", startTimeout, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "pods(shop)") && strings.Contains(s, "web-") && strings.Contains(s, "cart-")
	}); err != nil {
		t.Fatal(err)
	}
}

// assertRestored checks the terminal is as a shell expects it after the
// guard exits: line mode, echo, main screen, visible cursor.
func assertRestored(t *testing.T, term *Term) {
	t.Helper()
	canon, echo, err := term.TerminalMode()
	if err != nil {
		t.Fatal(err)
	}
	if !canon || !echo {
		t.Errorf("terminal left in raw mode: canonical=%v echo=%v", canon, echo)
	}
	if term.AltScreen() {
		t.Error("terminal left on the alternate screen")
	}
	if term.CursorHidden() {
		t.Error("cursor left hidden")
	}
}

func TestPodListAppears(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	if err := term.WaitText("Context: dev", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestResizeRelayout(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	if err := term.Resize(90, 25); err != nil {
		t.Fatal(err)
	}
	// K9s redraws for the new size: its table frame closes at column 90 and
	// the last row moves up to row 25.
	if err := term.WaitFor("a 90x25 layout", 15*time.Second, func(s string) bool {
		lines := strings.Split(s, "\n")
		if len(lines) != 25 {
			return false
		}
		for _, l := range lines {
			if strings.Contains(l, "┐") && len([]rune(l)) == 90 && strings.HasSuffix(l, "┐") {
				return strings.Contains(strings.Join(lines, "\n"), "web-")
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
}

func TestQuitExitsZero(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	if err := term.Type(":q", "\r"); err != nil {
		t.Fatal(err)
	}
	code, err := term.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	assertRestored(t, term)
}

func TestK9sKilledExitCodeAndRestore(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	k9s := childPID(t, term.Cmd.Process.Pid)
	if err := syscall.Kill(k9s, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	code, err := term.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code != 128+int(syscall.SIGKILL) {
		t.Errorf("exit code %d, want %d (K9s killed by SIGKILL)", code, 128+int(syscall.SIGKILL))
	}
	assertRestored(t, term)
}

func TestGuardSignalsRestore(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
			waitPods(t, term)
			k9s := childPID(t, term.Cmd.Process.Pid)
			if err := term.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code, err := term.Wait(20 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			// K9s decides its own exit code (it exits 0 on SIGHUP, non-zero on
			// SIGTERM); the guard passes it through. What must hold is that K9s
			// is gone and the terminal is back.
			if sig == syscall.SIGTERM && code == 0 {
				t.Errorf("exit code 0 after %v, want non-zero", sig)
			}
			if err := syscall.Kill(k9s, 0); err == nil {
				t.Errorf("K9s (pid %d) still running after k9s-guard got %v", k9s, sig)
			}
			assertRestored(t, term)
		})
	}
}

func TestPanicRestoresTerminal(t *testing.T) {
	// K9S_GUARD_FAULT injects a panic into the input pump on the first key,
	// standing in for any bug in a goroutine.
	term := startGuard(t, userEnv(t, "K9S_GUARD_FAULT=panic-input"), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	k9s := childPID(t, term.Cmd.Process.Pid)
	if err := term.Type("j"); err != nil {
		t.Fatal(err)
	}
	code, err := term.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code == 0 {
		t.Error("exit code 0 after a panic, want non-zero")
	}
	if !regexp.MustCompile(`error: internal error in input pump`).MatchString(term.Screen()) {
		t.Errorf("no error line on screen:\n%s", term.Screen())
	}
	if err := syscall.Kill(k9s, 0); err == nil {
		t.Errorf("K9s (pid %d) still running after the guard panicked", k9s)
	}
	assertRestored(t, term)
}

func TestMissingK9s(t *testing.T) {
	env := userEnv(t, "K9S_GUARD_K9S=/nonexistent/k9s")
	term := startGuard(t, env, 100, 20)
	code, err := term.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(term.Screen(), "error: k9s not found at /nonexistent/k9s") || !strings.Contains(term.Screen(), "go install github.com/derailed/k9s@v0.50.16") {
		t.Errorf("want a one-line install hint, screen:\n%s", term.Screen())
	}
	assertRestored(t, term)
}

func TestStdinNotATerminal(t *testing.T) {
	cmd := exec.Command(guardBin, "--context", "dev")
	cmd.Env = userEnv(t)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("want exit 2, got %v; output: %s", err, out)
	}
	if !strings.Contains(string(out), "error: standard input is not a terminal") {
		t.Errorf("unclear error: %s", out)
	}
}

func TestVersion(t *testing.T) {
	cmd := exec.Command(guardBin, "version")
	cmd.Env = userEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !regexp.MustCompile(`(?m)^k9s-guard \S+\nk9s\s+v0\.50\.16 \(`).Match(out) {
		t.Errorf("version output:\n%s", out)
	}
}

var _ = os.Getpid
