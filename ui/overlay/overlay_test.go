package overlay

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The -update flag rewrites golden files. Another test file of this
// package may register it first; share it rather than panic on a
// redefinition.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/golden")
	}
}

func goldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with testdata/golden/name, or rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if goldenUpdate() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./ui/ -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var overlayNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func overlayBackground(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func overlayRequest() Request {
	return Request{
		Context:      "prod",
		Action:       "delete",
		Target:       "pod shop/cart-7c9d8f6b5-x2x9q",
		Source:       "impersonate cluster-admin",
		Window:       15 * time.Minute,
		AttemptsLeft: 3,
	}
}

// overlayVerifier records the codes it is given and answers from a script.
type overlayVerifier struct {
	codes   []string
	answers []Result
}

func (v *overlayVerifier) verify(code string) Result {
	v.codes = append(v.codes, code)
	r := v.answers[0]
	v.answers = v.answers[1:]
	return r
}

func newTestOverlay(t *testing.T, w, h int, req Request, v *overlayVerifier) Model {
	t.Helper()
	bg := overlayBackground(t, "k9s-pods-80x24.txt")
	if w > 80 {
		bg = overlayBackground(t, "k9s-pods-140x40.txt")
	}
	o := Options{Background: bg, Width: w, Height: h, Request: req, Now: func() time.Time { return overlayNow }}
	if v != nil {
		o.Verify = v.verify
	}
	return New(o)
}

// overlaySend feeds messages to the model, running every command it returns
// except timers and quit (which a test observes through Outcome), the way a
// tea.Program would.
func overlaySend(t *testing.T, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	for len(msgs) > 0 {
		msg := msgs[0]
		msgs = msgs[1:]
		next, cmd := m.Update(msg)
		m = next.(Model)
		if cmd == nil {
			continue
		}
		if _, isTick := msg.(TickMsg); isTick {
			continue // a re-armed tick would wait a real second
		}
		if _, isLock := msg.(VerifiedMsg); isLock {
			continue // quit, or the lockout's first tick
		}
		if out := cmd(); out != nil {
			if _, quit := out.(tea.QuitMsg); !quit {
				msgs = append([]tea.Msg{out}, msgs...)
			}
		}
	}
	return m
}

// overlayKeys turns "123", "enter", "esc", "backspace", "tab" into key
// presses.
func overlayKeys(specs ...string) []tea.Msg {
	var out []tea.Msg
	for _, s := range specs {
		switch s {
		case "enter":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyEscape})
		case "backspace":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyBackspace})
		case "tab":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyTab})
		case "ctrl+c":
			out = append(out, tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		default:
			for _, r := range s {
				out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
	return out
}

func overlayScreen(m Model) string { return ansi.Strip(m.View().Content) }

func TestOverlayGolden(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		req  func(*Request)
		keys []string
	}{
		{"overlay-80x24.golden", 80, 24, nil, []string{"123"}},
		{"overlay-140x40.golden", 140, 40, func(r *Request) { r.BlastRadius = "1 pod, owned by ReplicaSet cart-7c9d8f6b5" }, []string{"1234"}},
		{"overlay-confirm-80x24.golden", 80, 24, func(r *Request) {
			r.Action, r.Target, r.ConfirmName = "uninstall", "helm release shop/cart", "cart"
		}, []string{"123456", "ca"}},
		{"overlay-locked-80x24.golden", 80, 24, func(r *Request) { r.LockedUntil = overlayNow.Add(4*time.Minute + 32*time.Second) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := overlayRequest()
			if tt.req != nil {
				tt.req(&req)
			}
			m := overlaySend(t, newTestOverlay(t, tt.w, tt.h, req, nil), overlayKeys(tt.keys...)...)
			got := overlayScreen(m)
			checkGolden(t, tt.name, got)
			if rows := strings.Split(got, "\n"); len(rows) != tt.h {
				t.Errorf("%d rows, want %d", len(rows), tt.h)
			}
		})
	}
}

