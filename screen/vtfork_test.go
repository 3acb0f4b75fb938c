package screen

// The emulator is a fork of x/vt v0.1.0 (third_party/vt) with its per-byte
// costs cut. These tests prove the fork's output unchanged: they feed the
// captured K9s session and a synthetic stress stream through the emulator,
// dump everything it exposes (every cell's content, width, style with the
// colours' concrete types, link; the styled render; the cursor; the
// touched lines; the scrollback; every callback; the replies it writes back)
// at many points, and compare with golden files captured from the
// unmodified v0.1.0. Regenerate them only from an unmodified v0.1.0:
//
//	go test ./screen -run TestVTFork -update-vt-golden

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"hash"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/k9s-guard/k9s-guard/third_party/vt"
)

var updateVTGolden = flag.Bool("update-vt-golden", false, "rewrite screen/testdata/vtfork-*.golden (only from an unmodified x/vt v0.1.0)")

// vtRun is one emulator under test, with everything it reports recorded.
type vtRun struct {
	em      *vt.Emulator
	events  hash.Hash // every callback, in order (a log of them would be large)
	nevents int
	// pending is the callbacks of the write under way. v0.1.0 resets its
	// modes (on start and on RIS) by ranging over a map, so the order of
	// the callbacks within one write is not fixed: each write's are
	// sorted before they are hashed.
	pending []string

	replyMu sync.Mutex
	replies []byte
	drained chan struct{}
}

