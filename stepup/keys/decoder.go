package keys

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Limits that keep a hostile or broken input stream from growing the pending
// buffer without bound. An escape sequence longer than maxSeqLen is given up
// on and reported as Unknown; a bracketed paste is reported in chunks of at
// most maxPasteChunk bytes.
const (
	maxSeqLen     = 64
	maxPasteChunk = 64 << 10
)

var (
	pasteStart = []byte(ansi.BracketedPasteStart)
	pasteEnd   = []byte(ansi.BracketedPasteEnd)
)

// Decoder splits the raw byte stream from the user's terminal into keys.
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
// A Decoder is not safe for concurrent use; the pty input pump owns it.
type Decoder struct {
	pending []byte
	inPaste bool      // inside a bracketed paste whose end marker has not arrived
	since   time.Time // when the pending bytes last grew (FeedAt)
}

// EscDelay is how long tcell, and so K9s, waits after an ESC before it
// takes it as the Escape key on its own: bytes that arrive later start a
// new key. Reading the stream any other way would make an Esc followed by
// ":ctx dev" look like Alt-: and letters (and the "e" like edit). This is
// the one place the rule lives; FeedAt and Expire apply it.
const EscDelay = 50 * time.Millisecond

// FeedAt decodes p, which arrived at now. Bytes pending from earlier input
// that have waited EscDelay are resolved first, as tcell would have done
// during the silence, and returned as expired; keys are those p finishes.
func (d *Decoder) FeedAt(p []byte, now time.Time) (expired, keys []Key) {
	expired = d.Expire(now)
	keys = d.Feed(p)
	if len(d.pending) > 0 {
		d.since = now
	}
	return expired, keys
}

// Expire resolves the pending bytes (see Flush) once they have waited
// EscDelay since the input that left them pending, and returns nothing
// before that. Call it when a timer of EscDelay started after FeedAt fires.
func (d *Decoder) Expire(now time.Time) []Key {
	if len(d.pending) == 0 || now.Sub(d.since) < EscDelay {
		return nil
	}
	return d.Flush()
}

// Feed decodes p and returns the complete keys it finishes. An incomplete
// escape sequence or UTF-8 character at the end stays pending until more
// input arrives or Flush is called. A lone ESC always stays pending: only
// silence can tell the Escape key from the start of a sequence.
func (d *Decoder) Feed(p []byte) []Key {
	d.pending = append(d.pending, p...)
	return d.decode(false)
}

// Flush resolves whatever is pending as if no more input will follow, the way
// tcell does after 50 ms of silence: a lone ESC becomes the Escape key, ESC [
// and ESC O become Alt+[ and Alt+O, and any other fragment becomes Unknown
// (still carrying its bytes). The caller should call Flush after about 50 ms
// without input whenever Pending is not empty.
func (d *Decoder) Flush() []Key {
	return d.decode(true)
}

// Since is when the pending bytes last grew (FeedAt).
func (d *Decoder) Since() time.Time { return d.since }

// Pending returns the bytes held back waiting for the rest of a sequence.
// The slice is only valid until the next call to Feed or Flush.
func (d *Decoder) Pending() []byte {
	return d.pending
}

