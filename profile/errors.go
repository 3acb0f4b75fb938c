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

// Location is where a key of the profile starts (1-based).
type Location struct{ Line, Column int }

// ErrorAt reports a problem found after loading (for instance against the
// kubeconfig) at the key path it concerns, located like a load error when
// the profile remembers where that key is.
func (p *Profile) ErrorAt(path, format string, args ...any) error {
	e := &Error{File: "profile", Line: 1, Column: 1, Path: path, Msg: fmt.Sprintf(format, args...)}
	if p == nil {
		return e
	}
	if p.Path != "" {
		e.File = p.Path
	}
	if loc, ok := p.Locations[path]; ok {
		e.Line, e.Column = loc.Line, loc.Column
	}
	return e
}

// ElevationPath is the key path that gives pol its elevation source: the
// matching rule's, else the defaults'.
func (p *Profile) ElevationPath(pol Policy) string {
	if p != nil && pol.Match != "" {
		if r, ok := p.Contexts[pol.Match]; ok && r.Elevation != nil {
			return joinPath(joinPath("contexts", pol.Match), "elevation")
		}
	}
	return "defaults.elevation"
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
