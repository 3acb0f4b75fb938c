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

// TestStateFollowsTheScreen: the parsed state is reused only while the
// screen is unchanged; a redraw gives the new state at once.
func TestStateFollowsTheScreen(t *testing.T) {
	s := New(120, 40)
	defer s.Close()
	draw := func(ctx, title string) {
		_, _ = s.Write([]byte("\x1b[H\x1b[2J Context: " + ctx + "\r\n\r\n\x1b[10;1H┌──── " + title + " ────┐"))
	}
	draw("dev", "pods(shop)[4]")
	if st := s.State(); st.Context != "dev" || st.Resource != "pods" || st.Count != 4 {
		t.Fatalf("first state %+v", st)
	}
	if st := s.State(); st.Context != "dev" || st.Namespace != "shop" {
		t.Fatalf("cached state %+v", st)
	}
	draw("prod", "deployments(payments)[2]")
	if st := s.State(); st.Context != "prod" || st.Resource != "deployments" || st.Namespace != "payments" || st.Count != 2 {
		t.Fatalf("state after a redraw %+v", st)
	}
}
