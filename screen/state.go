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
	// ReadOnlyKnown is set when the header shows K9s's lock: "[R]" when
	// K9s runs read-only (--readonly, readOnly in its config, not undone
	// by --write) and hides its write keys, "[RW]" when it does not.
	ReadOnlyKnown, ReadOnly bool
}

var (
	headerRe = regexp.MustCompile(`^\s*(Context|Cluster|User):\s+(\S(?:.*?\S)?)(?:\s{2,}|$)`)
	// The view's title sits in the top border of its frame:
	// "┌──── pods(shop)[4] ────┐", "┌─ contexts(all)[4] ─┐",
	// "┌─ deployments(shop)[1] </web> ─┐", "┌─ describe(shop/web) ─┐".
	titleRe = regexp.MustCompile(`^┌─+ ([A-Za-z][\w.\-]*)(?:\(([^)]*)\))?(?:\[(\d+)\])?(?: <[^>]*>)? ─`)
	crumbRe = regexp.MustCompile(`<([a-z][\w.\-/]*)>`)
	// A dialog or form is a box whose title sits between dashes:
	// "┌────<Delete>────┐", "<error>", "<Scale>", "<PortForward>". It is
	// drawn over the table, so its top border may follow the cells of a
	// row ("│ web-5cb  ┌───<Sanitize>───┐ 0/1 │"): only the title's own
	// shape is looked for. Nothing else K9s draws puts "─<" before a title
	// (a view's filter is " </web> ", with spaces).
	dialogRe = regexp.MustCompile(`┌─+<[^<>│]+>─+┐`)
)

// Parse reads K9s's state from the screen's text lines.
//
// The screen lags the keyboard: after Enter K9s removes the prompt or filter
// box only on its next redraw (which waits for a table refresh), so the key
// watcher trusts the keys it saw over a box still on screen for a moment.
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
			switch {
			case strings.HasSuffix(m[2], " [R]"):
				st.ReadOnlyKnown, st.ReadOnly = true, true
			case strings.HasSuffix(m[2], " [RW]"):
				st.ReadOnlyKnown = true
			}
			st.Context, st.Known = v, true
		case "Cluster":
			st.Cluster = v
		case "User":
			st.User = v
		}
	}
	frameEnd := -1
	for i, l := range lines {
		if m := titleRe.FindStringSubmatch(l); m != nil && st.Resource == "" {
			st.Resource = strings.ToLower(m[1])
			st.Namespace = m[2]
			if m[3] != "" {
				st.Count = atoi(m[3])
			}
			st.Known = true
		}
		if strings.HasPrefix(l, "└") {
			frameEnd = i
		}
	}
	// The breadcrumbs are the line under the view's frame ("  <pod>  <deploy>").
	if frameEnd >= 0 && frameEnd+1 < len(lines) {
		for _, m := range crumbRe.FindAllStringSubmatch(lines[frameEnd+1], -1) {
			st.Crumbs = append(st.Crumbs, m[1])
		}
	}
	if st.Resource == "" && len(st.Crumbs) > 0 {
		st.Resource = st.Crumbs[len(st.Crumbs)-1]
	}
	st.Mode = ModeNormal
	if !st.Known {
		st.Mode = ModeUnknown
	}
	// The command prompt and the filter are an untitled box under the
	// header: "│ 🐶> deploy │" or "│ 🐩/ web │" (">" and "/" without icons).
	for i := 1; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i-1], "┌─") || strings.ContainsAny(lines[i-1], "<(") || !strings.HasPrefix(lines[i+1], "└─") {
			continue
		}
		body := strings.TrimSpace(strings.Trim(lines[i], "│"))
		switch {
		case strings.HasPrefix(body, "🐩"), strings.HasPrefix(body, "/"):
			st.Mode = ModeFilter
		case strings.HasPrefix(body, "🐶"), strings.HasPrefix(body, ">"):
			st.Mode = ModePrompt
		}
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
