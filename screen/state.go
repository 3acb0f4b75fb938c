package screen

import (
	"regexp"
	"strings"
)

// Mode is what the keyboard is doing in K9s right now.
type Mode int

const (
	ModeUnknown Mode = iota // no K9s screen recognised (starting, splash)
	ModeNormal              // keys are commands for the current view
	ModePrompt              // typing a ":" command
	ModeFilter              // typing a "/" filter
	ModeDialog              // a confirm dialog or form is open
)

func (m Mode) String() string {
	return [...]string{"unknown", "normal", "prompt", "filter", "dialog"}[m]
}

// State is K9s's state as read off its screen.
type State struct {
	Known     bool   // a K9s screen was recognised
	Context   string // from the header's "Context:" line
	Cluster   string
	User      string
	Resource  string // current view, lower case as in its title ("pods", "deployments", "contexts")
	Namespace string // from the title, "all" for all namespaces, "" if not namespaced
	Count     int    // rows in the view, -1 if unknown
	Crumbs    []string
	Mode      Mode
	Suspended bool // K9s left the alternate screen: a shell or editor owns the terminal
}

var (
	headerRe = regexp.MustCompile(`^\s*(Context|Cluster|User):\s+(\S(?:.*?\S)?)(?:\s{2,}|$)`)
	// The table title is drawn in the top border of the view, e.g.
	// "┌──── Pods(shop)[4] ────┐" or " Contexts[4] " or " Deployments(all)[3] </web> ".
	titleRe = regexp.MustCompile(`[┌─]\s([A-Za-z][\w.\-]*(?:\s[A-Za-z][\w.\-]*)?)(?:\(([^)]*)\))?\[(\d+)\]\s`)
	crumbRe = regexp.MustCompile(`<([a-z][\w.\-/ ]*)>`)
	// A confirm dialog draws its buttons on one line.
	dialogRe = regexp.MustCompile(`(?:Cancel\s+OK|OK\s+Cancel)`)
)

// Parse reads K9s's state from the screen's text lines.
func Parse(lines []string) State {
	st := State{Count: -1}
	for i := 0; i < len(lines) && i < 10; i++ {
		m := headerRe.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(m[2], "[RW]"), "[R]"))
		switch m[1] {
		case "Context":
			st.Context, st.Known = v, true
		case "Cluster":
			st.Cluster = v
		case "User":
			st.User = v
		}
	}
	for _, l := range lines {
		if m := titleRe.FindStringSubmatch(l); m != nil {
			st.Resource = strings.ToLower(m[1])
			st.Namespace = m[2]
			st.Count = atoi(m[3])
			st.Known = true
			break
		}
	}
	// Breadcrumbs sit on the last non-empty line.
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		for _, m := range crumbRe.FindAllStringSubmatch(lines[i], -1) {
			st.Crumbs = append(st.Crumbs, m[1])
		}
		break
	}
	if st.Resource == "" && len(st.Crumbs) > 0 {
		st.Resource = st.Crumbs[len(st.Crumbs)-1]
	}
	st.Mode = ModeNormal
	if !st.Known {
		st.Mode = ModeUnknown
	}
	for _, l := range lines {
		if dialogRe.MatchString(l) {
			st.Mode = ModeDialog
		}
	}
	return st
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
