package screen

import (
	"fmt"
	"strings"
	"testing"
)

// k9sTable draws a pods table the way K9s v0.50.16 does (colours as
// captured from the real K9s through the e2e driver): rows in the status
// colour, the cursor row with that colour as background, marked rows in
// palegreen (xterm 121), and the cursor on a marked row with palegreen
// background.
func k9sTable(rows []string, cursor int, marked map[int]bool) string {
	var b strings.Builder
	b.WriteString("\x1b[2J\x1b[H")
	b.WriteString("\x1b[1;1H\x1b[38;5;117;40m┌──────── pods(all)[3] ────────┐\x1b[0m")
	b.WriteString("\x1b[2;1H\x1b[97;40m│ NAMESPACE  NAME↑        READY │\x1b[0m")
	for i, r := range rows {
		style := "\x1b[38;5;208;40m"
		switch {
		case marked[i] && i == cursor:
			style = "\x1b[30;48;5;121m"
		case marked[i]:
			style = "\x1b[38;5;121;40m"
		case i == cursor:
			style = "\x1b[30;48;5;208m"
		}
		fmt.Fprintf(&b, "\x1b[%d;1H│%s %s\x1b[0m │", i+3, style, r)
	}
	fmt.Fprintf(&b, "\x1b[%d;1H└──────────────────────────────┘", len(rows)+3)
	return b.String()
}

func TestActionRows(t *testing.T) {
	rows := []string{"shop       cart-1       0/1  ", "shop       web-1        0/1  ", "payments   web-2        0/1  "}
	for _, tc := range []struct {
		name   string
		cursor int
		marked map[int]bool
		want   []string // NAMESPACE/NAME
		isMark bool
	}{
		{"cursor row", 1, nil, []string{"shop/web-1"}, false},
		{"marked rows, cursor elsewhere", 0, map[int]bool{1: true, 2: true}, []string{"shop/web-1", "payments/web-2"}, true},
		{"cursor on a marked row", 1, map[int]bool{1: true}, []string{"shop/web-1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(40, 10)
			defer s.Close()
			if _, err := s.Write([]byte(k9sTable(rows, tc.cursor, tc.marked))); err != nil {
				t.Fatal(err)
			}
			got := s.ActionRows()
			var names []string
			for i := range got.Rows {
				names = append(names, got.Column(i, "NAMESPACE")+"/"+got.Column(i, "NAME"))
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") || got.Marked != tc.isMark {
				t.Errorf("got %v marked=%v, want %v marked=%v", names, got.Marked, tc.want, tc.isMark)
			}
		})
	}
}
