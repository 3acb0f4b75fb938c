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

// sameCell reports whether two cells hold the same values, colours
// compared by type and value: then any comparison of them finds them
// equal. Only comparable colour types are compared with ==; others make
// the cells not the same here (uv then compares them its own way).
func sameCell(p, c *uv.Cell) bool {
	return p.Width == c.Width &&
		p.Content == c.Content &&
		p.Style.Attrs == c.Style.Attrs &&
		p.Style.Underline == c.Style.Underline &&
		sameColor(p.Style.Fg, c.Style.Fg) &&
		sameColor(p.Style.Bg, c.Style.Bg) &&
		sameColor(p.Style.UnderlineColor, c.Style.UnderlineColor) &&
		p.Link == c.Link
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
