package stepup

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that keep a hostile or broken input stream from growing the pending
// buffer without bound. An escape sequence longer than maxSeqLen is given up
// on and reported as KeyUnknown; a bracketed paste is reported in chunks of at
// most maxPasteChunk bytes.
const (
	maxSeqLen     = 64
	maxPasteChunk = 64 << 10
)

var (
	pasteStart = []byte("\x1b[200~")
	pasteEnd   = []byte("\x1b[201~")
)

// KeyDecoder splits the raw byte stream from the user's terminal into keys.
//
// It is hand-written rather than borrowed from ultraviolet or Bubble Tea
// because the guard needs three things those decoders do not give together:
// the exact bytes of every key (so a held key is replayed unchanged), an
// incomplete sequence kept pending across reads without a timer of its own
// (the caller owns the clock and calls Flush), and tcell's reading of the
// ambiguous cases, since tcell is what K9s uses.
//
// The concatenation of the Raw bytes of every key returned, followed by
// Pending(), always equals everything fed so far.
//
// A KeyDecoder is not safe for concurrent use; the pty input pump owns it.
type KeyDecoder struct {
	pending []byte
	inPaste bool // inside a bracketed paste whose end marker has not arrived
}

// Feed decodes p and returns the complete keys it finishes. An incomplete
// escape sequence or UTF-8 character at the end stays pending until more
// input arrives or Flush is called. A lone ESC always stays pending: only
// silence can tell the Escape key from the start of a sequence.
func (d *KeyDecoder) Feed(p []byte) []Key {
	d.pending = append(d.pending, p...)
	return d.decode(false)
}

// Flush resolves whatever is pending as if no more input will follow, the way
// tcell does after 50 ms of silence: a lone ESC becomes the Escape key, ESC [
// and ESC O become Alt+[ and Alt+O, and any other fragment becomes KeyUnknown
// (still carrying its bytes). The caller should call Flush after about 50 ms
// without input whenever Pending is not empty.
func (d *KeyDecoder) Flush() []Key {
	return d.decode(true)
}

// Pending returns the bytes held back waiting for the rest of a sequence.
// The slice is only valid until the next call to Feed or Flush.
func (d *KeyDecoder) Pending() []byte {
	return d.pending
}

func (d *KeyDecoder) decode(flush bool) []Key {
	var keys []Key
	buf := d.pending
	for len(buf) > 0 {
		var (
			n int
			k Key
		)
		if d.inPaste {
			n, k = d.pasteChunk(buf, flush)
		} else {
			n, k = decodeKey(buf, flush)
			if n > 0 && k.Code == KeyPaste {
				// decodeKey only recognised the start marker; the paste's
				// content and end marker are collected by pasteChunk.
				d.inPaste = true
				n, k = d.pasteChunk(buf, flush)
			}
		}
		if n == 0 {
			break
		}
		k.Raw = bytes.Clone(buf[:n])
		keys = append(keys, k)
		buf = buf[n:]
	}
	// Keep the remainder in a fresh slice so Raw copies and pending never
	// alias, and so a long session does not pin an ever-growing array.
	d.pending = append(d.pending[:0:0], buf...)
	return keys
}

// pasteChunk returns the next part of a bracketed paste: everything up to and
// including the end marker when it is present, otherwise (when flushing or
// when the paste is too big to hold) everything that cannot be the start of
// the end marker.
func (d *KeyDecoder) pasteChunk(buf []byte, flush bool) (int, Key) {
	body := 0
	if bytes.HasPrefix(buf, pasteStart) {
		body = len(pasteStart)
	}
	if i := bytes.Index(buf[body:], pasteEnd); i >= 0 {
		d.inPaste = false
		end := body + i
		return end + len(pasteEnd), Key{Code: KeyPaste, Text: string(buf[body:end])}
	}
	if !flush && len(buf) < maxPasteChunk {
		return 0, Key{}
	}
	// Emit all but a suffix that might be the first bytes of the end marker.
	end := len(buf)
	if !flush {
		for k := len(pasteEnd) - 1; k > 0; k-- {
			if bytes.HasSuffix(buf, pasteEnd[:k]) {
				end -= k
				break
			}
		}
	}
	return end, Key{Code: KeyPaste, Text: string(buf[body:end])}
}