func (d *Decoder) decode(flush bool) []Key {
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
			if n > 0 && k.Code == Paste {
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
func (d *Decoder) pasteChunk(buf []byte, flush bool) (int, Key) {
	body := 0
	if bytes.HasPrefix(buf, pasteStart) {
		body = len(pasteStart)
	}
	if i := bytes.Index(buf[body:], pasteEnd); i >= 0 {
		d.inPaste = false
		end := body + i
		return end + len(pasteEnd), Key{Code: Paste, Text: string(buf[body:end])}
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
	return end, Key{Code: Paste, Text: string(buf[body:end])}
}

// decodeKey decodes the first key in b. It returns n == 0 when b holds only
// the start of a key and more input may complete it (never when flush is
// set). For a bracketed paste start marker it returns a Paste key and the
// caller switches to paste collection.
func decodeKey(b []byte, flush bool) (int, Key) {
	c := b[0]
	switch {
	case c == 0x1b:
		return decodeEscape(b, flush)
	case c < 0x20 || c == 0x7f:
		return 1, controlKey(c)
	case c < 0x80:
		return 1, Key{Code: Rune, Rune: rune(c)}
	}
	if !utf8.FullRune(b) && !flush {
		return 0, Key{}
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return 1, Key{Code: Unknown}
	}
	return n, Key{Code: Rune, Rune: r}
}

// controlKey maps a C0 control byte (or DEL) to the key tcell reports for it.
func controlKey(c byte) Key {
	switch c {
	case 0x08, 0x7f:
		return Key{Code: Backspace}
	case 0x09:
		return Key{Code: Tab}
	case 0x0d:
		return Key{Code: Enter}
	case 0x1b:
		return Key{Code: Escape}
	case 0x00:
		return Key{Code: Rune, Rune: ' ', Mod: ModCtrl}
	}
	if c <= 0x1a {
		return Key{Code: Rune, Rune: rune('a' + c - 1), Mod: ModCtrl}
	}
	// 0x1c..0x1f are Ctrl-\ Ctrl-] Ctrl-^ Ctrl-_.
	return Key{Code: Rune, Rune: rune(c + 0x40), Mod: ModCtrl}
}

func decodeEscape(b []byte, flush bool) (int, Key) {
	if len(b) == 1 {
		if flush {
			return 1, Key{Code: Escape}
		}
		return 0, Key{}
	}
	switch b[1] {
	case '[':
		return decodeCSI(b, flush)
	case 'O':
		return decodeSS3(b, flush)
	case ']', 'P', '_', '^', 'X':
		if n, ok := stringSequence(b); ok {
			// A terminal's reply (OSC 11 "rgb:…" to a program's query of
			// the background colour, a DCS), never a key: its letters
			// ("r" of rgb) are not K9s's commands.
			return n, Key{Code: Unknown}
		}
		if !flush && len(b) < maxStringSeq {
			return 0, Key{}
		}
	case 0x1b:
		// ESC ESC: the first one is the Escape key on its own; the second
		// starts whatever comes next.
		return 1, Key{Code: Escape}
	}
	// ESC + key within the timeout is Alt+key.
	n, k := decodeKey(b[1:], flush)
	if n == 0 {
		return 0, Key{}
	}
	if k.Code == Unknown {
		return 1, Key{Code: Escape}
	}
	k.Mod |= ModAlt
	return n + 1, k
}

// maxStringSeq bounds how long an unterminated OSC/DCS is waited for;
// past it the bytes are read as keys, as a terminal would send them.
const maxStringSeq = 512

// stringSequence finds the end of the OSC, DCS, APC, PM or SOS string
// starting b: BEL, or ESC \ (ST). ok is false when it has not ended.
func stringSequence(b []byte) (int, bool) {
	for i := 2; i < len(b); i++ {
		switch b[i] {
		case 0x07:
			return i + 1, true
		case 0x1b:
			if i+1 < len(b) && b[i+1] == '\\' {
				return i + 2, true
			}
			if i+1 < len(b) {
				return 0, false // another sequence starts: not a string
			}
		}
	}
	return 0, false
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
			return 2, Key{Code: Rune, Rune: 'O', Mod: ModAlt}
		}
		return len(b), Key{Code: Unknown}
	}
	final := b[i]
	if final < 0x40 || final > 0x7e {
		if i == 2 {
			// Not a sequence: Alt+O followed by something else.
			return 2, Key{Code: Rune, Rune: 'O', Mod: ModAlt}
		}
		return i, Key{Code: Unknown}
	}
	var mod Modifier
	if i > 2 {
		params := strings.Split(string(b[2:i]), ";")
		mod = modParam(params[len(params)-1])
	}
	k := ss3Key(final)
	if k.Code != Unknown {
		k.Mod |= mod
	}
	return i + 1, k
}

func ss3Key(final byte) Key {
	switch final {
	case 'A':
		return Key{Code: Up}
	case 'B':
		return Key{Code: Down}
	case 'C':
		return Key{Code: Right}
	case 'D':
		return Key{Code: Left}
	case 'H':
		return Key{Code: Home}
	case 'F':
		return Key{Code: End}
	case 'P', 'Q', 'R', 'S':
		return Key{Code: F1 + Code(final-'P')}
	case 'M':
		return Key{Code: Enter} // keypad Enter in application mode
	case 'X':
		return Key{Code: Rune, Rune: '='}
	}
	// Application keypad: ESC O j..y are * + , - . / 0..9.
	if final >= 'j' && final <= 'y' {
		return Key{Code: Rune, Rune: rune(final - 'j' + '*')}
	}
	return Key{Code: Unknown}
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
			return i, Key{Code: Unknown}
		case !flush:
			return 0, Key{}
		case len(b) == 2:
			return 2, Key{Code: Rune, Rune: '[', Mod: ModAlt}
		}
		return len(b), Key{Code: Unknown}
	}
	final := b[i]
	if final < 0x40 || final > 0x7e || i >= maxSeqLen {
		if i == 2 {
			// ESC [ followed by a control byte: Alt+[ then that byte.
			return 2, Key{Code: Rune, Rune: '[', Mod: ModAlt}
		}
		return i, Key{Code: Unknown}
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
			return len(b), Key{Code: Mouse}
		}
		return n + 3, Key{Code: Mouse}
	}
	if intermediates {
		return n, Key{Code: Unknown}
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
			return Key{Code: Mouse}
		}
		return Key{Code: Unknown}
	}
	p := strings.Split(params, ";")
	first := paramInt(p, 0, 1)
	mod := Modifier(0)
	if len(p) > 1 {
		mod = modParam(p[1])
	}
	with := func(k Key) Key {
		if k.Code != Unknown {
			k.Mod |= mod
		}
		return k
	}
	switch final {
	case 'A':
		return with(Key{Code: Up})
	case 'B':
		return with(Key{Code: Down})
	case 'C':
		return with(Key{Code: Right})
	case 'D':
		return with(Key{Code: Left})
	case 'H':
		return with(Key{Code: Home})
	case 'F':
		return with(Key{Code: End})
	case 'Z':
		return with(Key{Code: Tab, Mod: ModShift})
	case 'P', 'Q', 'S':
		return with(Key{Code: F1 + Code(final-'P')})
	case 'R':
		// ESC [ 1 ; m R is F3 with modifiers; anything else ending in R
		// is a cursor position report (ESC [ row ; col R).
		if first == 1 && len(p) <= 2 {
			return with(Key{Code: F1 + 2})
		}
		return Key{Code: Unknown}
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
	return Key{Code: Unknown}
}

