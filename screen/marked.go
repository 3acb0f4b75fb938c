package screen

import (
	"strings"
)

// Rows is what a key press in a K9s table acts on: the column titles and
// the fields of each row (split on blanks, so only the leading columns,
// NAMESPACE and NAME, are reliable).
type Rows struct {
	Header []string // column titles without K9s's sort arrows ("NAMESPACE", "NAME")
	Rows   [][]string
	Marked bool // Rows are the rows marked with Space, not the cursor row
}

// Column returns the field of row i under the title, "" when absent.
func (r Rows) Column(i int, title string) string {
	for c, h := range r.Header {
		if h == title && i < len(r.Rows) && c < len(r.Rows[i]) {
			return r.Rows[i][c]
		}
	}
	return ""
}

// markColors are the foreground colours K9s's default skin draws marked
// rows in (table.markColor "palegreen"): as a 256-colour terminal shows it
// (xterm 121) and as true colour. A marked row under the cursor gets that
// colour as background instead.
var markColors = map[[3]uint32]bool{{135, 255, 175}: true, {152, 251, 152}: true}

// TableRows returns every row of the table on screen (marked or not). A
// table longer than the screen shows only some of its rows: compare the
// count with State's Count.
func (s *Shadow) TableRows() Rows {
	lines := s.Lines()
	title := -1
	for i, l := range lines {
		if titleRe.MatchString(l) {
			title = i
			break
		}
	}
	if title < 0 || title+1 >= len(lines) {
		return Rows{}
	}
	var out Rows
	for _, h := range strings.Fields(strings.Trim(lines[title+1], "│ ")) {
		out.Header = append(out.Header, strings.TrimRight(h, "↑↓"))
	}
	for y := title + 2; y < len(lines) && !strings.HasPrefix(lines[y], "└"); y++ {
		if f := strings.Fields(strings.Trim(lines[y], "│ ")); len(f) > 0 {
			out.Rows = append(out.Rows, f)
		}
	}
	return out
}

// ActionRows returns the rows a K9s table action applies to: every row
// marked with Space when there are any (K9s then acts on all of them),
// else the row under the cursor. It returns no rows when the screen shows
// no table or no highlighted row.
func (s *Shadow) ActionRows() Rows {
	lines := s.Lines()
	title := -1
	for i, l := range lines {
		if titleRe.MatchString(l) {
			title = i
			break
		}
	}
	if title < 0 || title+1 >= len(lines) {
		return Rows{}
	}
	rgb := func(x, y int, bg bool) ([3]uint32, bool) {
		c := s.em.CellAt(x, y)
		if c == nil {
			return [3]uint32{}, false
		}
		col := c.Style.Fg
		if bg {
			col = c.Style.Bg
		}
		if col == nil {
			return [3]uint32{}, false
		}
		r, g, b, _ := col.RGBA()
		return [3]uint32{r >> 8, g >> 8, b >> 8}, true
	}
	var out Rows
	for _, h := range strings.Fields(strings.Trim(lines[title+1], "│ ")) {
		out.Header = append(out.Header, strings.TrimRight(h, "↑↓"))
	}
	header, _ := rgb(2, title+1, true)
	var cursor []string
	for y := title + 2; y < len(lines) && !strings.HasPrefix(lines[y], "└"); y++ {
		f := strings.Fields(strings.Trim(lines[y], "│ "))
		if len(f) == 0 {
			continue
		}
		fg, _ := rgb(2, y, false)
		bg, _ := rgb(2, y, true)
		if markColors[fg] || markColors[bg] {
			out.Rows = append(out.Rows, f)
			out.Marked = true
			continue
		}
		if bg != header && cursor == nil {
			cursor = f
		}
	}
	if !out.Marked && cursor != nil {
		out.Rows = [][]string{cursor}
	}
	return out
}
