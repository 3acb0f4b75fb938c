package profile

import (
	"fmt"
	"strings"
)

// Error is one problem in a profile, located precisely enough for an
// editor to jump to it: file:line:col: key.path: what was expected.
type Error struct {
	File   string
	Line   int // 1-based
	Column int // 1-based
	Path   string
	Msg    string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Path, e.Msg)
}

// didYouMean returns ` (did you mean "x"?)` when word is close to one of the
// candidates, else "".
func didYouMean(word string, candidates []string) string {
	if s := closest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// closest finds the candidate a typo most likely meant: the same word in
// another case or separator style (oneshot, one_shot), or one within a small
// edit distance.
func closest(word string, candidates []string) string {
	fold := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	w := fold(word)
	for _, c := range candidates {
		if fold(c) == w {
			return c
		}
	}
	best, bestDist := "", 0
	for _, c := range candidates {
		d := levenshtein(w, fold(c))
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
