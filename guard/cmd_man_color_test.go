//go:build unix

package guard

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// colourSGR reports whether raw terminal output sets a foreground or
// background colour: SGR parameters 30–38, 40–48, 90–97 and 100–107. The
// defaults 39 and 49 are resets, which a colourless page may still send.
func colourSGR(raw []byte) []string {
	var found []string
	for _, m := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllSubmatch(raw, -1) {
		for _, p := range strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == ';' || r == ':' }) {
			n, _ := strconv.Atoi(p)
			if (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				found = append(found, string(m[0]))
				break
			}
		}
	}
	return found
}

// enrolScreenBytes runs `otp enroll` on a real pty with the given
// NO_COLOR value, waits for the QR page, cancels it with Esc, and returns
// every byte the program wrote.
func enrolScreenBytes(t *testing.T, noColor string) []byte {
	t.Helper()
	// Bubble Tea reads the process environment to pick a colour profile.
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "")
	t.Setenv("CLICOLOR_FORCE", "")
	t.Setenv("NO_COLOR", noColor)
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
	em := vt.NewSafeEmulator(140, 60)
	defer stopEmulator(em)
	var mu sync.Mutex
	var raw []byte
	go func() {
		buf := make([]byte, 32*1024)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				mu.Lock()
				raw = append(raw, buf[:n]...)
				mu.Unlock()
				_, _ = em.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { _, _ = io.Copy(ptmx, em) }()

	h.app.Stdin, h.app.Stdout, h.app.Stderr = tty, tty, tty
	done := make(chan int, 1)
	go func() {
		done <- h.app.Run(context.Background(), []string{"otp", "enroll", "--file", file, "--account", "a"})
	}()
	screen := otpScreen{em: em}
	screen.waitFor(t, "the otpauth URI", func(s string) bool { return strings.Contains(s, "otpauth://") })
	if _, err := io.WriteString(ptmx, "\x1b"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("enroll did not end on Esc; screen:\n%s", screen.text())
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]byte(nil), raw...)
}

// TestNoColorOnTheEnrolmentPage: with NO_COLOR set (https://no-color.org)
// the full-screen enrolment page sends no colour at all; without it, the
// same page is coloured, so the check can tell the two apart.
func TestNoColorOnTheEnrolmentPage(t *testing.T) {
	if got := colourSGR(enrolScreenBytes(t, "")); len(got) == 0 {
		t.Fatal("the enrolment page sent no colour even without NO_COLOR; this test would prove nothing")
	}
	if got := colourSGR(enrolScreenBytes(t, "1")); len(got) > 0 {
		t.Errorf("NO_COLOR=1, yet the page set colours: %q", got[:min(len(got), 5)])
	}
}
