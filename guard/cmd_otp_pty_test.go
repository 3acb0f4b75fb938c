//go:build unix

package guard

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
	"github.com/pquerna/otp/totp"

	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// otpScreen is a terminal for the enrolment screen: a pty whose output
// feeds a vt emulator, which answers the program's terminal queries the
// way a real terminal would.
type otpScreen struct {
	em *vt.SafeEmulator
}

func (s otpScreen) text() string { return ansi.Strip(s.em.Render()) }

// waitFor polls the screen until cond holds or the deadline passes.
func (s otpScreen) waitFor(t *testing.T, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if txt := s.text(); cond(txt) {
			return txt
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	t.Fatalf("timed out waiting for %s; screen:\n%s", what, s.text())
	return ""
}

// stopEmulator ends the goroutine copying em's replies to the pty. vt
// v0.1.0's Close sets a flag that its Read and Write read without a lock,
// so it would race the two copying goroutines; closing the input pipe (an
// io.Pipe, safe to close concurrently) ends the reader instead.
func stopEmulator(em *vt.SafeEmulator) {
	if c, ok := em.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
}

// TestOTPEnrollOnATerminal drives `otp enroll` through a real pty: it
// reads the secret off the screen as a phone would, types a wrong code (the
// screen stays), then the right one (the secret is saved), and checks that
// the secret is gone from the screen once the program has left the
// alternate screen.
func TestOTPEnrollOnATerminal(t *testing.T) {
	h, file := otpHarness(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 140, Rows: 60}); err != nil {
		t.Fatal(err)
	}
	screen := otpScreen{em: vt.NewSafeEmulator(140, 60)}
	defer stopEmulator(screen.em)
	go func() { _, _ = io.Copy(screen.em, ptmx) }()
	go func() { _, _ = io.Copy(ptmx, screen.em) }()

	h.app.Stdin, h.app.Stdout, h.app.Stderr = tty, tty, tty
	done := make(chan int, 1)
	go func() {
		done <- h.app.Run(context.Background(), []string{"otp", "enroll", "--file", file, "--account", "a"})
	}()

	secretRE := regexp.MustCompile(`secret=([A-Z2-7]{32})`)
	txt := screen.waitFor(t, "the otpauth URI", func(s string) bool { return secretRE.MatchString(s) })
	secret := secretRE.FindStringSubmatch(txt)[1]
	if !strings.ContainsAny(txt, "▀▄█") {
		t.Errorf("no QR code on screen:\n%s", txt)
	}

	now := h.app.Now()
	right, _ := totp.GenerateCodeCustom(secret, now, otp.ValidateOpts)
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	if _, err := io.WriteString(ptmx, wrong+"\r"); err != nil {
		t.Fatal(err)
	}
	screen.waitFor(t, "the wrong-code message", func(s string) bool { return strings.Contains(s, "not right") })
	if _, err := otp.NewFileStore(file).Load("a"); err == nil {
		t.Fatal("a wrong code saved the secret")
	}

	if _, err := io.WriteString(ptmx, right+"\r"); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; screen:\n%s", code, screen.text())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("enroll did not finish; screen:\n%s", screen.text())
	}
	got, err := otp.NewFileStore(file).Load("a")
	if err != nil || got != secret {
		t.Fatalf("saved %q, %v; want the secret shown", got, err)
	}
	// Replay: the code that confirmed enrolment cannot also open a window.
	res, err := otp.NewVerifier(secret, otp.DefaultStatePath(h.app.Getenv), h.app.Now).Verify(right)
	if err != nil || res.Outcome != otp.VerifyReused {
		t.Errorf("the enrolment code verified again: %+v, %v", res, err)
	}
	after := screen.waitFor(t, "the closing message", func(s string) bool { return strings.Contains(s, "enrolled a") })
	if strings.Contains(after, secret) || screen.em.IsAltScreen() {
		t.Errorf("the secret is still on the screen after enrolment:\n%s", after)
	}
}
