package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

const enrollTestURI = "otpauth://totp/k9s-guard:alice@laptop?algorithm=SHA1&digits=6&issuer=k9s-guard&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

type enrollHarness struct {
	m      Enroll
	saves  int
	checks []string
	save   error
}

func newEnrollHarness(t *testing.T) *enrollHarness {
	t.Helper()
	h := &enrollHarness{}
	m, err := NewEnroll(EnrollOptions{
		Issuer:  "k9s-guard",
		Account: "alice@laptop",
		URI:     enrollTestURI,
		Where:   "file /tmp/s.json",
		Check: func(code string) (bool, error) {
			h.checks = append(h.checks, code)
			return code == "123456", nil
		},
		Save: func() error {
			h.saves++
			return h.save
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	return h
}

// send delivers a message and reports whether the model asked to quit.
func (h *enrollHarness) send(msg tea.Msg) (quit bool) {
	next, cmd := h.m.Update(msg)
	h.m = next.(Enroll)
	if cmd == nil {
		return false
	}
	_, quit = cmd().(tea.QuitMsg)
	return quit
}

func (h *enrollHarness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (h *enrollHarness) enter() bool { return h.send(tea.KeyPressMsg{Code: tea.KeyEnter}) }

func (h *enrollHarness) screen() string { return ansi.Strip(h.m.View().Content) }

func TestEnrollShowsQRAndURI(t *testing.T) {
	h := newEnrollHarness(t)
	v := h.m.View()
	if !v.AltScreen {
		t.Error("enrolment must use the alternate screen so the secret leaves no scrollback")
	}
	s := h.screen()
	if !strings.Contains(s, enrollTestURI) {
		t.Error("URI not shown")
	}
	if !strings.ContainsAny(s, "▀▄█") {
		t.Error("no half-block QR code on screen")
	}
	if !strings.Contains(s, "alice@laptop") || !strings.Contains(s, "file /tmp/s.json") {
		t.Errorf("account or store missing:\n%s", s)
	}
}

// TestEnrollURIStaysOnOneLine: a URI broken across lines cannot be pasted
// into an app. At a width that holds it the URI is one line; at a narrower
// one it is left out (the renderer would cut it) with a note saying how
// wide the terminal must be, and the setup key is there at every width.
func TestEnrollURIStaysOnOneLine(t *testing.T) {
	for _, width := range []int{0, len(enrollTestURI), 100, 80} {
		h := newEnrollHarness(t)
		h.send(tea.WindowSizeMsg{Width: width, Height: 60})
		s := h.screen()
		fits := width == 0 || width >= len(enrollTestURI)
		if got := strings.Contains(s, enrollTestURI); got != fits {
			t.Errorf("width %d: whole URI on one line = %v, want %v:\n%s", width, got, fits, s)
		}
		if !fits && !strings.Contains(s, fmt.Sprintf("widen the terminal to %d columns", len(enrollTestURI))) {
			t.Errorf("width %d: no note on the width the URI needs:\n%s", width, s)
		}
		if strings.Contains(s, "otpauth://") != fits {
			t.Errorf("width %d: a piece of the URI is shown:\n%s", width, s)
		}
		if !strings.Contains(s, "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP") {
			t.Errorf("width %d: no setup key:\n%s", width, s)
		}
	}
}

func TestEnrollWrongCodeKeepsScreenOpen(t *testing.T) {
	h := newEnrollHarness(t)
	h.typeText("654321")
	if h.enter() {
		t.Fatal("a wrong code closed the screen")
	}
	if h.saves != 0 || h.m.Saved() {
		t.Fatal("a wrong code saved the secret")
	}
	if !strings.Contains(h.screen(), "not right") {
		t.Errorf("no error shown:\n%s", h.screen())
	}
	// The field is cleared for the next try, which then succeeds.
	h.typeText("123456")
	if !h.enter() || h.saves != 1 || !h.m.Saved() {
		t.Fatalf("right code after a wrong one: saves=%d saved=%v checks=%v", h.saves, h.m.Saved(), h.checks)
	}
}

func TestEnrollRightCodeSavesAndQuits(t *testing.T) {
	h := newEnrollHarness(t)
	h.typeText("123456")
	if !h.enter() {
		t.Fatal("the right code did not close the screen")
	}
	if h.saves != 1 || !h.m.Saved() || h.m.Aborted() {
		t.Errorf("saves=%d saved=%v aborted=%v", h.saves, h.m.Saved(), h.m.Aborted())
	}
	// Input after the end changes nothing.
	h.typeText("1")
	h.enter()
	if h.saves != 1 {
		t.Error("saved twice")
	}
}

func TestEnrollIgnoresNonDigitsAndAcceptsPaste(t *testing.T) {
	h := newEnrollHarness(t)
	h.typeText("12ab 3")
	h.send(tea.PasteMsg{Content: "45 6"})
	h.enter()
	if len(h.checks) != 1 || h.checks[0] != "123456" {
		t.Errorf("checked %v, want [123456]", h.checks)
	}
}

func TestEnrollShortCodeIsNotChecked(t *testing.T) {
	h := newEnrollHarness(t)
	h.typeText("123")
	if h.enter() || len(h.checks) != 0 {
		t.Errorf("a 3-digit code was checked: %v", h.checks)
	}
	if !strings.Contains(h.screen(), "6-digit") {
		t.Errorf("no hint:\n%s", h.screen())
	}
}

func TestEnrollSaveFailureKeepsScreenOpen(t *testing.T) {
	h := newEnrollHarness(t)
	h.save = errors.New("disk full")
	h.typeText("123456")
	if h.enter() || h.m.Saved() {
		t.Fatal("a failed save closed the screen as saved")
	}
	if !strings.Contains(h.screen(), "disk full") {
		t.Errorf("save error not shown:\n%s", h.screen())
	}
}

func TestEnrollCancelSavesNothing(t *testing.T) {
	h := newEnrollHarness(t)
	h.typeText("123456")
	if !h.send(tea.KeyPressMsg{Code: tea.KeyEscape}) {
		t.Fatal("esc did not quit")
	}
	if !h.m.Aborted() || h.saves != 0 || len(h.checks) != 0 {
		t.Errorf("aborted=%v saves=%d checks=%v", h.m.Aborted(), h.saves, h.checks)
	}
}

func TestNewEnrollNeedsCallbacks(t *testing.T) {
	if _, err := NewEnroll(EnrollOptions{URI: enrollTestURI}); err == nil {
		t.Error("no callbacks: want an error")
	}
}