func newVTRun(cols, rows int) *vtRun {
	r := &vtRun{em: vt.NewEmulator(cols, rows), events: sha256.New(), drained: make(chan struct{})}
	ev := func(format string, a ...any) {
		r.pending = append(r.pending, fmt.Sprintf(format, a...))
	}
	r.em.SetCallbacks(vt.Callbacks{
		Bell:             func() { ev("bell") },
		Title:            func(s string) { ev("title %q", s) },
		IconName:         func(s string) { ev("icon %q", s) },
		AltScreen:        func(on bool) { ev("alt %v", on) },
		CursorPosition:   func(o, n uv.Position) { ev("pos %v %v", o, n) },
		CursorVisibility: func(v bool) { ev("visible %v", v) },
		CursorStyle:      func(s vt.CursorStyle, steady bool) { ev("cstyle %v %v", s, steady) },
		CursorColor:      func(c color.Color) { ev("ccolor %s", colorString(c)) },
		BackgroundColor:  func(c color.Color) { ev("bg %s", colorString(c)) },
		ForegroundColor:  func(c color.Color) { ev("fg %s", colorString(c)) },
		WorkingDirectory: func(s string) { ev("cwd %q", s) },
		EnableMode:       func(m ansi.Mode) { ev("enable %T %v", m, m) },
		DisableMode:      func(m ansi.Mode) { ev("disable %T %v", m, m) },
	})
	go func() {
		defer close(r.drained)
		buf := make([]byte, 4096)
		for {
			n, err := r.em.Read(buf)
			r.replyMu.Lock()
			r.replies = append(r.replies, buf[:n]...)
			r.replyMu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// write feeds p and records the callbacks it made.
func (r *vtRun) write(p []byte) {
	_, _ = r.em.Write(p)
	r.flushEvents()
}

func (r *vtRun) flushEvents() {
	slices.Sort(r.pending)
	for _, e := range r.pending {
		r.nevents++
		_, _ = io.WriteString(r.events, e+"\n")
	}
	r.pending = r.pending[:0]
}

// finish stops the reply drain and returns every reply written.
func (r *vtRun) finish() []byte {
	_ = r.em.InputPipe().(io.Closer).Close()
	<-r.drained
	_ = r.em.Close()
	return r.replies
}

func colorString(c color.Color) string {
	if c == nil {
		return "nil"
	}
	r, g, b, a := c.RGBA()
	return fmt.Sprintf("%T(%v)[%d,%d,%d,%d]", c, c, r, g, b, a)
}

func styleString(s *uv.Style) string {
	return fmt.Sprintf("fg=%s bg=%s ul=%s u=%d a=%d", colorString(s.Fg), colorString(s.Bg), colorString(s.UnderlineColor), s.Underline, s.Attrs)
}

func cellString(c *uv.Cell) string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q w=%d %s link=%q;%q", c.Content, c.Width, styleString(&c.Style), c.Link.URL, c.Link.Params)
}

// dump is everything the emulator exposes about its state, as text.
func (r *vtRun) dump() string {
	e := r.em
	var b strings.Builder
	w, h := e.Width(), e.Height()
	pos := e.CursorPosition()
	cs, blink := e.CursorStyle()
	fmt.Fprintf(&b, "size %dx%d cursor %d,%d hidden=%v style=%v blink=%v alt=%v\n", w, h, pos.X, pos.Y, e.CursorHidden(), cs, blink, e.IsAltScreen())
	fmt.Fprintf(&b, "fg=%s bg=%s cur=%s\n", colorString(e.ForegroundColor()), colorString(e.BackgroundColor()), colorString(e.CursorColor()))
	b.WriteString("render:\n")
	b.WriteString(e.Render())
	b.WriteString("\nstring:\n")
	b.WriteString(e.String())
	b.WriteString("\ncells:\n")
	for y := range h {
		for x := range w {
			fmt.Fprintf(&b, "%d,%d %s\n", x, y, cellString(e.CellAt(x, y)))
		}
	}
	b.WriteString("touched:\n")
	for y, t := range e.Touched() {
		if t != nil {
			fmt.Fprintf(&b, "%d %d-%d\n", y, t.FirstCell, t.LastCell)
		}
	}
	fmt.Fprintf(&b, "scrollback %d\n", e.ScrollbackLen())
	if sb := e.Scrollback(); sb != nil {
		for y := range sb.Len() {
			line := sb.Line(y)
			for x := range line {
				fmt.Fprintf(&b, "sb %d,%d %s\n", x, y, cellString(&line[x]))
			}
		}
	}
	fmt.Fprintf(&b, "events %d %x\n", r.nevents, r.events.Sum(nil))
	return b.String()
}

func sum(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }

// vtScenario feeds data in writes of the given sizes (cycling), resizing
// at the given byte offsets, and records a checkpoint every few writes.
type vtScenario struct {
	name    string
	cols    int
	rows    int
	data    []byte
	chunks  []int
	every   int            // checkpoint after every this many writes
	resizes map[int][2]int // at or after this offset: resize to cols, rows
}

// run returns the golden text: one hashed line per checkpoint, then the
// final state in full and the replies.
func (sc vtScenario) run() string {
	r := newVTRun(sc.cols, sc.rows)
	r.flushEvents()
	var out strings.Builder
	writes := 0
	off := 0
	done := map[int]bool{}
	for off < len(sc.data) {
		n := sc.chunks[writes%len(sc.chunks)]
		end := min(off+n, len(sc.data))
		r.write(sc.data[off:end])
		off = end
		writes++
		for at, size := range sc.resizes {
			if off >= at && !done[at] {
				done[at] = true
				r.em.Resize(size[0], size[1])
				r.flushEvents()
				fmt.Fprintf(&out, "resize at %d to %dx%d %s\n", off, size[0], size[1], sum(r.dump()))
			}
		}
		if writes%sc.every == 0 {
			fmt.Fprintf(&out, "at %d %s\n", off, sum(r.dump()))
		}
	}
	final := r.dump()
	replies := r.finish()
	fmt.Fprintf(&out, "end %d %s\nreplies %q\n", off, sum(final), replies)
	// The final state in full, minus the per-cell and per-event lines
	// (hashed above), so a difference is readable.
	render := r.em.Render()
	fmt.Fprintf(&out, "final render:\n%s\nfinal text:\n%s\n", render, ansi.Strip(render))
	pos := r.em.CursorPosition()
	fmt.Fprintf(&out, "final cursor %d,%d hidden=%v\n", pos.X, pos.Y, r.em.CursorHidden())
	return out.String()
}

// vtRand is a small fixed PRNG (xorshift64*), so the stress stream is the
// same forever, whatever math/rand does.
type vtRand uint64

func (r *vtRand) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = vtRand(x)
	return x * 2685821657736338717
}

func (r *vtRand) n(n int) int { return int(r.next() % uint64(n)) }

func (r *vtRand) pick(s []string) string { return s[r.n(len(s))] }

// stressStream is a random mix of what a terminal application writes,
// weighted to the hard cases: graphemes that combine across the ASCII
// fast path, wide characters at the last column, scroll regions, mode
// switches.
func stressStream(seed uint64, size int) []byte {
	r := vtRand(seed)
	words := []string{"pod", "web-7c9d", "Running", "1/1", "kube-system", "  ", "NAME", "|", "~", "x"}
	wide := []string{"日", "本", "語", "中", "文", "한", "글", "ｱ", "🙂", "🚀", "❤️", "👍🏽", "👨‍👩‍👧", "🇺🇸", "🏳️‍🌈"}
	combining := []string{"\u0301", "\u0308", "\u0323", "\u20e3", "\ufe0f", "\ufe0e", "\u200d", "\u0338", "\u0e31", "\u093f", "\U0001f3fb"}
	box := []string{"─", "│", "┌", "┐", "└", "┘", "├", "┤", "┬", "┴", "┼", "═", "║", "╔", "╗", "▶", "•", "…"}
	misc := []string{"é", "ñ", "ß", "Ω", "я", "ü", "\u00a0", "\u200b", "ﬁ", "ǅ", "\U0001d400", "\ufffd"}
	var b strings.Builder
	for b.Len() < size {
		switch k := r.n(100); {
		case k < 22: // ASCII text, sometimes long enough to wrap
			n := 1 + r.n(12)
			if r.n(8) == 0 {
				n = 50 + r.n(250)
			}
			for range n {
				if r.n(5) == 0 {
					b.WriteString(r.pick(words))
				} else {
					b.WriteByte(byte(0x20 + r.n(0x5f)))
				}
			}
		case k < 28: // ASCII followed by something that joins it
			b.WriteByte(byte(0x21 + r.n(0x5e)))
			for range 1 + r.n(3) {
				b.WriteString(r.pick(combining))
			}
			if r.n(2) == 0 {
				b.WriteByte(byte(0x21 + r.n(0x5e)))
			}
		case k < 33: // keycaps, ZWJ after ASCII, variation selectors
			b.WriteString(r.pick([]string{"#\ufe0f\u20e3", "1\u20e3", "a\u200db", "x\ufe0f", "e\u0301\u0301", "*\ufe0e", "9\ufe0f\u20e3x"}))
		case k < 40: // wide characters and emoji
			for range 1 + r.n(6) {
				b.WriteString(r.pick(wide))
			}
		case k < 45: // box drawing and other narrow non-ASCII
			for range 1 + r.n(20) {
				if r.n(3) == 0 {
					b.WriteString(r.pick(misc))
				} else {
					b.WriteString(r.pick(box))
				}
			}
		case k < 55: // cursor movement
			switch r.n(10) {
			case 0:
				fmt.Fprintf(&b, "\x1b[%d;%dH", r.n(70), r.n(220))
			case 1:
				fmt.Fprintf(&b, "\x1b[%dA", r.n(5))
			case 2:
				fmt.Fprintf(&b, "\x1b[%dB", r.n(5))
			case 3:
				fmt.Fprintf(&b, "\x1b[%dC", r.n(40))
			case 4:
				fmt.Fprintf(&b, "\x1b[%dD", r.n(40))
			case 5:
				fmt.Fprintf(&b, "\x1b[%dG", r.n(220))
			case 6:
				fmt.Fprintf(&b, "\x1b[%dd", r.n(70))
			case 7: // last column, then more: the pending wrap
				fmt.Fprintf(&b, "\x1b[%d;%dH", 1+r.n(60), 199+r.n(3))
			case 8:
				b.WriteString(r.pick([]string{"\x1b7", "\x1b8", "\x1b[s", "\x1b[u", "\x1b[E", "\x1b[F", "\x1b[2`", "\x1b[3a", "\x1b[2e", "\x1b[5;5f"}))
			case 9:
				fmt.Fprintf(&b, "\x1b[%d;%dH", 1+r.n(60), 1+r.n(200))
			}
		case k < 65: // SGR
			switch r.n(8) {
			case 0:
				fmt.Fprintf(&b, "\x1b[38;5;%dm", r.n(256))
			case 1:
				fmt.Fprintf(&b, "\x1b[48;5;%dm", r.n(256))
			case 2:
				fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm", r.n(256), r.n(256), r.n(256))
			case 3:
				fmt.Fprintf(&b, "\x1b[48:2::%d:%d:%dm", r.n(256), r.n(256), r.n(256))
			case 4:
				fmt.Fprintf(&b, "\x1b[%sm", r.pick([]string{"0", "1", "2", "3", "4", "5", "7", "9", "22", "23", "24", "27", "39", "49", "4:3", "58;5;9", "59", ""}))
			case 5:
				fmt.Fprintf(&b, "\x1b[%d;%dm", 30+r.n(8), 40+r.n(8))
			case 6:
				fmt.Fprintf(&b, "\x1b[%dm", 90+r.n(8))
			case 7: // the same colour twice in different forms
				c := r.n(16)
				if c < 8 {
					fmt.Fprintf(&b, "\x1b[%dmA\x1b[38;5;%dmA", 30+c, c)
				} else {
					fmt.Fprintf(&b, "\x1b[%dmA\x1b[38;5;%dmA", 90+c-8, c)
				}
			}
		case k < 70: // erase
			b.WriteString(r.pick([]string{"\x1b[K", "\x1b[0K", "\x1b[1K", "\x1b[2K", "\x1b[J", "\x1b[1J", "\x1b[2J", "\x1b[3J", "\x1b[5X", "\x1b[X"}))
		case k < 75: // insert/delete
			fmt.Fprintf(&b, "\x1b[%d%s", r.n(6), r.pick([]string{"@", "P", "L", "M", "S", "T", "b"}))
		case k < 80: // control characters
			b.WriteString(r.pick([]string{"\r\n", "\n", "\r", "\t", "\t\t", "\b", "\x1bD", "\x1bM", "\x1bE", "\x0b", "\x0c", "\x07", "\x00", "\x7f"}))
		case k < 84: // scroll regions, then lines past the bottom
			// Within 24 rows, the smallest screen here: v0.1.0 does not
			// clamp the bottom margin to the screen, and scrolling a region
			// that reaches past it panics (in uv's InsertLineArea).
			top := 1 + r.n(10)
			fmt.Fprintf(&b, "\x1b[%d;%dr", top, top+1+r.n(13))
			for range r.n(4) {
				fmt.Fprintf(&b, "\x1b[%dHline%d\n\n\x1bM", top+r.n(14), r.n(100))
			}
			if r.n(3) == 0 {
				b.WriteString("\x1b[r")
			}
		case k < 87: // modes
			b.WriteString(r.pick([]string{
				"\x1b[?1049h", "\x1b[?1049l", "\x1b[?1047h", "\x1b[?1047l", "\x1b[?47h", "\x1b[?47l", "\x1b[?1048h", "\x1b[?1048l",
				"\x1b[?7l", "\x1b[?7h", "\x1b[?6h", "\x1b[?6l", "\x1b[20h", "\x1b[20l", "\x1b[?25l", "\x1b[?25h",
				"\x1b[?1h", "\x1b[?1l", "\x1b[?1000h", "\x1b[?1006h", "\x1b[?1000l", "\x1b[?2004h", "\x1b[?2004l", "\x1b[?2026h", "\x1b[?2026l",
				"\x1b[?69h\x1b[5;60s", "\x1b[?69l", "\x1b[4h", "\x1b[4l", "\x1b[?2027h", "\x1b[?2027l", "\x1b[?1004h", "\x1b=", "\x1b>",
			}))
		case k < 90: // tabs
			b.WriteString(r.pick([]string{"\x1bH", "\x1b[g", "\x1b[3g", "\x1b[2I", "\x1b[Z", "\x1b[?5W", "\t"}))
		case k < 92: // charsets
			b.WriteString(r.pick([]string{"\x1b(0lqqk\x1b(B", "\x1b)0\x0eaxj\x0f", "\x1b(A#\x1b(B", "\x1b*0\x1bNq", "\x1b+0\x1bOx", "\x1bn", "\x1bo", "\x1b(B"}))
		case k < 94: // OSC, hyperlinks, queries
			switch r.n(7) {
			case 0:
				fmt.Fprintf(&b, "\x1b]2;title %d\x07", r.n(100))
			case 1:
				fmt.Fprintf(&b, "\x1b]8;id=%d;https://example.com/%d\x1b\\link\x1b]8;;\x1b\\", r.n(9), r.n(9))
			case 2:
				b.WriteString(r.pick([]string{"\x1b[6n", "\x1b[5n", "\x1b[c", "\x1b[>c", "\x1b[?6n", "\x1b[?25$p", "\x1b[4$p", "\x1b[?7$p"}))
			case 3:
				fmt.Fprintf(&b, "\x1b]11;rgb:%02x/%02x/%02x\x07", r.n(256), r.n(256), r.n(256))
			case 4:
				b.WriteString(r.pick([]string{"\x1b]10;?\x07", "\x1b]110\x07", "\x1b]7;file:///tmp\x07", "\x1b]1;icon\x07", "\x1b[3 q", "\x1b[0 q"}))
			case 5:
				b.WriteString(r.pick([]string{"\x1bP1$r\x1b\\", "\x1b_apc\x1b\\", "\x1b^pm\x1b\\", "\x1bXsos\x1b\\"}))
			case 6:
				fmt.Fprintf(&b, "\x1b]4;%d;rgb:10/20/30\x07\x1b[38;5;%dmP", r.n(16), r.n(16))
			}
		case k < 96: // broken input: invalid UTF-8, C1, cut sequences
			b.WriteString(r.pick([]string{"\xff", "\xc3", "\xe2\x94", "\xf0\x9f\x99", "\x80", "\x9b2J", "\x1b[", "\x1b[38;5;", "\x1b", "\xc0\xaf", "\xed\xa0\x80"}))
		case k < 98: // a wide character right at the last column, wrap off and on
			fmt.Fprintf(&b, "\x1b[%d;200H%s%s", 1+r.n(60), r.pick(wide), r.pick(wide))
		default: // full reset, rarely
			if r.n(10) == 0 {
				b.WriteString("\x1bc")
			} else {
				b.WriteString("\x1b[!p")
			}
		}
	}
	return []byte(b.String())
}

func vtScenarios(t testing.TB) []vtScenario {
	raw := readCapture(t)
	stress := stressStream(0x9e3779b97f4a7c15, 400_000)
	return []vtScenario{
		{name: "k9s-4096", cols: 200, rows: 60, data: raw, chunks: []int{4096}, every: 1},
		{name: "k9s-odd", cols: 200, rows: 60, data: raw, chunks: []int{997, 1, 3, 61, 2}, every: 25},
		{name: "stress", cols: 200, rows: 60, data: stress, chunks: []int{4096, 1, 777, 2, 16384, 3, 100}, every: 5,
			resizes: map[int][2]int{150_000: {120, 40}, 260_000: {200, 60}}},
		{name: "stress-bytewise", cols: 80, rows: 24, data: stress[:60_000], chunks: []int{1, 1, 1, 5}, every: 2000},
		{name: "stress-whole", cols: 132, rows: 43, data: stress[100_000:], chunks: []int{1 << 30}, every: 1},
	}
}

// TestVTForkUnchanged: the forked emulator's every observable output is
// byte for byte what the unmodified x/vt v0.1.0 produced.
func TestVTForkUnchanged(t *testing.T) {
	if raceEnabled {
		// One goroutine feeding one emulator: the race detector has nothing
		// to look at and makes it ten times slower. make test runs it
		// without -race.
		t.Skip("run without -race (make test does)")
	}
	for _, sc := range vtScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			got := sc.run()
			path := filepath.Join("testdata", "vtfork-"+sc.name+".golden")
			if *updateVTGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got == string(want) {
				return
			}
			g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Fatalf("%s: first difference at line %d:\n got %.300q\nwant %.300q", path, i+1, g[i], w[i])
				}
			}
			t.Fatalf("%s: %d lines, want %d", path, len(g), len(w))
		})
	}
}

// BenchmarkVTStress is the emulator alone on the synthetic stress stream.
func BenchmarkVTStress(b *testing.B) {
	benchEmulator(b, stressStream(0x9e3779b97f4a7c15, 400_000))
}

// BenchmarkVTK9s is the emulator alone on the captured K9s session, fed
// again and again to one emulator: the per-byte cost, without building a
// shadow screen per pass as BenchmarkShadowFeedK9s does.
func BenchmarkVTK9s(b *testing.B) { benchEmulator(b, readCapture(b)) }

// benchEmulator feeds data to one 200×60 emulator per iteration, in the
// pty's reads of 4 KiB.
func benchEmulator(b *testing.B, data []byte) {
	e := vt.NewEmulator(200, 60)
	go func() { _, _ = io.Copy(io.Discard, e) }()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		for off := 0; off < len(data); off += 4096 {
			_, _ = e.Write(data[off:min(off+4096, len(data))])
		}
	}
}

// BenchmarkShadowNew is building and closing a 200×60 shadow screen, which
// BenchmarkShadowFeedK9s does once per pass.
func BenchmarkShadowNew(b *testing.B) {
	for range b.N {
		s := New(200, 60)
		s.Close()
	}
}
