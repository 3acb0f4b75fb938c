package vt

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// TestFlushASCIIIsSegmenterResult: flushGrapheme's shortcut for a lone
// printable ASCII character gives what the segmenter gives.
func TestFlushASCIIIsSegmenterResult(t *testing.T) {
	for c := byte(ansi.SP); c < ansi.DEL; c++ {
		cluster, width := ansi.FirstGraphemeCluster([]byte{c}, ansi.GraphemeWidth)
		if string(cluster) != asciiStrings[c] || width != 1 {
			t.Errorf("%q: segmenter gives %q width %d", c, cluster, width)
		}
	}
}

// TestSameCellImpliesUVEqual: cells the shortcut takes as the same are
// equal to uv, on every pair of a set of cells that differ in each field,
// colours of every kind SGR produces included (some the same RGBA in
// different types).
func TestSameCellImpliesUVEqual(t *testing.T) {
	colors := []color.Color{
		nil,
		ansi.BasicColor(0), ansi.BasicColor(1), ansi.BasicColor(9),
		ansi.IndexedColor(0), ansi.IndexedColor(1), ansi.IndexedColor(9), ansi.IndexedColor(16), ansi.IndexedColor(196),
		color.RGBA{0, 0, 0, 255}, color.RGBA{128, 0, 0, 255}, color.RGBA{255, 0, 0, 255},
		ansi.TrueColor(0xff0000), ansi.TrueColor(0),
		color.Transparent, color.Black, color.White,
		color.NRGBA{255, 0, 0, 255},
	}
	var cells []uv.Cell
	for _, fg := range colors {
		for _, bg := range []color.Color{nil, ansi.IndexedColor(1), color.RGBA{128, 0, 0, 255}} {
			cells = append(cells, uv.Cell{Content: "a", Width: 1, Style: uv.Style{Fg: fg, Bg: bg}})
		}
		cells = append(cells, uv.Cell{Content: "a", Width: 1, Style: uv.Style{UnderlineColor: fg}})
	}
	cells = append(cells,
		uv.Cell{}, uv.EmptyCell, uv.Cell{Content: " ", Width: 1, Style: uv.Style{Attrs: uv.AttrBold}},
		uv.Cell{Content: " ", Width: 1, Style: uv.Style{Underline: uv.UnderlineCurly}},
		uv.Cell{Content: "日", Width: 2}, uv.Cell{Content: "日", Width: 1}, uv.Cell{Content: "b", Width: 1},
		uv.Cell{Content: "a", Width: 1, Link: uv.Link{URL: "u"}}, uv.Cell{Content: "a", Width: 1, Link: uv.Link{Params: "p"}},
	)
	same := 0
	for i := range cells {
		for j := range cells {
			a, b := &cells[i], &cells[j]
			if sameCell(a, b) {
				same++
				if !a.Equal(b) {
					t.Errorf("%#v vs %#v: the same here, not equal to uv", *a, *b)
				}
			}
		}
	}
	// Every cell of SGR's colour types (all but the last five colours)
	// is the same as itself: the shortcut is taken.
	if want := (len(colors)-5)*4 + 9; same < want {
		t.Errorf("only %d pairs the same, want at least %d", same, want)
	}
}

