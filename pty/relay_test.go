package pty

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestStreamStateAcrossChunks: the status line must never be written into
// the middle of one of K9s's escape sequences or UTF-8 characters, however
// a pty read splits K9s's output. The regression: a status paint between
// the three bytes of "─" in K9s's bottom border became two replacement
// characters, the row one cell too wide, and the terminal scrolled.
func TestStreamStateAcrossChunks(t *testing.T) {
	frame := "\x1b[30;1H└──┘\x1b]0;k9s\x07\x1b[38;5;10mok\x1b(B\x1b[m é😎\x1bP+q\x1b\\end"
	// Every way of cutting the frame in two or three pieces: the state at
	// each cut must say "inside" exactly where the cut splits something.
	inside := insideAt(frame)
	for i := 0; i <= len(frame); i++ {
		st := streamState{}.after([]byte(frame[:i]))
		if got := st.inside(); got != inside[i] {
			t.Errorf("cut at %d (%q | %q): inside=%v, want %v", i, frame[:i], frame[i:], got, inside[i])
		}
		for j := i; j <= len(frame); j++ {
			st2 := st.after([]byte(frame[i:j]))
			if got := st2.inside(); got != inside[j] {
				t.Errorf("cuts at %d and %d (%q | %q | %q): inside=%v, want %v", i, j, frame[:i], frame[i:j], frame[j:], got, inside[j])
			}
		}
	}
}

// insideAt marks, for each offset of s, whether a cut there falls inside an
// escape sequence or a character: worked out by hand from the frame's parts,
// independently of streamState.
func insideAt(s string) []bool {
	in := make([]bool, len(s)+1)
	mark := func(part string) {
		i := strings.Index(s, part)
		for k := i + 1; k < i+len(part); k++ {
			in[k] = true
		}
	}
	for _, part := range []string{"\x1b[30;1H", "└", "─", "┘", "\x1b]0;k9s\x07", "\x1b[38;5;10m", "\x1b(B", "\x1b[m", "é", "😎", "\x1bP+q\x1b\\"} {
		mark(part)
	}
	// "─" appears twice; mark the second one too.
	if i := strings.LastIndex(s, "─"); i >= 0 {
		for k := i + 1; k < i+len("─"); k++ {
			in[k] = true
		}
	}
	return in
}

// TestDrawBetweenFramesWaitsForTheCharacter: a paint offered while K9s's
// output stops inside a character is skipped, and goes through once the
// character is complete.
func TestDrawBetweenFramesWaitsForTheCharacter(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term)
	box := []byte("└─┘")
	if err := o.FromChild(box[:4]); err != nil { // "└" and the first byte of "─"
		t.Fatal(err)
	}
	if drawn, _ := o.DrawBetweenFrames([]byte("[status]")); drawn {
		t.Fatalf("drew inside a character: %q", term.String())
	}
	if err := o.FromChild(box[4:]); err != nil {
		t.Fatal(err)
	}
	if drawn, _ := o.DrawBetweenFrames([]byte("[status]")); !drawn {
		t.Fatal("did not draw between characters")
	}
	if got, want := term.String(), "└─┘[status]"; got != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}
}

// TestResumeDropsTheRestOfAHiddenSequence: K9s began a colour sequence
// while the overlay hid its output; after the overlay closes the terminal
// must not print the sequence's tail ("5;10m") as text over K9s's screen.
func TestResumeDropsTheRestOfAHiddenSequence(t *testing.T) {
	for _, tc := range []struct{ hidden, after, want string }{
		{"ab\x1b[38;5", ";10mok", "ok"},
		{"ab\x1b[38;5", ";1", ""}, // still inside: nothing yet
		{"ab\xe2\x94", "\x80ok", "ok"},
		{"ab\x1b]0;tit", "le\x07ok\x1b[m", "ok\x1b[m"},
		{"ab", "ok", "ok"},
	} {
		var term bytes.Buffer
		o := NewOutput(&term)
		o.Pause()
		if err := o.FromChild([]byte(tc.hidden)); err != nil {
			t.Fatal(err)
		}
		if err := o.Resume([]byte("[repaint]")); err != nil {
			t.Fatal(err)
		}
		if err := o.FromChild([]byte(tc.after)); err != nil {
			t.Fatal(err)
		}
		if got, want := term.String(), "[repaint]"+tc.want; got != want {
			t.Errorf("hidden %q then %q: terminal got %q, want %q", tc.hidden, tc.after, got, want)
		}
	}
}

