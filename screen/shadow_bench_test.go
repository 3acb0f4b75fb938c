package screen

import (
	"bytes"
	"fmt"
	"testing"
)

// k9sFrame is one K9s-like full-screen redraw: cursor moves and coloured
// table cells.
func k9sFrame(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\x1b[H")
	for row := range 40 {
		fmt.Fprintf(&b, "\x1b[%d;1H\x1b[38;5;%dm%-30s\x1b[38;5;250m%-12s\x1b[1;32m%-10s\x1b[0m%8d", row+1, 30+row%200, fmt.Sprintf("web-7c9d%05d-%d", n, row), "Running", "1/1", n*row)
	}
	return b.Bytes()
}

// BenchmarkShadowFeed measures how fast the shadow screen digests K9s-like
// output (MB/s): the emulator's cost, which the pass-through never waits on.
func BenchmarkShadowFeed(b *testing.B) {
	frames := make([][]byte, 64)
	total := 0
	for i := range frames {
		frames[i] = k9sFrame(i)
		total += len(frames[i])
	}
	s := New(120, 40)
	defer s.Close()
	b.SetBytes(int64(total))
	b.ResetTimer()
	for range b.N {
		for _, f := range frames {
			_, _ = s.Write(f)
		}
		s.Sync()
	}
}
