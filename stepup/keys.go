package stepup

import (
	"fmt"
	"strings"
)

// KeyCode names a key that is not a plain character. Characters (including
// Ctrl+letter and Alt+letter) use KeyRune with the character in Key.Rune, so
// that "Ctrl-D" is the same Key whether the terminal sent the legacy byte 0x04
// or a CSI u / modifyOtherKeys sequence.
type KeyCode uint8

// The zero KeyCode is KeyUnknown: bytes that decode to no key K9s would act
// on (invalid UTF-8, mouse reports, focus events, terminal replies,
// unrecognised escape sequences). They are still forwarded byte for byte.
const (
	KeyUnknown KeyCode = iota
	KeyRune
	KeyEnter
	KeyTab
	KeyBackspace
	KeyEscape
	KeyUp
	KeyDown
	KeyRight
	KeyLeft
	KeyHome
	KeyEnd
	KeyPageUp
	KeyPageDown
	KeyInsert
	KeyDelete
	KeyMouse
	KeyPaste
	KeyF1
	// KeyF2 … KeyF20 follow KeyF1 contiguously: KeyF1 + n - 1 is Fn.
)

// keyFMax is the highest function key the decoder reports.
const keyFMax = 20

// KeyMod is a set of modifier keys.
type KeyMod uint8

// Modifier bits, in xterm's order (the CSI modifier parameter is 1 + mask).
const (
	ModShift KeyMod = 1 << iota
	ModAlt
	ModCtrl
	ModMeta
)

// Key is one key press as read from the terminal, plus the exact bytes that
// carried it so that it can be forwarded to K9s or replayed unchanged after a
// step-up prompt.
type Key struct {
	// Code is KeyRune for characters, otherwise the named key.
	Code KeyCode
	// Rune is the character for KeyRune. For control keys it is the letter
	// (Ctrl-D is Rune 'd' with ModCtrl), as tcell reports them to K9s.
	Rune rune
	// Mod holds the modifiers that were reported with the key.
	Mod KeyMod
	// Text is the pasted text of a KeyPaste key (without the brackets).
	Text string
	// Raw is the exact input that produced this key. It must not be
	// modified; the decoder gives every key its own copy.
	Raw []byte
}

// IsCtrl reports whether k is Ctrl+r (r a lower-case letter or one of
// " \\]^_"), with or without Alt: K9s maps Alt+Ctrl-D to the same tcell key as
// Ctrl-D, so the guard must too.
func (k Key) IsCtrl(r rune) bool {
	return k.Code == KeyRune && k.Mod&ModCtrl != 0 && k.Rune == r
}

// IsRune reports whether k is the plain character r, as K9s sees it: no Ctrl,
// and not Alt alone (K9s turns Alt+r into a different key code). Shift is
// ignored because the character already carries it ('F' is Shift-F).
func (k Key) IsRune(r rune) bool {
	if k.Code != KeyRune || k.Mod&ModCtrl != 0 || k.Mod&^ModShift == ModAlt {
		return false
	}
	return k.Rune == r
}

// IsText reports whether k inserts a character into a K9s prompt: K9s's
// prompt adds every tcell rune key, Alt or not.
func (k Key) IsText() bool {
	return k.Code == KeyRune && k.Mod&ModCtrl == 0
}

var keyCodeNames = map[KeyCode]string{
	KeyUnknown:   "unknown",
	KeyEnter:     "enter",
	KeyTab:       "tab",
	KeyBackspace: "backspace",
	KeyEscape:    "esc",
	KeyUp:        "up",
	KeyDown:      "down",
	KeyRight:     "right",
	KeyLeft:      "left",
	KeyHome:      "home",
	KeyEnd:       "end",
	KeyPageUp:    "pgup",
	KeyPageDown:  "pgdown",
	KeyInsert:    "insert",
	KeyDelete:    "delete",
	KeyMouse:     "mouse",
	KeyPaste:     "paste",
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
	if k.Mod&ModShift != 0 && k.Code != KeyRune {
		b.WriteString("shift+")
	}
	if k.Mod&ModMeta != 0 {
		b.WriteString("meta+")
	}
	switch {
	case k.Code == KeyRune && k.Rune == ' ':
		b.WriteString("space")
	case k.Code == KeyRune:
		b.WriteRune(k.Rune)
	case k.Code == KeyPaste:
		fmt.Fprintf(&b, "paste(%d bytes)", len(k.Text))
	case k.Code >= KeyF1 && k.Code < KeyF1+keyFMax:
		fmt.Fprintf(&b, "f%d", int(k.Code-KeyF1)+1)
	default:
		b.WriteString(keyCodeNames[k.Code])
	}
	return b.String()
}
