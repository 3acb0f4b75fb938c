package profile

import (
	"path"
	"strings"
)

// isGlob reports whether a contexts key is a pattern rather than a name.
func isGlob(key string) bool { return strings.ContainsAny(key, `*?[\`) }

// slashStandIn replaces "/" before matching. path.Match never lets a
// wildcard cross "/", but EKS context names are ARNs such as
// arn:aws:eks:eu-west-1:123:cluster/prod, and "*prod*" must match them.
const slashStandIn = "\x00"

// globMatch is path.Match with "/" treated as an ordinary character.
func globMatch(pattern, name string) (bool, error) {
	return path.Match(strings.ReplaceAll(pattern, "/", slashStandIn), strings.ReplaceAll(name, "/", slashStandIn))
}

// validGlob reports a syntax error in a pattern, which path.Match only
// notices when it gets that far into a name.
func validGlob(pattern string) error {
	_, err := globMatch(pattern, "")
	return err
}

// EscapeName quotes the glob characters in a context name so that it can be
// used as a contexts key that matches only itself.
func EscapeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// specificity measures a glob pattern for the "most specific wins" rule.
type specificity struct {
	prefix   int // literal characters before the first wildcard
	literals int // literal characters overall
	stars    int // number of *
	singles  int // number of ? and [...] terms, each of which pins one character
}

func measure(pattern string) specificity {
	var s specificity
	inPrefix := true
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			s.stars++
			inPrefix = false
		case '?':
			s.singles++
			inPrefix = false
		case '[':
			s.singles++
			inPrefix = false
			// Skip the class body; a bad pattern was rejected at load time,
			// so an unterminated class just ends the scan.
			j := i + 1
			if j < len(pattern) && pattern[j] == '^' {
				j++
			}
			if j < len(pattern) && pattern[j] == ']' {
				j++
			}
			for j < len(pattern) && pattern[j] != ']' {
				if pattern[j] == '\\' {
					j++
				}
				j++
			}
			i = j
		case '\\':
			i++
			fallthrough
		default:
			s.literals++
			if inPrefix {
				s.prefix++
			}
		}
	}
	return s
}

// moreSpecific reports whether pattern a beats pattern b: the longer
// literal prefix, then more literal characters, then fewer *, then more
// single-character terms (? and [...]), then the one that sorts first.
// Literal characters come before the wildcard count so that "*" never
// beats "*prod*" merely for having one wildcard fewer.
func moreSpecific(a, b string) bool {
	ma, mb := measure(a), measure(b)
	switch {
	case ma.prefix != mb.prefix:
		return ma.prefix > mb.prefix
	case ma.literals != mb.literals:
		return ma.literals > mb.literals
	case ma.stars != mb.stars:
		return ma.stars < mb.stars
	case ma.singles != mb.singles:
		return ma.singles > mb.singles
	default:
		return a < b
	}
}

// bestMatch finds the contexts key that governs a context name.
func bestMatch(rules map[string]Rule, name string) (string, bool) {
	if _, ok := rules[name]; ok && !isGlob(name) {
		return name, true
	}
	best, found := "", false
	for key := range rules {
		if !isGlob(key) {
			continue
		}
		if ok, err := globMatch(key, name); err != nil || !ok {
			continue
		}
		if !found || moreSpecific(key, best) {
			best, found = key, true
		}
	}
	return best, found
}