// TestOverlayKeepsBackground: every cell outside the box is the K9s screen.
func TestOverlayKeepsBackground(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {140, 40}} {
		w, h := size[0], size[1]
		m := newTestOverlay(t, w, h, overlayRequest(), nil)
		box := strings.Split(ansi.Strip(m.Box()), "\n")
		bw, bh := ansi.StringWidth(box[0]), len(box)
		x, y := (w-bw)/2, (h-bh)/2
		bg := m.bg
		for i, row := range strings.Split(overlayScreen(m), "\n") {
			want := ""
			if i < len(bg) {
				want = bg[i]
			}
			if i >= y && i < y+bh {
				left := ansi.Truncate(want, x, "")
				right := ansi.TruncateLeft(want, x+bw, "")
				if !strings.HasPrefix(row, left) || !strings.HasSuffix(row, right) {
					t.Errorf("%dx%d row %d: background beside the box changed:\n got %q\nwant %q…%q", w, h, i, row, left, right)
				}
				if got := ansi.Cut(row, x, x+bw); got != box[i-y] {
					t.Errorf("%dx%d row %d: box row %q, want %q", w, h, i, got, box[i-y])
				}
				continue
			}
			if row != strings.TrimRight(want, " ") {
				t.Errorf("%dx%d row %d changed:\n got %q\nwant %q", w, h, i, row, want)
			}
		}
	}
}

// TestOverlayNeverShowsTheCode guards against shoulder-surfing and against
// the code leaking into a screen dump or a log of the model.
func TestOverlayNeverShowsTheCode(t *testing.T) {
	// No 0 appears anywhere in the box text, so any 0 would be the code.
	m := overlaySend(t, newTestOverlay(t, 80, 24, overlayRequest(), nil), overlayKeys("000000")...)
	box := ansi.Strip(m.Box())
	if strings.ContainsRune(box, '0') {
		t.Fatalf("the typed code is visible:\n%s", box)
	}
	if got := strings.Count(box, "●"); got != 6 {
		t.Errorf("%d masked digits shown, want 6", got)
	}
	if s := m.code.String() + m.code.GoString(); strings.ContainsRune(s, '0') {
		t.Errorf("the code's String() shows digits: %q", s)
	}
}

func TestOverlayDigitsOnlyAndBackspace(t *testing.T) {
	m := overlaySend(t, newTestOverlay(t, 80, 24, overlayRequest(), nil), overlayKeys("1a2 b3", "backspace", "4567890")...)
	if string(m.code) != "124567" {
		t.Errorf("code = %q, want digits only, backspace applied, capped at 6", string(m.code))
	}
}

func TestOverlayGranted(t *testing.T) {
	v := &overlayVerifier{answers: []Result{{Status: OK}}}
	m := newTestOverlay(t, 80, 24, overlayRequest(), v)
	m = overlaySend(t, m, overlayKeys("246810")...)
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = next.(Model)
	if cmd == nil {
		t.Fatal("Enter returned no command")
	}
	if len(m.code) != 0 {
		t.Error("the model still holds the code after submitting it")
	}
	msg := cmd()
	if len(v.codes) != 1 || v.codes[0] != "246810" {
		t.Fatalf("verifier got %q, want [246810]", v.codes)
	}
	next, cmd = m.Update(msg)
	m = next.(Model)
	if m.Outcome() != Granted {
		t.Errorf("outcome = %v, want granted", m.Outcome())
	}
	if cmd == nil || cmd() != tea.Quit() {
		t.Error("a granted overlay must quit")
	}
}

func TestOverlayWrongCode(t *testing.T) {
	v := &overlayVerifier{answers: []Result{{Status: Wrong, AttemptsLeft: 2}, {Status: OK}}}
	m := newTestOverlay(t, 80, 24, overlayRequest(), v)
	m = overlaySend(t, m, overlayKeys("111111", "enter")...)
	s := overlayScreen(m)
	if m.Outcome() != Pending || !strings.Contains(s, "Wrong code") || !strings.Contains(s, "2 attempts left") {
		t.Fatalf("after a wrong code (outcome %v):\n%s", m.Outcome(), s)
	}
	if len(m.code) != 0 || strings.Contains(s, "●") {
		t.Error("the input was not cleared after a wrong code")
	}
	m = overlaySend(t, m, overlayKeys("222222", "enter")...)
	if m.Outcome() != Granted || len(v.codes) != 2 {
		t.Errorf("second try: outcome %v, codes %d", m.Outcome(), len(v.codes))
	}
}

func TestOverlayReusedCode(t *testing.T) {
	v := &overlayVerifier{answers: []Result{{Status: Reused}}}
	m := overlaySend(t, newTestOverlay(t, 80, 24, overlayRequest(), v), overlayKeys("333333", "enter")...)
	if s := overlayScreen(m); !strings.Contains(s, "already used") {
		t.Errorf("reused code not explained:\n%s", s)
	}
}