// TestSetCellIsRenderBufferSetCell: setCell writes and touches what
// uv.RenderBuffer.SetCell does, for cells narrow and wide, over cells
// narrow and wide, in bounds and out.
func TestSetCellIsRenderBufferSetCell(t *testing.T) {
	cells := []*uv.Cell{
		nil, {}, &uv.EmptyCell,
		{Content: "a", Width: 1}, {Content: "a", Width: 1, Style: uv.Style{Fg: ansi.IndexedColor(3)}},
		{Content: "日", Width: 2}, {Content: "👨‍👩‍👧", Width: 2}, {Content: "x", Width: 3},
	}
	const w, h = 6, 2
	for _, first := range cells {
		for fx := -1; fx <= w; fx++ {
			for _, c := range cells {
				for x := -1; x <= w; x++ {
					for y := -1; y <= h; y++ {
						want, got := uv.NewRenderBuffer(w, h), uv.NewRenderBuffer(w, h)
						want.SetCell(fx, 0, first)
						got.SetCell(fx, 0, first)
						want.Touched = make([]*uv.LineData, h)
						got.Touched = make([]*uv.LineData, h)
						want.SetCell(x, y, c)
						setCell(got, x, y, c)
						if want.Render() != got.Render() {
							t.Fatalf("%v at %d then %v at %d,%d: %q, want %q", first, fx, c, x, y, got.Render(), want.Render())
						}
						for i := range h {
							for j := range w {
								if *got.CellAt(j, i) != *want.CellAt(j, i) {
									t.Fatalf("%v at %d then %v at %d,%d: cell %d,%d is %#v, want %#v", first, fx, c, x, y, j, i, *got.CellAt(j, i), *want.CellAt(j, i))
								}
							}
							g, wt := got.Touched[i], want.Touched[i]
							if (g == nil) != (wt == nil) || g != nil && *g != *wt {
								t.Fatalf("%v at %d then %v at %d,%d: line %d touched %v, want %v", first, fx, c, x, y, i, g, wt)
							}
						}
					}
				}
			}
		}
	}
}

// TestScrollbackDropsOldestInOrder: once full, each push drops the oldest
// line, and the lines are still the newest maxLines in order, across the
// window reaching the end of its array many times over.
func TestScrollbackDropsOldestInOrder(t *testing.T) {
	const maxLines = 7
	sb := NewScrollback(maxLines)
	var want []string
	for i := range 500 {
		s := fmt.Sprintf("%d", i)
		line := uv.NewLine(4)
		for j, r := range s {
			line[j] = uv.Cell{Content: string(r), Width: 1}
		}
		sb.Push(line)
		want = append(want, s)
		if len(want) > maxLines {
			want = want[1:]
		}
		if sb.Len() != len(want) {
			t.Fatalf("after %d pushes: %d lines, want %d", i+1, sb.Len(), len(want))
		}
		for k, w := range want {
			if got := sb.Line(k).String(); got != w {
				t.Fatalf("after %d pushes: line %d is %q, want %q", i+1, k, got, w)
			}
		}
	}
}

// TestAltScreenKeepsNoScrollback: clearing and scrolling the alternate
// screen leaves the scrollback (the main screen's) as it was.
func TestAltScreenKeepsNoScrollback(t *testing.T) {
	e := NewEmulator(10, 3)
	_, _ = e.WriteString("a\r\nb\r\nc\r\nd\r\n")
	n := e.ScrollbackLen()
	_, _ = e.WriteString("\x1b[?1049hx\r\ny\r\nz\r\nw\r\n\x1b[2J\x1b[3S")
	if e.ScrollbackLen() != n || n == 0 {
		t.Fatalf("scrollback %d lines, want %d", e.ScrollbackLen(), n)
	}
	_, _ = e.WriteString("\x1b[?1049l\x1b[2J")
	if e.ScrollbackLen() <= n {
		t.Fatalf("scrollback %d lines after clearing the main screen, want more than %d", e.ScrollbackLen(), n)
	}
}