// decodeKey decodes the first key in b. It returns n == 0 when b holds only
// the start of a key and more input may complete it (never when flush is
// set). For a bracketed paste start marker it returns a KeyPaste key and the
// caller switches to paste collection.
func decodeKey(b []byte, flush bool) (int, Key) {
	c := b[0]
	switch {
	case c == 0x1b:
		return decodeEscape(b, flush)
	case c < 0x20 || c == 0x7f:
		return 1, controlKey(c)
	case c < 0x80:
		return 1, Key{Code: KeyRune, Rune: rune(c)}
	}
	if !utf8.FullRune(b) && !flush {
		return 0, Key{}
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return 1, Key{Code: KeyUnknown}
	}
	return n, Key{Code: KeyRune, Rune: r}
}

// controlKey maps a C0 control byte (or DEL) to the key tcell reports for it.
func controlKey(c byte) Key {
	switch c {
	case 0x08, 0x7f:
		return Key{Code: KeyBackspace}
	case 0x09:
		return Key{Code: KeyTab}
	case 0x0d:
		return Key{Code: KeyEnter}
	case 0x1b:
		return Key{Code: KeyEscape}
	case 0x00:
		return Key{Code: KeyRune, Rune: ' ', Mod: ModCtrl}
	}
	if c <= 0x1a {
		return Key{Code: KeyRune, Rune: rune('a' + c - 1), Mod: ModCtrl}
	}
	// 0x1c..0x1f are Ctrl-\ Ctrl-] Ctrl-^ Ctrl-_.
	return Key{Code: KeyRune, Rune: rune(c + 0x40), Mod: ModCtrl}
}

func decodeEscape(b []byte, flush bool) (int, Key) {
	if len(b) == 1 {
		if flush {
			return 1, Key{Code: KeyEscape}
		}
		return 0, Key{}
	}
	switch b[1] {
	case '[':
		return decodeCSI(b, flush)
	case 'O':
		return decodeSS3(b, flush)
	case 0x1b:
		// ESC ESC: the first one is the Escape key on its own; the second
		// starts whatever comes next.
		return 1, Key{Code: KeyEscape}
	}
	// ESC + key within the timeout is Alt+key.
	n, k := decodeKey(b[1:], flush)
	if n == 0 {
		return 0, Key{}
	}
	if k.Code == KeyUnknown {
		return 1, Key{Code: KeyEscape}
	}
	k.Mod |= ModAlt
	return n + 1, k
}

func decodeSS3(b []byte, flush bool) (int, Key) {
	// Some terminals put a modifier digit between ESC O and the final byte
	// (ESC O 5 P); accept digits and semicolons there.
	i := 2
	for i < len(b) && i < maxSeqLen && (b[i] >= '0' && b[i] <= '9' || b[i] == ';') {
		i++
	}
	if i >= len(b) {
		if !flush {
			return 0, Key{}
		}
		if len(b) == 2 {
			return 2, Key{Code: KeyRune, Rune: 'O', Mod: ModAlt}
		}
		return len(b), Key{Code: KeyUnknown}
	}
	final := b[i]
	if final < 0x40 || final > 0x7e {
		if i == 2 {
			// Not a sequence: Alt+O followed by something else.
			return 2, Key{Code: KeyRune, Rune: 'O', Mod: ModAlt}
		}
		return i, Key{Code: KeyUnknown}
	}
	var mod KeyMod
	if i > 2 {
		params := strings.Split(string(b[2:i]), ";")
		mod = modParam(params[len(params)-1])
	}
	k := ss3Key(final)
	if k.Code != KeyUnknown {
		k.Mod |= mod
	}
	return i + 1, k
}

