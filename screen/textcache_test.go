package screen

import (
	"strings"
	"testing"
)

// TestLinesReusedUntilTheScreenChanges: reading an unchanged screen twice
// renders it once; new output, or a resize, makes the next read render
// again and see the change.
func TestLinesReusedUntilTheScreenChanges(t *testing.T) {
	s := New(40, 5)
	defer s.Close()
	renders := 0
	read := func() []string {
		s.Sync()
		return s.cachedLines(func() []string { renders++; return s.renderLines() })
	}
	if _, err := s.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	first := read()
	if !strings.Contains(first[0], "hello") {
		t.Fatalf("first row %q, want hello", first[0])
	}
	first[0] = "changed by the caller"
	if again := read(); renders != 1 || again[0] != "hello" {
		t.Fatalf("second read: %d renders, row %q; want 1 render and the cached, unmodified row", renders, again[0])
	}
	if _, err := s.Write([]byte(" world")); err != nil {
		t.Fatal(err)
	}
	if got := read(); renders != 2 || got[0] != "hello world" {
		t.Fatalf("after output: %d renders, row %q; want 2 and \"hello world\"", renders, got[0])
	}
	s.Resize(20, 3)
	if got := read(); renders != 3 || len(got) != 3 {
		t.Fatalf("after resize: %d renders, %d rows; want 3 renders and 3 rows", renders, len(got))
	}
}