func TestOverlayPaste(t *testing.T) {
	req := overlayRequest()
	req.ConfirmName = "cart"
	m := overlaySend(t, newTestOverlay(t, 80, 24, req, nil), tea.PasteMsg{Content: "123 456"}, tea.PasteMsg{Content: "cart"})
	if string(m.code) != "123456" || string(m.name) != "cart" {
		t.Errorf("after pasting: code %d digits, name %q", len(m.code), string(m.name))
	}
}

func TestOverlayIncompleteCodeIsNotSubmitted(t *testing.T) {
	v := &overlayVerifier{}
	m := overlaySend(t, newTestOverlay(t, 80, 24, overlayRequest(), v), overlayKeys("123", "enter")...)
	if len(v.codes) != 0 || !strings.Contains(overlayScreen(m), "all 6 digits") {
		t.Errorf("incomplete code: verifier called %d times, screen:\n%s", len(v.codes), overlayScreen(m))
	}
}

func TestOverlayConfirmName(t *testing.T) {
	req := overlayRequest()
	req.ConfirmName = "cart"
	v := &overlayVerifier{answers: []Result{{Status: OK}}}
	m := overlaySend(t, newTestOverlay(t, 80, 24, req, v), overlayKeys("123456", "carp", "enter")...)
	if len(v.codes) != 0 || !strings.Contains(overlayScreen(m), `Type "cart" exactly`) {
		t.Fatalf("wrong name was submitted or not explained:\n%s", overlayScreen(m))
	}
	m = overlaySend(t, m, overlayKeys("backspace", "t", "enter")...)
	if m.Outcome() != Granted {
		t.Errorf("outcome = %v after the right name", m.Outcome())
	}
}

func TestOverlayLockout(t *testing.T) {
	until := overlayNow.Add(90 * time.Second)
	v := &overlayVerifier{answers: []Result{{Status: Locked, LockedUntil: until}}}
	m := newTestOverlay(t, 80, 24, overlayRequest(), v)
	m = overlaySend(t, m, overlayKeys("444444", "enter")...)
	s := overlayScreen(m)
	if !strings.Contains(s, "Try again in 1:30") {
		t.Fatalf("lockout not shown:\n%s", s)
	}
	// Typing is ignored while locked.
	m = overlaySend(t, m, overlayKeys("5")...)
	if len(m.code) != 0 {
		t.Error("digits accepted while locked")
	}
	m = overlaySend(t, m, TickMsg{Time: overlayNow.Add(61 * time.Second)})
	if s := overlayScreen(m); !strings.Contains(s, "Try again in 0:29") {
		t.Errorf("countdown did not advance:\n%s", s)
	}
	m = overlaySend(t, m, TickMsg{Time: until})
	if s := overlayScreen(m); !strings.Contains(s, "lock has expired") {
		t.Errorf("lock end not shown:\n%s", s)
	}
	m = overlaySend(t, m, overlayKeys("5")...)
	if len(m.code) != 1 {
		t.Error("digits still refused after the lock expired")
	}
}

func TestOverlayOpensLocked(t *testing.T) {
	req := overlayRequest()
	req.LockedUntil = overlayNow.Add(time.Minute)
	m := newTestOverlay(t, 80, 24, req, nil)
	if m.Init() == nil {
		t.Error("a locked overlay must start its countdown")
	}
	if newTestOverlay(t, 80, 24, overlayRequest(), nil).Init() != nil {
		t.Error("an unlocked overlay needs no initial command")
	}
}

func TestOverlayCancel(t *testing.T) {
	for _, k := range []string{"esc", "ctrl+c"} {
		m := newTestOverlay(t, 80, 24, overlayRequest(), nil)
		m = overlaySend(t, m, overlayKeys("12")...)
		next, cmd := m.Update(overlayKeys(k)[0])
		m = next.(Model)
		if m.Outcome() != Cancelled || cmd == nil || cmd() != tea.Quit() {
			t.Errorf("%s: outcome %v, want cancelled and quit", k, m.Outcome())
		}
		if len(m.code) != 0 {
			t.Errorf("%s: the cancelled model still holds digits", k)
		}
	}
}