func ss3Key(final byte) Key {
	switch final {
	case 'A':
		return Key{Code: KeyUp}
	case 'B':
		return Key{Code: KeyDown}
	case 'C':
		return Key{Code: KeyRight}
	case 'D':
		return Key{Code: KeyLeft}
	case 'H':
		return Key{Code: KeyHome}
	case 'F':
		return Key{Code: KeyEnd}
	case 'P', 'Q', 'R', 'S':
		return Key{Code: KeyF1 + KeyCode(final-'P')}
	case 'M':
		return Key{Code: KeyEnter} // keypad Enter in application mode
	case 'X':
		return Key{Code: KeyRune, Rune: '='}
	}
	// Application keypad: ESC O j..y are * + , - . / 0..9.
	if final >= 'j' && final <= 'y' {
		return Key{Code: KeyRune, Rune: rune(final - 'j' + '*')}
	}
	return Key{Code: KeyUnknown}
}

func decodeCSI(b []byte, flush bool) (int, Key) {
	// ECMA-48: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F,
	// one final byte 0x40–0x7E.
	i := 2
	for i < len(b) && b[i] >= 0x30 && b[i] <= 0x3f {
		i++
	}
	paramEnd := i
	for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f {
		i++
	}
	if i >= len(b) {
		switch {
		case i >= maxSeqLen:
			return i, Key{Code: KeyUnknown}
		case !flush:
			return 0, Key{}
		case len(b) == 2:
			return 2, Key{Code: KeyRune, Rune: '[', Mod: ModAlt}
		}
		return len(b), Key{Code: KeyUnknown}
	}
	final := b[i]
	if final < 0x40 || final > 0x7e || i >= maxSeqLen {
		if i == 2 {
			// ESC [ followed by a control byte: Alt+[ then that byte.
			return 2, Key{Code: KeyRune, Rune: '[', Mod: ModAlt}
		}
		return i, Key{Code: KeyUnknown}
	}
	n := i + 1
	params := string(b[2:paramEnd])
	intermediates := i > paramEnd
	if final == 'M' && params == "" && !intermediates {
		// X10 mouse report: three raw bytes follow the final byte.
		if len(b) < n+3 {
			if !flush {
				return 0, Key{}
			}
			return len(b), Key{Code: KeyMouse}
		}
		return n + 3, Key{Code: KeyMouse}
	}
	if intermediates {
		return n, Key{Code: KeyUnknown}
	}
	return n, csiKey(params, final)
}

// csiKey interprets a complete CSI sequence with the given parameter string
// and final byte.
func csiKey(params string, final byte) Key {
	if params != "" && params[0] >= '<' && params[0] <= '?' {
		// Private parameters: SGR mouse (<), device attribute and mode
		// reports (?), never a key press.
		if params[0] == '<' && (final == 'M' || final == 'm') {
			return Key{Code: KeyMouse}
		}
		return Key{Code: KeyUnknown}
	}
	p := strings.Split(params, ";")
	first := paramInt(p, 0, 1)
	mod := KeyMod(0)
	if len(p) > 1 {
		mod = modParam(p[1])
	}
	with := func(k Key) Key {
		if k.Code != KeyUnknown {
			k.Mod |= mod
		}
		return k
	}
	switch final {
	case 'A':
		return with(Key{Code: KeyUp})
	case 'B':
		return with(Key{Code: KeyDown})
	case 'C':
		return with(Key{Code: KeyRight})
	case 'D':
		return with(Key{Code: KeyLeft})
	case 'H':
		return with(Key{Code: KeyHome})
	case 'F':
		return with(Key{Code: KeyEnd})
	case 'Z':
		return with(Key{Code: KeyTab, Mod: ModShift})
	case 'P', 'Q', 'S':
		return with(Key{Code: KeyF1 + KeyCode(final-'P')})
	case 'R':
		// ESC [ 1 ; m R is F3 with modifiers; anything else ending in R
		// is a cursor position report (ESC [ row ; col R).
		if first == 1 && len(p) <= 2 {
			return with(Key{Code: KeyF1 + 2})
		}
		return Key{Code: KeyUnknown}
	case 'u':
		// CSI u (fixterms / kitty): code point ; modifiers.
		return modifiedCodepoint(first, mod)
	case '~':
		if first == 27 && len(p) >= 3 {
			// xterm modifyOtherKeys: ESC [ 27 ; mod ; code ~
			return modifiedCodepoint(paramInt(p, 2, 0), mod)
		}
		return with(tildeKey(first))
	}
	return Key{Code: KeyUnknown}
}

