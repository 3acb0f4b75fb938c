// Package keys reads the user's keystrokes the way K9s does: a decoder
// that turns terminal input into keys (tcell's rules for Esc, Alt, CSI and
// paste), K9s's key bindings per view, and a watcher that follows K9s's
// mode, view and context from the keys and the shadow screen and says what
// each key will make K9s do.
package keys

import (
	"fmt"
	"strings"
)

// Code names a key that is not a plain character. Characters (including
// Ctrl+letter and Alt+letter) use Rune with the character in Key.Rune, so
// that "Ctrl-D" is the same Key whether the terminal sent the legacy byte 0x04
// or a CSI u / modifyOtherKeys sequence.
type Code uint8

// The zero Code is Unknown: bytes that decode to no key K9s would act
// on (invalid UTF-8, mouse reports, focus events, terminal replies,
// unrecognised escape sequences). They are still forwarded byte for byte.
const (
	Unknown Code = iota
	Rune
	Enter
	Tab
	Backspace
	Escape
	Up
	Down
	Right
	Left
	Home
	End
	PageUp
	PageDown
	Insert
	Delete
	Mouse
	Paste
	F1
	// F2 … F20 follow F1 contiguously: F1 + n - 1 is Fn.
)

// keyFMax is the highest function key the decoder reports.
const keyFMax = 20

// Modifier is a set of modifier keys.
type Modifier uint8

// Modifier bits, in xterm's order (the CSI modifier parameter is 1 + mask).
const (
	ModShift Modifier = 1 << iota
	ModAlt
	ModCtrl
	ModMeta
)

// Key is one key press as read from the terminal, plus the exact bytes that
// carried it so that it can be forwarded to K9s or replayed unchanged after a
// step-up prompt.
type Key struct {
	// Code is Rune for characters, otherwise the named key.
	Code Code
	// Rune is the character for Rune. For control keys it is the letter
	// (Ctrl-D is Rune 'd' with ModCtrl), as tcell reports them to K9s.
	Rune rune
	// Mod holds the modifiers that were reported with the key.
	Mod Modifier
	// Text is the pasted text of a Paste key (without the brackets).
	Text string
	// Raw is the exact input that produced this key. It must not be
	// modified; the decoder gives every key its own copy.
	Raw []byte
}

// IsCtrl reports whether k is Ctrl+r (r a lower-case letter or one of
// " \\]^_"), with or without Alt: K9s maps Alt+Ctrl-D to the same tcell key as
// Ctrl-D, so the guard must too.
func (k Key) IsCtrl(r rune) bool {
	return k.Code == Rune && k.Mod&ModCtrl != 0 && k.Rune == r
}

// IsRune reports whether k is the plain character r, as K9s sees it: no Ctrl,
// and not Alt alone (K9s turns Alt+r into a different key code). Shift is
// ignored because the character already carries it ('F' is Shift-F).
func (k Key) IsRune(r rune) bool {
	if k.Code != Rune || k.Mod&ModCtrl != 0 || k.Mod&^ModShift == ModAlt {
		return false
	}
	return k.Rune == r
}

// IsText reports whether k inserts a character into a K9s prompt: K9s's
// prompt adds every tcell rune key, Alt or not.
func (k Key) IsText() bool {
	return k.Code == Rune && k.Mod&ModCtrl == 0
}

var codeNames = map[Code]string{
	Unknown:   "unknown",
	Enter:     "enter",
	Tab:       "tab",
	Backspace: "backspace",
	Escape:    "esc",
	Up:        "up",
	Down:      "down",
	Right:     "right",
	Left:      "left",
	Home:      "home",
	End:       "end",
	PageUp:    "pgup",
	PageDown:  "pgdown",
	Insert:    "insert",
	Delete:    "delete",
	Mouse:     "mouse",
	Paste:     "paste",
}

// String names the key the way Bubble Tea does ("ctrl+d", "alt+e", "F",
// "shift+up", "f5"), for logs and tests. A paste shows its length, never its
// content, because it may hold a secret.
func (k Key) String() string {
	var b strings.Builder
	if k.Mod&ModCtrl != 0 {
		b.WriteString("ctrl+")
	}
	if k.Mod&ModAlt != 0 {
		b.WriteString("alt+")
	}
	if k.Mod&ModShift != 0 && k.Code != Rune {
		b.WriteString("shift+")
	}
	if k.Mod&ModMeta != 0 {
		b.WriteString("meta+")
	}
	switch {
	case k.Code == Rune && k.Rune == ' ':
		b.WriteString("space")
	case k.Code == Rune:
		b.WriteRune(k.Rune)
	case k.Code == Paste:
		fmt.Fprintf(&b, "paste(%d bytes)", len(k.Text))
	case k.Code >= F1 && k.Code < F1+keyFMax:
		fmt.Fprintf(&b, "f%d", int(k.Code-F1)+1)
	default:
		b.WriteString(codeNames[k.Code])
	}
	return b.String()
}
