package screen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/k9s-guard/k9s-guard/third_party/vt"
)

// k9sCapture is what the real K9s v0.50.16 drew in 45 s on a namespace of
// 500 pods in a 200×60 terminal (-c pods, its 2 s refresh), captured by
// the real-use benchmark (testbed/realuse).
const k9sCapture = "k9s-pods-500.raw"

func readCapture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", k9sCapture))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTextIsStrippedRender: the plain text read off the cells is byte for
// byte what stripping the colours from a full render gives, at every point
// of a real K9s session (cut at odd offsets, so also mid-sequence).
func TestTextIsStrippedRender(t *testing.T) {
	raw := readCapture(t)
	e := newEmulator(200, 60)
	step := 997
	for off := 0; off < len(raw); off += step {
		_, _ = e.Write(raw[off:min(off+step, len(raw))])
		want := strings.Split(ansi.Strip(e.Render()), "\n")
		for i, l := range want {
			want[i] = strings.TrimRight(l, " ")
		}
		got := e.Text()
		if len(got) != len(want) {
			t.Fatalf("at byte %d: %d rows, want %d", off+step, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("at byte %d, row %d:\n got %q\nwant %q", off+step, i, got[i], want[i])
			}
		}
	}
	if !strings.Contains(strings.Join(e.Text(), "\n"), "pods(bench)[500]") {
		t.Fatalf("the capture does not end on the pods table:\n%s", strings.Join(e.Text(), "\n"))
	}
}

// TestTextWideCharacters: a wide character's continuation cell is not
// text, as in the stripped render.
func TestTextWideCharacters(t *testing.T) {
	e := newEmulator(10, 2)
	_, _ = e.Write([]byte("a日本b\r\n\x1b[31mx\x1b[0m y"))
	got := e.Text()
	ref := vt.NewEmulator(10, 2)
	_, _ = ref.Write([]byte("a日本b\r\n\x1b[31mx\x1b[0m y"))
	want := strings.Split(ansi.Strip(ref.Render()), "\n")
	for i := range want {
		want[i] = strings.TrimRight(want[i], " ")
	}
	if strings.Join(got, "|") != strings.Join(want, "|") || got[0] != "a日本b" {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// BenchmarkShadowFeedK9s is the emulator alone on real K9s output: MB/s
// of the captured stream fed through the shadow screen and read back as
// text once, as the screen watcher does.
func BenchmarkShadowFeedK9s(b *testing.B) {
	raw := readCapture(b)
	b.SetBytes(int64(len(raw)))
	for range b.N {
		s := New(200, 60)
		for off := 0; off < len(raw); off += 4096 {
			_, _ = s.Write(raw[off:min(off+4096, len(raw))])
		}
		_ = s.Lines()
		s.Close()
	}
}

// BenchmarkScreenText compares reading the screen as text off the cells
// with stripping a full render (what the screen watcher did before).
func BenchmarkScreenText(b *testing.B) {
	e := newEmulator(200, 60)
	_, _ = e.Write(readCapture(b))
	b.Run("cells", func(b *testing.B) {
		for range b.N {
			_ = e.Text()
		}
	})
	b.Run("strip-render", func(b *testing.B) {
		for range b.N {
			_ = strings.Split(ansi.Strip(e.Render()), "\n")
		}
	})
}
