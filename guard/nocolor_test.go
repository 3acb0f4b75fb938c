//go:build unix

package guard

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// pageBytes runs one of k9s-guard's full-screen pages on a real pty, waits
// for text to show, presses quit, and returns every byte written.
func pageBytes(t *testing.T, a *App, args []string, text, quit string) []byte {
	t.Helper()
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
	a.Stdin, a.Stdout, a.Stderr = tty, tty, tty
	done := make(chan int, 1)
	go func() { done <- a.Run(context.Background(), args) }()
	screen := otpScreen{em: em}
	screen.waitFor(t, text, func(s string) bool { return strings.Contains(s, text) })
	if _, err := io.WriteString(ptmx, quit); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%q did not end; screen:\n%s", args, screen.text())
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]byte(nil), raw...)
}

// noColorEnv sets NO_COLOR for the process (what Bubble Tea would read)
// and for the App (what k9s-guard reads), with a colour terminal otherwise.
func noColorEnv(t *testing.T, env map[string]string, value string) {
	t.Helper()
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "")
	t.Setenv("CLICOLOR_FORCE", "")
	t.Setenv("NO_COLOR", value)
	env["NO_COLOR"] = value
}

// NO_COLOR with any non-empty value, not only "1" or "true"
// (https://no-color.org), takes the colour out of the enrolment page and
// the audit viewer; without it, both are coloured, so the check can fail.
func TestNoColorAnyValueOnFullScreenPages(t *testing.T) {
	pages := []struct {
		name string
		run  func(t *testing.T, noColor string) []byte
	}{
		{"otp enroll", func(t *testing.T, noColor string) []byte {
			h, file := otpHarness(t)
			noColorEnv(t, h.env, noColor)
			return pageBytes(t, h.app, []string{"otp", "enroll", "--file", file, "--account", "a"}, "otpauth://", "\x1b")
		}},
		{"audit", func(t *testing.T, noColor string) []byte {
			e := newAuditEnv(t)
			env := map[string]string{}
			get := e.app.Getenv
			e.app.Getenv = func(k string) string {
				if v, ok := env[k]; ok {
					return v
				}
				return get(k)
			}
			noColorEnv(t, env, noColor)
			return pageBytes(t, e.app, []string{"audit"}, "5 of 5 records", "q")
		}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			if got := colourSGR(p.run(t, "")); len(got) == 0 {
				t.Fatal("no colour even without NO_COLOR; this test would prove nothing")
			}
			for _, v := range []string{"yes", "0", "x"} {
				if got := colourSGR(p.run(t, v)); len(got) > 0 {
					t.Errorf("NO_COLOR=%s, yet the page set colours: %q", v, got[:min(len(got), 5)])
				}
			}
		})
	}
}
