package keys

import (
	"bytes"
	"strings"
	"testing"
)

// keyNames renders keys compactly for comparison: String() plus the raw
// bytes when they are not the obvious single byte.
func keyNames(keys []Key) string {
	var out []string
	for _, k := range keys {
		out = append(out, k.String()+"="+strings.ReplaceAll(string(k.Raw), "\x1b", "^["))
	}
	return strings.Join(out, " ")
}

func TestKeyDecoderFeed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // keys, then "|" and the pending bytes if any
	}{
		{"letters", "eF ", "e=e F=F space= "},
		{"ctrl-d", "\x04", "ctrl+d=\x04"},
		{"ctrl-k ctrl-l", "\x0b\x0c", "ctrl+k=\x0b ctrl+l=\x0c"},
		{"ctrl-]", "\x1d", "ctrl+]=\x1d"},
		{"ctrl-space", "\x00", "ctrl+space=\x00"},
		{"enter tab backspace", "\r\t\x7f\x08", "enter=\r tab=\t backspace=\x7f backspace=\x08"},
		{"line feed is ctrl-j", "\n", "ctrl+j=\n"},
		{"utf8", "é🐶", "é=é 🐶=🐶"},
		{"invalid utf8", "\xff", "unknown=\xff"},
		{"arrows", "\x1b[A\x1b[B\x1b[C\x1b[D", "up=^[[A down=^[[B right=^[[C left=^[[D"},
		{"ss3 arrows", "\x1bOA\x1bOD", "up=^[OA left=^[OD"},
		{"ss3 function keys", "\x1bOP\x1bOS", "f1=^[OP f4=^[OS"},
		{"ss3 keypad enter", "\x1bOM", "enter=^[OM"},
		{"modified arrow", "\x1b[1;5C", "ctrl+right=^[[1;5C"},
		{"shift alt arrow", "\x1b[1;4A", "alt+shift+up=^[[1;4A"},
		{"function keys", "\x1b[15~\x1b[24~\x1b[11~", "f5=^[[15~ f12=^[[24~ f1=^[[11~"},
		{"modified function key", "\x1b[15;2~", "shift+f5=^[[15;2~"},
		{"F3 with modifier", "\x1b[1;5R", "ctrl+f3=^[[1;5R"},
		{"cursor position report", "\x1b[12;40R", "unknown=^[[12;40R"},
		{"home end pgup pgdn ins del", "\x1b[H\x1b[F\x1b[5~\x1b[6~\x1b[2~\x1b[3~", "home=^[[H end=^[[F pgup=^[[5~ pgdown=^[[6~ insert=^[[2~ delete=^[[3~"},
		{"backtab", "\x1b[Z", "shift+tab=^[[Z"},
		{"alt letter", "\x1be", "alt+e=^[e"},
		{"alt shift letter", "\x1bF", "alt+F=^[F"},
		{"alt ctrl-d", "\x1b\x04", "ctrl+alt+d=^[\x04"},
		{"alt utf8", "\x1bé", "alt+é=^[é"},
		{"esc esc", "\x1b\x1b[A", "esc=^[ up=^[[A"},
		{"csi u ctrl-d", "\x1b[100;5u", "ctrl+d=^[[100;5u"},
		{"csi u shift-f", "\x1b[102;2u", "F=^[[102;2u"},
		{"csi u enter", "\x1b[13u", "enter=^[[13u"},
		{"modifyOtherKeys ctrl-d", "\x1b[27;5;100~", "ctrl+d=^[[27;5;100~"},
		{"sgr mouse", "\x1b[<0;10;5M\x1b[<0;10;5m", "mouse=^[[<0;10;5M mouse=^[[<0;10;5m"},
		{"x10 mouse", "\x1b[M !!e", "mouse=^[[M !! e=e"},
		{"focus report", "\x1b[I", "unknown=^[[I"},
		{"device attributes reply", "\x1b[?62;22c", "unknown=^[[?62;22c"},
		{"csi then control", "\x1b[\x04", "alt+[=^[[ ctrl+d=\x04"},
		{"malformed csi", "\x1b[12\x04", "unknown=^[[12 ctrl+d=\x04"},
		{"paste", "\x1b[200~hello\x1b[201~x", "paste(5 bytes)=^[[200~hello^[[201~ x=x"},
		{"empty paste", "\x1b[200~\x1b[201~", "paste(0 bytes)=^[[200~^[[201~"},
		{"stray paste end", "\x1b[201~", "unknown=^[[201~"},

		{"lone esc pending", "\x1b", "|^["},
		{"esc bracket pending", "a\x1b[", "a=a|^[["},
		{"partial csi pending", "\x1b[1;5", "|^[[1;5"},
		{"esc O pending", "\x1bO", "|^[O"},
		{"partial utf8 pending", "\xf0\x9f", "|\xf0\x9f"},
		{"partial paste pending", "\x1b[200~abc\x1b[20", "|^[[200~abc^[[20"},
		{"partial x10 mouse pending", "\x1b[M !", "|^[[M !"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got := keyNames(d.Feed([]byte(tt.in)))
			if p := d.Pending(); len(p) > 0 {
				got += "|" + strings.ReplaceAll(string(p), "\x1b", "^[")
			}
			if got != tt.want {
				t.Errorf("Feed(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyDecoderFlush(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"\x1b", "esc=^["},
		{"\x1b[", "alt+[=^[["},
		{"\x1bO", "alt+O=^[O"},
		{"\x1b[1;5", "unknown=^[[1;5"},
		{"\xf0\x9f", "unknown=\xf0 unknown=\x9f"},
		{"\x1b[200~abc", "paste(3 bytes)=^[[200~abc"},
	}
	for _, tt := range tests {
		var d Decoder
		if keys := d.Feed([]byte(tt.in)); len(keys) != 0 {
			t.Fatalf("Feed(%q) = %s, want everything pending", tt.in, keyNames(keys))
		}
		if got := keyNames(d.Flush()); got != tt.want {
			t.Errorf("Flush after %q\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if len(d.Pending()) != 0 {
			t.Errorf("Flush after %q left %q pending", tt.in, d.Pending())
		}
	}
}

// TestKeyDecoderSplitReads feeds every input one byte at a time: keys must
// come out identical to feeding it whole, because a terminal may split a
// sequence across reads anywhere.
func TestKeyDecoderSplitReads(t *testing.T) {
	inputs := []string{
		"\x1b[1;5C", "\x1b[15~", "\x1b[100;5u", "\x1bOP", "🐶", "\x1be",
		"\x1b[200~paste \x1b[A text\x1b[201~", "\x1b[<0;10;5M", ":deploy\r",
	}
	for _, in := range inputs {
		var whole, split Decoder
		want := keyNames(whole.Feed([]byte(in)))
		var keys []Key
		for i := range len(in) {
			keys = append(keys, split.Feed([]byte{in[i]})...)
		}
		if got := keyNames(keys); got != want {
			t.Errorf("byte-by-byte %q\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestKeyDecoderLongPasteIsChunked(t *testing.T) {
	var d Decoder
	body := strings.Repeat("x", maxPasteChunk+10)
	keys := d.Feed([]byte("\x1b[200~" + body))
	if len(keys) != 1 || keys[0].Code != Paste {
		t.Fatalf("got %s, want one paste chunk once the limit is passed", keyNames(keys))
	}
	keys = append(keys, d.Feed([]byte("yy\x1b[201~z"))...)
	var text strings.Builder
	for _, k := range keys[:len(keys)-1] {
		if k.Code != Paste {
			t.Fatalf("got %v inside the paste", k)
		}
		text.WriteString(k.Text)
	}
	if text.String() != body+"yy" {
		t.Errorf("paste text has %d bytes, want %d", text.Len(), len(body)+2)
	}
	if last := keys[len(keys)-1]; !last.IsRune('z') {
		t.Errorf("after the paste got %v, want z", last)
	}
}

// TestKeyDecoderBoundsPending guards against a stream that never finishes
// a sequence (a hostile or broken terminal) growing memory without bound.
func TestKeyDecoderBoundsPending(t *testing.T) {
	var d Decoder
	d.Feed([]byte("\x1b[" + strings.Repeat("1;", 1000)))
	if n := len(d.Pending()); n >= maxSeqLen {
		t.Errorf("pending holds %d bytes of an endless CSI", n)
	}
}

func TestKeyRawIsACopy(t *testing.T) {
	var d Decoder
	in := []byte("ab")
	keys := d.Feed(in)
	in[0] = 'z'
	if string(keys[0].Raw) != "a" {
		t.Errorf("Raw aliases the caller's buffer: %q", keys[0].Raw)
	}
}

func FuzzKeyDecoder(f *testing.F) {
	for _, s := range []string{
		"", "e", "\x04", "\x1b", "\x1b[", "\x1b[1;5C", "\x1b[200~ab\x1b[201~", "\x1bO",
		"\x1b[M", "é", "\xf0\x9f\x90", "\x1b[27;5;100~", "\x1b[<0;1;1M", "\x1b\x1b",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		// Feed in two reads split at cut, then check the invariant before
		// and after Flush: Raw of all keys + pending == input.
		var d Decoder
		c := int(cut)
		if c > len(in) {
			c = len(in)
		}
		var got []byte
		for _, part := range [][]byte{in[:c], in[c:]} {
			for _, k := range d.Feed(part) {
				if len(k.Raw) == 0 {
					t.Fatalf("key %v with no bytes", k)
				}
				got = append(got, k.Raw...)
			}
		}
		if !bytes.Equal(append(bytes.Clone(got), d.Pending()...), in) {
			t.Fatalf("keys+pending = %q, want %q", append(got, d.Pending()...), in)
		}
		for _, k := range d.Flush() {
			got = append(got, k.Raw...)
		}
		if !bytes.Equal(got, in) || len(d.Pending()) != 0 {
			t.Fatalf("after Flush keys = %q pending %q, want %q", got, d.Pending(), in)
		}
	})
}

// A terminal's reply to a program's query (vim asks for the background
// colour: OSC 11 "rgb:…") is one unknown key, not Alt-] and letters: its
// "r" was read as restart while kubectl edit's vi started.
func TestTerminalReplyIsNotKeys(t *testing.T) {
	for _, in := range []string{"\x1b]11;rgb:0000/0000/0000\x1b\\", "\x1b]11;rgb:ffff/ffff/ffff\x07", "\x1bP>|vt 1.0\x1b\\"} {
		var d Decoder
		ks := append(d.Feed([]byte(in)), d.Flush()...)
		if len(ks) != 1 || ks[0].Code != Unknown {
			t.Errorf("%q decoded as %v", in, ks)
		}
	}
	// Split across reads, it waits for its end.
	var d Decoder
	if ks := d.Feed([]byte("\x1b]11;rg")); len(ks) != 0 {
		t.Errorf("half a reply decoded as %v", ks)
	}
	if ks := d.Feed([]byte("b:0/0/0\x07r")); len(ks) != 2 || ks[0].Code != Unknown || !ks[1].IsRune('r') {
		t.Errorf("the rest decoded as %v", ks)
	}
}