// While a child owns the screen (K9s left the alternate screen for
// kubectl edit's vi) the status line is not drawn over it; once K9s is
// back it is, even when the switch arrived split across two reads.
func TestDrawBetweenFramesNotOverAChild(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(o.FromChild([]byte("\x1b[?1049hK9s")))
	if drawn, _ := o.DrawBetweenFrames([]byte("[S]")); !drawn {
		t.Fatal("not drawn over K9s")
	}
	must(o.FromChild([]byte("\x1b[?10")))
	must(o.FromChild([]byte("49l~ vi ~")))
	if drawn, _ := o.DrawBetweenFrames([]byte("[S]")); drawn {
		t.Fatal("drawn over the child's screen")
	}
	must(o.FromChild([]byte("\x1b[?1049hK9s again")))
	if drawn, _ := o.DrawBetweenFrames([]byte("[S]")); !drawn {
		t.Fatal("not drawn once K9s is back")
	}
}

// The sticky status line is drawn again after each chunk of K9s output
// that ends between characters, in the same write, and never over a child.
func TestStickyRedrawnAfterK9sOutput(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term)
	o.SetSticky([]byte("[S]"))
	if err := o.FromChild([]byte("\x1b[?1049hrow")); err != nil {
		t.Fatal(err)
	}
	if got := term.String(); got != "\x1b[?1049hrow[S]" {
		t.Errorf("after a chunk: %q", got)
	}
	term.Reset()
	_ = o.FromChild([]byte("\x1b[3")) // mid-sequence: not now
	_ = o.FromChild([]byte("1m"))
	if got := term.String(); got != "\x1b[31m[S]" {
		t.Errorf("across a split sequence: %q", got)
	}
	term.Reset()
	_ = o.FromChild([]byte("\x1b[?1049lvi"))
	if got := term.String(); strings.Contains(got, "[S]") {
		t.Errorf("drawn over a child: %q", got)
	}
	o.SetSticky(nil)
	term.Reset()
	_ = o.FromChild([]byte("\x1b[?1049hK9s"))
	if got := term.String(); strings.Contains(got, "[S]") {
		t.Errorf("drawn after it was cleared: %q", got)
	}
}

// orderTee records the order of its calls around the terminal's write.
type orderTee struct{ calls *[]string }

func (o orderTee) Write(p []byte) (int, error) {
	*o.calls = append(*o.calls, "write")
	return len(p), nil
}
func (o orderTee) Queue([]byte) { *o.calls = append(*o.calls, "queue") }
func (o orderTee) Digest()      { *o.calls = append(*o.calls, "digest") }

// The shadow screen queues K9s's output before the user's terminal has it
// (so whatever the user saw, a reader waiting for the shadow sees too) and
// digests it after (so the emulator's work never delays the terminal); a
// plain tee gets it after the terminal.
func TestTeeAroundOrder(t *testing.T) {
	var calls []string
	term := func([]byte) error { calls = append(calls, "terminal"); return nil }
	if err := teeAround(orderTee{&calls}, []byte("x"), term); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(calls, ","); got != "queue,terminal,digest" {
		t.Fatalf("digester: %s", got)
	}
	calls = nil
	var plain bytes.Buffer
	if err := teeAround(&plain, []byte("x"), term); err != nil || calls[0] != "terminal" || plain.String() != "x" {
		t.Fatalf("plain tee: %v %v %q", err, calls, plain.String())
	}
}

// The relay's alternate-screen tracker (which keeps the status line off a
// shell's or an editor's screen) agrees with a search of the whole stream
// however the stream is cut into reads: at every byte, in two reads, and
// one byte at a time.
func TestAltTrackerSplitAnywhere(t *testing.T) {
	streams := []string{
		"\x1b[?1049h k9s \x1b[?1049l shell",
		"\x1b[?1049l\x1b[?1049h",
		"x\x1b[?1049h\x1b[?1049l\x1b[?1049h\x1b[?104",
		"\x1b[?1049x\x1b\x1b[?1049h\x1b[?25l",
		"\x1b[?1049lplain \x1b[?1047h",
		"\x1b[38;5;200mweb\x1b[?1049h\x1b[0m",
	}
	want := func(s string) (on, seen bool) {
		on = strings.LastIndex(s, "\x1b[?1049h") > strings.LastIndex(s, "\x1b[?1049l")
		return on, strings.Contains(s, "\x1b[?1049h")
	}
	for _, s := range streams {
		wOn, wSeen := want(s)
		check := func(how string, parts []string) {
			t.Helper()
			var a altTracker
			for _, p := range parts {
				a.feed([]byte(p))
			}
			if a.on != wOn || a.seen != wSeen {
				t.Errorf("%q %s: on=%v seen=%v, want on=%v seen=%v", s, how, a.on, a.seen, wOn, wSeen)
			}
		}
		check("whole", []string{s})
		for i := range len(s) + 1 {
			check(fmt.Sprintf("cut at %d", i), []string{s[:i], s[i:]})
		}
		check("bytewise", strings.Split(s, ""))
	}
}