// modifiedCodepoint builds the key for a code point reported with explicit
// modifiers, spelled the way the legacy encoding would give it to tcell:
// Shift+f is 'F', and Ctrl+D is Ctrl with the lower-case letter.
func modifiedCodepoint(cp int, mod Modifier) Key {
	k := codepointKey(cp)
	if k.Code == Unknown {
		return k
	}
	k.Mod |= mod
	if k.Code != Rune || k.Rune > unicode.MaxASCII {
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
		return Key{Code: Tab}
	case 13:
		return Key{Code: Enter}
	case 27:
		return Key{Code: Escape}
	case 8, 127:
		return Key{Code: Backspace}
	}
	if cp < 0x20 || cp > utf8.MaxRune || (cp >= 0xd800 && cp <= 0xdfff) {
		return Key{Code: Unknown}
	}
	return Key{Code: Rune, Rune: rune(cp)}
}

// tildeFKeys maps ESC [ n ~ to function key numbers; xterm's numbering
// skips 16, 22, 27 and 30.
var tildeFKeys = map[int]int{11: 1, 12: 2, 13: 3, 14: 4, 15: 5, 17: 6, 18: 7, 19: 8, 20: 9, 21: 10,
	23: 11, 24: 12, 25: 13, 26: 14, 28: 15, 29: 16, 31: 17, 32: 18, 33: 19, 34: 20}

func tildeKey(n int) Key {
	switch n {
	case 1, 7:
		return Key{Code: Home}
	case 2:
		return Key{Code: Insert}
	case 3:
		return Key{Code: Delete}
	case 4, 8:
		return Key{Code: End}
	case 5:
		return Key{Code: PageUp}
	case 6:
		return Key{Code: PageDown}
	case 200:
		return Key{Code: Paste}
	}
	if f, ok := tildeFKeys[n]; ok {
		return Key{Code: F1 + Code(f-1)}
	}
	return Key{Code: Unknown}
}

// modParam decodes an xterm modifier parameter ("5" is Ctrl, "3" is Alt);
// kitty adds event types after a colon, which are ignored.
func modParam(s string) Modifier {
	s, _, _ = strings.Cut(s, ":")
	m, err := strconv.Atoi(s)
	if err != nil || m < 2 {
		return 0
	}
	m--
	var mod Modifier
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
