package guard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeScript(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A K9s that is a script with a missing interpreter fails exec with
// ENOENT; the error must say "bad interpreter" and name it, not suggest
// the file itself is missing.
func TestFindK9sBadInterpreter(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "k9s", "#!/nonexistent/sh -e\necho hi\n")
	a := &App{Getenv: func(string) string { return "" }}
	_, err := a.findK9s(script)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != exitUsage {
		t.Fatalf("err = %#v, want an exit-%d error", err, exitUsage)
	}
	msg := err.Error()
	if !strings.Contains(msg, "bad interpreter /nonexistent/sh") || !strings.Contains(msg, script) || !strings.Contains(msg, "--k9s") {
		t.Errorf("error %q", msg)
	}

	// Launching says it once, as the error.
	h := newInitHarness(t)
	if code := h.run("--k9s", script, "--context", "prod"); code != exitUsage || h.stderr.String() != "error: "+msg+"\n" {
		t.Errorf("launch: exit %d, stderr %q", code, h.stderr.String())
	}

	// On PATH, too.
	t.Setenv("PATH", dir)
	if _, err := a.findK9s(""); err == nil || !strings.Contains(err.Error(), "bad interpreter /nonexistent/sh") {
		t.Errorf("from PATH: %v", err)
	}

	// A script whose interpreter exists is fine.
	good := writeScript(t, dir, "k9s-good", "#!/bin/sh\necho hi\n")
	if _, err := a.findK9s(good); err != nil {
		t.Errorf("good script: %v", err)
	}
}

// K9s is in homebrew-core now; the hint names the formula that exists.
func TestMissingK9sHint(t *testing.T) {
	a := &App{Getenv: func(string) string { return "" }}
	_, err := a.findK9s(filepath.Join(t.TempDir(), "k9s"))
	if err == nil || !strings.Contains(err.Error(), `"brew install k9s"`) || strings.Contains(err.Error(), "derailed/k9s/k9s") {
		t.Errorf("hint: %v", err)
	}
}