// TestPrintIsSetCell: Screen.print writes and touches what uv's SetCell of
// the same cell does, over narrow, wide and placeholder cells, with pens
// the same as the old cell's, equal to it in another colour type, and
// different.
func TestPrintIsSetCell(t *testing.T) {
	pens := []uv.Style{
		{}, {Fg: ansi.IndexedColor(1)}, {Fg: ansi.BasicColor(1)}, {Fg: ansi.IndexedColor(2)},
		{Bg: color.RGBA{0, 0, 0, 255}}, {Bg: ansi.IndexedColor(0)}, {Attrs: uv.AttrBold},
	}
	links := []uv.Link{{}, {URL: "u"}}
	var olds []uv.Cell
	for _, pen := range pens {
		olds = append(olds, uv.Cell{Content: "a", Width: 1, Style: pen}, uv.Cell{Content: "b", Width: 1, Style: pen, Link: links[1]})
	}
	olds = append(olds, uv.EmptyCell, uv.Cell{Content: "日", Width: 2})
	const w, h = 4, 2
	// The touched lines before the write: none, a list too short, and
	// ranges around, over and beside the columns written.
	pretouched := []func() []*uv.LineData{
		func() []*uv.LineData { return make([]*uv.LineData, h) },
		func() []*uv.LineData { return nil },
		func() []*uv.LineData { return []*uv.LineData{{FirstCell: 0, LastCell: w}} },
	}
	for _, r := range [][2]int{{0, w}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 4}, {0, 0}} {
		pretouched = append(pretouched, func() []*uv.LineData {
			return []*uv.LineData{{FirstCell: r[0], LastCell: r[1]}, nil}
		})
	}
	for _, old := range olds {
		for ox := range w {
			for _, content := range []string{"a", "b", " ", "日"} {
				width := 1
				if content == "日" {
					width = 2
				}
				for _, pen := range pens {
					for _, link := range links {
						for x := -1; x <= w; x++ {
							for _, pre := range pretouched {
								want := uv.NewRenderBuffer(w, h)
								want.SetCell(ox, 0, &old)
								want.Touched = pre()
								got := &Screen{buf: uv.NewRenderBuffer(w, h)}
								got.buf.SetCell(ox, 0, &old)
								got.buf.Touched = pre()
								pen, link := pen, link
								want.SetCell(x, 0, &uv.Cell{Content: content, Width: width, Style: pen, Link: link})
								got.print(x, 0, content, width, &pen, &link)
								for j := range w {
									if *got.buf.CellAt(j, 0) != *want.CellAt(j, 0) {
										t.Fatalf("%v at %d then %q %v %v at %d: cell %d is %#v, want %#v", old, ox, content, pen, link, x, j, *got.buf.CellAt(j, 0), *want.CellAt(j, 0))
									}
								}
								if len(got.buf.Touched) != len(want.Touched) {
									t.Fatalf("%v at %d then %q %v %v at %d: %d touched entries, want %d", old, ox, content, pen, link, x, len(got.buf.Touched), len(want.Touched))
								}
								for i := range want.Touched {
									g, wt := got.buf.Touched[i], want.Touched[i]
									if (g == nil) != (wt == nil) || g != nil && *g != *wt {
										t.Fatalf("%v at %d then %q %v %v at %d: line %d touched %v, want %v", old, ox, content, pen, link, x, i, g, wt)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestStringDataLimit: a string's data is kept up to 4MB, as when the
// buffer was allocated up front, however the string starts (ESC ] or the
// C1 OSC), and also when it is the first thing the emulator sees.
func TestStringDataLimit(t *testing.T) {
	for _, tc := range []struct {
		name, start string
		n, want     int
	}{
		{"short", "\x1b]2;", 10, 10},
		{"over 64KB", "\x1b]2;", 100_000, 100_000},
		{"over 64KB after text", "x\x1b[31my\x1b]2;", 100_000, 100_000},
		{"C1 over 64KB", "\xc2\x9d2;", 70_000, 70_000}, // UTF-8 of U+009D is not C1: a plain character
		{"over 4MB", "\x1b]2;", dataSize + 10, dataSize - 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEmulator(10, 2)
			var title string
			got := false
			e.SetCallbacks(Callbacks{Title: func(s string) { title, got = s, true }})
			_, _ = e.WriteString(tc.start + strings.Repeat("t", tc.n) + "\x07")
			if tc.start[0] == 0xc2 {
				if got {
					t.Fatalf("title set from %q", tc.start)
				}
				return
			}
			if len(title) != tc.want {
				t.Fatalf("title of %d bytes, want %d", len(title), tc.want)
			}
		})
	}
	// The raw C1 OSC, one byte, as the parser takes it.
	e := NewEmulator(10, 2)
	var title string
	e.SetCallbacks(Callbacks{Title: func(s string) { title = s }})
	_, _ = e.Write(append(append([]byte{0x9d}, "2;"+strings.Repeat("t", 70_000)...), 0x07))
	if len(title) != 70_000 {
		t.Fatalf("C1 OSC: title of %d bytes, want 70000", len(title))
	}
}
