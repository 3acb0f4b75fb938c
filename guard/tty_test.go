//go:build unix

package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// `k9s-guard > file`: the session draws on the controlling terminal, as
// K9s does, not into the file.
func TestStdoutNotATerminalDrawsOnTheTTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	saved := devTTY
	t.Cleanup(func() { devTTY = saved })
	devTTY = tty.Name() // the test's stand-in for /dev/tty

	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	a := &App{Stdin: tty, Stdout: file}
	ta, closeTTY, err := a.withTerminalOutput()
	if err != nil {
		t.Fatal(err)
	}
	defer closeTTY()
	out, ok := ta.Stdout.(*os.File)
	if !ok || out.Name() != tty.Name() {
		t.Fatalf("session output is %v, want %s", ta.Stdout, tty.Name())
	}
	if a.Stdout != file {
		t.Error("the caller's App was changed")
	}
	if _, err := out.WriteString("drawn\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := ptmx.Read(buf)
	if !strings.Contains(string(buf[:n]), "drawn") {
		t.Errorf("the terminal got %q", buf[:n])
	}

	// Output already on a terminal is left alone.
	a = &App{Stdin: tty, Stdout: tty}
	if ta, _, _ := a.withTerminalOutput(); ta.Stdout != tty {
		t.Error("a terminal stdout was replaced")
	}
}

// With no terminal to draw on, one clear line and exit 2.
func TestStdoutNotATerminalWithoutTTY(t *testing.T) {
	_, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer tty.Close()
	saved := devTTY
	t.Cleanup(func() { devTTY = saved })
	devTTY = filepath.Join(t.TempDir(), "no-tty")

	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	a := &App{Stdin: tty, Stdout: file}
	_, _, err = a.withTerminalOutput()
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "standard output is not a terminal") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v (exit %d)", err, exitCode(err))
	}
}