// modifiedCodepoint builds the key for a code point reported with explicit
// modifiers, spelled the way the legacy encoding would give it to tcell:
// Shift+f is 'F', and Ctrl+D is Ctrl with the lower-case letter.
func modifiedCodepoint(cp int, mod KeyMod) Key {
	k := codepointKey(cp)
	if k.Code == KeyUnknown {
		return k
	}
	k.Mod |= mod
	if k.Code != KeyRune || k.Rune > unicode.MaxASCII {
		return k
	}
	switch {
	case k.Mod&ModCtrl != 0:
		k.Rune = unicode.ToLower(k.Rune)
	case k.Mod&ModShift != 0:
		k.Rune = unicode.ToUpper(k.Rune)
	}
	return k
}

// codepointKey maps a Unicode code point from CSI u or modifyOtherKeys to a
// key, using the same names as the legacy bytes so that both spellings of
// Ctrl-D compare equal.
func codepointKey(cp int) Key {
	switch cp {
	case 9:
		return Key{Code: KeyTab}
	case 13:
		return Key{Code: KeyEnter}
	case 27:
		return Key{Code: KeyEscape}
	case 8, 127:
		return Key{Code: KeyBackspace}
	}
	if cp < 0x20 || cp > utf8.MaxRune || (cp >= 0xd800 && cp <= 0xdfff) {
		return Key{Code: KeyUnknown}
	}
	return Key{Code: KeyRune, Rune: rune(cp)}
}

// tildeFKeys maps ESC [ n ~ to function key numbers; xterm's numbering
// skips 16, 22, 27 and 30.
var tildeFKeys = map[int]int{11: 1, 12: 2, 13: 3, 14: 4, 15: 5, 17: 6, 18: 7, 19: 8, 20: 9, 21: 10,
	23: 11, 24: 12, 25: 13, 26: 14, 28: 15, 29: 16, 31: 17, 32: 18, 33: 19, 34: 20}

func tildeKey(n int) Key {
	switch n {
	case 1, 7:
		return Key{Code: KeyHome}
	case 2:
		return Key{Code: KeyInsert}
	case 3:
		return Key{Code: KeyDelete}
	case 4, 8:
		return Key{Code: KeyEnd}
	case 5:
		return Key{Code: KeyPageUp}
	case 6:
		return Key{Code: KeyPageDown}
	case 200:
		return Key{Code: KeyPaste}
	}
	if f, ok := tildeFKeys[n]; ok {
		return Key{Code: KeyF1 + KeyCode(f-1)}
	}
	return Key{Code: KeyUnknown}
}

// modParam decodes an xterm modifier parameter ("5" is Ctrl, "3" is Alt);
// kitty adds event types after a colon, which are ignored.
func modParam(s string) KeyMod {
	s, _, _ = strings.Cut(s, ":")
	m, err := strconv.Atoi(s)
	if err != nil || m < 2 {
		return 0
	}
	m--
	var mod KeyMod
	if m&1 != 0 {
		mod |= ModShift
	}
	if m&2 != 0 {
		mod |= ModAlt
	}
	if m&4 != 0 {
		mod |= ModCtrl
	}
	if m&^7 != 0 {
		mod |= ModMeta
	}
	return mod
}

func paramInt(p []string, i, def int) int {
	if i >= len(p) {
		return def
	}
	s, _, _ := strings.Cut(p[i], ":")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return def
	}
	return n
}
