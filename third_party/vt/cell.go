package vt

import (
	"image/color"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// setCell is [uv.RenderBuffer.SetCell] without its cost in the commonest
// case, a redraw of what is already there.
//
// uv compares the old cell with the new one to know whether to mark the
// line touched, and compares colours by calling RGBA on all six of them
// through the interface: a fifth of the emulator's time on a full-screen
// redraw. When the new cell is narrow and the same as the old one down to
// the colours' types and values, uv would find them equal (touching
// nothing) and copy the cell over an identical one, so there is nothing to
// do. Everything else goes to uv as before.
func setCell(b *uv.RenderBuffer, x, y int, c *uv.Cell) {
	if c != nil && y >= 0 && y < len(b.Lines) && x >= 0 && x < len(b.Lines[y]) {
		if p := &b.Lines[y][x]; p.Width == 1 && sameCell(p, c) {
			return
		}
	}
	b.SetCell(x, y, c)
}

// print sets the cell at x, y to content of the given width in the given
// style and link, as SetCell of that cell would.
//
// A narrow cell over a narrow cell, the commonest write by far, is done in
// place: uv's SetCell would touch the cell's one column if the cells are
// not equal (by uv's own comparison, called here) and copy the new cell
// over the old. TestPrintIsSetCell holds this to SetCell. Everything else
// builds the cell and goes through setCell.
func (s *Screen) print(x, y int, content string, width int, pen *uv.Style, link *uv.Link) {
	b := s.buf
	if width == 1 && y >= 0 && y < len(b.Lines) && x >= 0 && x < len(b.Lines[y]) {
		if p := &b.Lines[y][x]; p.Width == 1 {
			if p.Content == content && sameStyle(&p.Style, pen) && p.Link == *link {
				return
			}
			if p.Content != content || !p.Style.Equal(pen) || !p.Link.Equal(link) {
				b.TouchLine(x, y, 1)
			}
			p.Content = content
			p.Style = *pen
			p.Link = *link
			return
		}
	}
	cell := uv.Cell{Content: content, Width: width, Style: *pen, Link: *link}
	setCell(b, x, y, &cell)
}

// sameCell reports whether two cells hold the same values, colours
// compared by type and value: then any comparison of them finds them
// equal. Only comparable colour types are compared with ==; others make
// the cells not the same here (uv then compares them its own way).
func sameCell(p, c *uv.Cell) bool {
	return p.Width == c.Width &&
		p.Content == c.Content &&
		sameStyle(&p.Style, &c.Style) &&
		p.Link == c.Link
}

// sameStyle is sameCell for styles.
func sameStyle(p, c *uv.Style) bool {
	return p.Attrs == c.Attrs &&
		p.Underline == c.Underline &&
		sameColor(p.Fg, c.Fg) &&
		sameColor(p.Bg, c.Bg) &&
		sameColor(p.UnderlineColor, c.UnderlineColor)
}

// sameColor reports whether a and b are both nil, or of the same type and
// value among the types SGR gives.
func sameColor(a, b color.Color) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case ansi.BasicColor:
		b, ok := b.(ansi.BasicColor)
		return ok && a == b
	case ansi.IndexedColor:
		b, ok := b.(ansi.IndexedColor)
		return ok && a == b
	case color.RGBA:
		b, ok := b.(color.RGBA)
		return ok && a == b
	case ansi.TrueColor:
		b, ok := b.(ansi.TrueColor)
		return ok && a == b
	}
	return false
}