func TestOverlayRelayout(t *testing.T) {
	m := newTestOverlay(t, 80, 24, overlayRequest(), nil)
	m = overlaySend(t, m, tea.WindowSizeMsg{Width: 100, Height: 30}, BlastRadiusMsg{Text: "1 pod"})
	rows := strings.Split(overlayScreen(m), "\n")
	if len(rows) != 30 {
		t.Fatalf("%d rows after resize, want 30", len(rows))
	}
	for _, r := range rows {
		if ansi.StringWidth(r) > 100 {
			t.Errorf("row wider than the window: %q", r)
		}
	}
	if !strings.Contains(overlayScreen(m), "Affects   1 pod") {
		t.Errorf("blast radius message not shown:\n%s", overlayScreen(m))
	}
	// A window too short for the full box still shows the code and help.
	m = overlaySend(t, m, tea.WindowSizeMsg{Width: 60, Height: 12})
	s := overlayScreen(m)
	if len(strings.Split(s, "\n")) != 12 || !strings.Contains(s, "Code") || !strings.Contains(s, "esc cancel") {
		t.Errorf("small window:\n%s", s)
	}
}

func TestRenderOverlayStyledBackground(t *testing.T) {
	bg := []string{"\x1b[31mred red red red red\x1b[0m", "plain line here", "\x1b[1mbold\x1b[0m tail"}
	rows := strings.Split(Render(bg, 20, 3, "[#]"), "\n")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	// A 3-wide box in 20 columns starts at column 8, on the middle row.
	if got := ansi.Strip(rows[1]); got != "plain li[#]here" {
		t.Errorf("middle row = %q", got)
	}
	if !strings.Contains(rows[0], "\x1b[") || ansi.Strip(rows[0]) != "red red red red red" {
		t.Errorf("styled background row lost its text or style: %q", rows[0])
	}
	if !strings.Contains(rows[2], "\x1b[") || ansi.Strip(rows[2]) != "bold tail" {
		t.Errorf("styled background row lost its text or style: %q", rows[2])
	}
	if Render(bg, 0, 0, "x") != "" {
		t.Error("a zero-size screen renders something")
	}
}

func TestFormatCountdown(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0:00", 500 * time.Millisecond: "0:01", 59 * time.Second: "0:59",
		4*time.Minute + 32*time.Second: "4:32", time.Hour + 2*time.Second: "1:00:02", -time.Second: "0:00",
	}
	for d, want := range tests {
		if got := formatCountdown(d); got != want {
			t.Errorf("formatCountdown(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", 90 * time.Minute: "1h30m", time.Hour: "1h", 45 * time.Second: "45s"} {
		if got := formatWindow(d); got != want {
			t.Errorf("formatWindow(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestOverlayInTeaProgram runs the model the way the orchestrator may: in a
// real tea.Program reading raw terminal bytes.
func TestOverlayInTeaProgram(t *testing.T) {
	v := &overlayVerifier{answers: []Result{{Status: OK}}}
	m := newTestOverlay(t, 80, 24, overlayRequest(), v)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		// "x" and the arrow are ignored; backspace erases the 9.
		tea.WithInput(strings.NewReader("22x2\x1b[A229\x7f2\r")),
		tea.WithOutput(io.Discard),
		tea.WithWindowSize(80, 24),
		tea.WithoutSignals(),
	)
	final, err := p.Run()
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	if got := final.(Model).Outcome(); got != Granted {
		t.Errorf("outcome = %v, want granted", got)
	}
	if len(v.codes) != 1 || v.codes[0] != "222222" {
		t.Errorf("verifier got %d codes, want the one typed", len(v.codes))
	}
}

// The hint says Tab moves to the next field: after the sixth digit has
// moved the focus to Name already, Tab keeps it there (issue 12: it sent
// the focus back to Code, so the name went nowhere). A second Tab moves.
func TestOverlayTabAfterTheSixthDigitStaysOnName(t *testing.T) {
	req := overlayRequest()
	req.ConfirmName = "cart"
	v := &overlayVerifier{answers: []Result{{Status: OK}}}
	m := overlaySend(t, newTestOverlay(t, 80, 24, req, v), overlayKeys("123456", "tab", "cart", "enter")...)
	if m.Outcome() != Granted {
		t.Fatalf("outcome = %v after code, Tab, name:\n%s", m.Outcome(), overlayScreen(m))
	}
	m = overlaySend(t, newTestOverlay(t, 80, 24, req, &overlayVerifier{}), overlayKeys("123456", "tab", "tab")...)
	if m.focus != fieldCode {
		t.Errorf("focus %v after a second Tab, want the code", m.focus)
	}
}
