package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `k9s-guard > file`: K9s is drawn on the terminal (as K9s on its own
// draws on /dev/tty), the file stays empty, and the session works.
func TestStdoutRedirectedDrawsOnTheTerminal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	env := append(userEnv(t), "OUT="+out)
	// sh redirects stdout and execs the guard, which keeps the pty as its
	// stdin, stderr and controlling terminal.
	term, err := Start("/bin/sh", []string{"-c", `exec "$0" "$@" > "$OUT"`, guardBin, "--context", "dev", "-n", "shop", "-c", "pods"},
		Options{Cols: 120, Rows: 40, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeTree(t, term) })
	waitPods(t, term)
	if err := term.Type(":q", "\r"); err != nil {
		t.Fatal(err)
	}
	if code, err := term.Wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
	assertRestored(t, term)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 0 {
		t.Errorf("%d bytes went to the redirected stdout: %q", len(b), b[:min(len(b), 200)])
	}
}

// The pinned K9s is the tested one: no version warning before it starts.
// (Untested versions are covered by guard's unit tests.)
func TestNoVersionWarningForThePinnedK9s(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	if err := term.Type(":q", "\r"); err != nil {
		t.Fatal(err)
	}
	if _, err := term.Wait(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	// What was printed before K9s took the alternate screen is back now.
	if s := term.Screen(); strings.Contains(s, "warning:") {
		t.Errorf("a warning for the pinned K9s:\n%s", s)
	}
	if s := string(term.Raw()); strings.Contains(s, "warning:") {
		t.Errorf("a warning for the pinned K9s in the output: %q", s[:min(len(s), 400)])
	}
}
