// Package ui holds k9s-guard's full-screen Bubble Tea models: enrolment
// and the audit viewer; what is drawn over K9s is in ui/overlay. Models
// take their data and clock as arguments and return commands, so tests
// drive them with messages and read View() back without a terminal.
package ui

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/k9s-guard/k9s-guard/audit"
)

// AuditKeyMap is the audit viewer's keys; table movement (↑/↓, j/k,
// pgup/pgdn, g/G) comes from the table's own key map.
type AuditKeyMap struct {
	Context key.Binding
	Event   key.Binding
	Since   key.Binding
	Clear   key.Binding
	Detail  key.Binding
	Back    key.Binding
	Quit    key.Binding
	Apply   key.Binding
	Cancel  key.Binding
}

// DefaultAuditKeyMap returns the viewer's default keys.
func DefaultAuditKeyMap() AuditKeyMap {
	return AuditKeyMap{
		Context: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "context")),
		Event:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "event")),
		Since:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "since")),
		Clear:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "clear filters")),
		Detail:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:    key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Apply:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// AuditStyles is how the viewer looks.
type AuditStyles struct {
	Title  lipgloss.Style
	Label  lipgloss.Style
	Value  lipgloss.Style
	Help   lipgloss.Style
	Error  lipgloss.Style
	Denied lipgloss.Style
	Table  table.Styles
}

// DefaultAuditStyles returns the viewer's default styles.
func DefaultAuditStyles() AuditStyles {
	ts := table.DefaultStyles()
	ts.Header = ts.Header.Bold(true).BorderStyle(lipgloss.NormalBorder()).BorderBottom(true)
	ts.Selected = ts.Selected.Reverse(true)
	return AuditStyles{
		Title:  lipgloss.NewStyle().Bold(true),
		Label:  lipgloss.NewStyle().Faint(true),
		Value:  lipgloss.NewStyle().Bold(true),
		Help:   lipgloss.NewStyle().Faint(true),
		Error:  lipgloss.NewStyle().Foreground(lipgloss.Color("9")),
		Denied: lipgloss.NewStyle().Foreground(lipgloss.Color("9")),
		Table:  ts,
	}
}

// AuditViewOptions is what the viewer starts with.
type AuditViewOptions struct {
	// Path is the file shown in the title.
	Path string
	// Records in file order; the viewer lists the newest first.
	Records []audit.Record
	// Initial filters, as the user would type them.
	Context, Event, Since string
	// Now is the clock that relative --since values count back from.
	Now func() time.Time
}

type filterField int

const (
	editNone filterField = iota
	editContext
	editEvent
	editSince
)

func (f filterField) String() string {
	return [...]string{"", "context", "event", "since"}[f]
}

// AuditView is the Bubble Tea model of `k9s-guard audit`: a table of
// records with filters for context, event and time, and a detail page.
type AuditView struct {
	Keys   AuditKeyMap
	Styles AuditStyles

	path    string
	all     []audit.Record // newest first
	shown   []audit.Record
	context string
	event   string
	since   string
	now     func() time.Time
	errMsg  string

	table   table.Model
	input   textinput.Model
	editing filterField
	detail  bool
	width   int
	height  int
}

// NewAuditView builds the viewer. A bad initial Since is shown as an error
// in the view rather than refused, so the user can fix it in place.
func NewAuditView(o AuditViewOptions) AuditView {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	all := slices.Clone(o.Records)
	slices.Reverse(all)
	m := AuditView{
		Keys:    DefaultAuditKeyMap(),
		Styles:  DefaultAuditStyles(),
		path:    o.Path,
		all:     all,
		context: o.Context,
		event:   o.Event,
		since:   o.Since,
		now:     now,
		input:   textinput.New(),
		width:   120,
		height:  24,
	}
	m.input.Prompt = ""
	m.table = table.New(table.WithColumns(auditColumns(m.width)), table.WithFocused(true),
		table.WithStyles(m.Styles.Table))
	m.refilter()
	m.layout()
	return m
}

// Init implements tea.Model.
func (m AuditView) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m AuditView) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		if m.editing != editNone {
			return m.updateEditing(msg)
		}
		if m.detail {
			switch {
			case key.Matches(msg, m.Keys.Quit):
				return m, tea.Quit
			case key.Matches(msg, m.Keys.Back), key.Matches(msg, m.Keys.Detail):
				m.detail = false
			}
			return m, nil
		}
		switch {
		case key.Matches(msg, m.Keys.Quit):
			return m, tea.Quit
		case key.Matches(msg, m.Keys.Context):
			return m, m.startEditing(editContext, m.context)
		case key.Matches(msg, m.Keys.Event):
			return m, m.startEditing(editEvent, m.event)
		case key.Matches(msg, m.Keys.Since):
			return m, m.startEditing(editSince, m.since)
		case key.Matches(msg, m.Keys.Clear):
			m.context, m.event, m.since = "", "", ""
			m.refilter()
			return m, nil
		case key.Matches(msg, m.Keys.Detail):
			m.detail = len(m.shown) > 0
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(msg)
	return m, cmd
}

func (m *AuditView) startEditing(f filterField, value string) tea.Cmd {
	m.editing = f
	m.input.SetValue(value)
	m.input.CursorEnd()
	switch f {
	case editContext:
		m.input.Placeholder = "name or glob, e.g. prod-*"
	case editEvent:
		m.input.Placeholder = "e.g. stepup, request.denied, window.*"
	case editSince:
		m.input.Placeholder = "e.g. 1h, 7d, 2026-03-01"
	}
	return m.input.Focus()
}

func (m AuditView) updateEditing(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.Keys.Cancel):
		m.editing = editNone
		m.input.Blur()
		return m, nil
	case key.Matches(msg, m.Keys.Apply):
		v := strings.TrimSpace(m.input.Value())
		switch m.editing {
		case editContext:
			m.context = v
		case editEvent:
			m.event = v
		case editSince:
			m.since = v
		}
		m.editing = editNone
		m.input.Blur()
		m.refilter()
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// refilter applies the filters. A since value that does not parse keeps
// the previous selection and says why, instead of silently showing all.
func (m *AuditView) refilter() {
	m.errMsg = ""
	since, err := audit.ParseSince(m.since, m.now())
	if err != nil {
		m.errMsg = err.Error()
		return
	}
	f := audit.Filter{Since: since, Context: m.context, Event: m.event}
	m.shown = m.shown[:0:0]
	for _, r := range m.all {
		if f.Match(r) {
			m.shown = append(m.shown, r)
		}
	}
	rows := make([]table.Row, len(m.shown))
	for i, r := range m.shown {
		rows[i] = auditRow(r)
	}
	m.table.SetRows(rows)
	m.table.GotoTop()
}

// layout fits the table to the window: title, filter line and help line
// take three rows.
func (m *AuditView) layout() {
	m.table.SetColumns(auditColumns(m.width))
	m.table.SetWidth(m.width)
	m.table.SetHeight(max(m.height-3, 3))
}

// View implements tea.Model.
func (m AuditView) View() tea.View {
	var b strings.Builder
	title := "k9s-guard audit"
	if m.path != "" {
		title += " — " + m.path
	}
	count := fmt.Sprintf("%d of %d records", len(m.shown), len(m.all))
	pad := max(m.width-lipgloss.Width(title)-len(count), 1)
	b.WriteString(m.Styles.Title.Render(title) + strings.Repeat(" ", pad) + count + "\n")
	b.WriteString(m.filterLine() + "\n")
	if m.detail && m.table.Cursor() < len(m.shown) {
		b.WriteString(m.detailView(m.shown[m.table.Cursor()]))
		b.WriteString("\n" + m.Styles.Help.Render("esc back · q quit"))
	} else {
		if len(m.shown) == 0 {
			b.WriteString(m.Styles.Help.Render("no records match the filters") + "\n")
		} else {
			b.WriteString(m.table.View() + "\n")
		}
		b.WriteString(m.helpLine())
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "k9s-guard audit"
	return v
}

func (m AuditView) filterLine() string {
	field := func(f filterField, value string) string {
		label := m.Styles.Label.Render(f.String() + ":")
		if m.editing == f {
			return label + " [" + m.input.View() + "]"
		}
		if value == "" {
			value = "any"
		}
		return label + " " + m.Styles.Value.Render(value)
	}
	line := field(editContext, m.context) + "   " + field(editEvent, m.event) + "   " + field(editSince, m.since)
	if m.errMsg != "" {
		line += "   " + m.Styles.Error.Render(m.errMsg)
	}
	return line
}

func (m AuditView) helpLine() string {
	if m.editing != editNone {
		return m.Styles.Help.Render("enter apply · esc cancel")
	}
	var parts []string
	for _, k := range []key.Binding{m.Keys.Context, m.Keys.Event, m.Keys.Since, m.Keys.Clear, m.Keys.Detail, m.Keys.Quit} {
		h := k.Help()
		parts = append(parts, h.Key+" "+h.Desc)
	}
	return m.Styles.Help.Render(strings.Join(parts, " · ") + " · ↑/↓ move (newest first)")
}

// detailView lists every field the record has, by its schema name.
func (m AuditView) detailView(r audit.Record) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, f := range recordFields(r) {
		fmt.Fprintf(tw, "%s\t%s\n", m.Styles.Label.Render(f[0]), f[1])
	}
	tw.Flush()
	return b.String()
}

// recordFields names a record's non-empty fields as docs/audit.md does.
func recordFields(r audit.Record) [][2]string {
	var out [][2]string
	add := func(name, v string) {
		if v != "" && v != "0" {
			out = append(out, [2]string{name, printable(v)})
		}
	}
	add("time", r.Time.UTC().Format(time.RFC3339Nano))
	add("event", string(r.Event))
	add("session", r.Session)
	add("user", r.User)
	add("host", r.Host)
	add("pid", fmt.Sprint(r.PID))
	add("context", r.Context)
	add("server", r.Server)
	add("base_identity", r.BaseIdentity)
	add("elevated_identity", r.ElevatedIdentity)
	add("action", r.Action)
	add("verb", r.Verb)
	add("group", r.Group)
	add("resource", r.Resource)
	add("subresource", r.Subresource)
	add("namespace", r.Namespace)
	add("name", r.Name)
	add("status", fmt.Sprint(r.Status))
	add("source", r.Source)
	if r.Deadline != nil {
		add("deadline", r.Deadline.UTC().Format(time.RFC3339Nano))
	}
	add("credential_id", r.CredentialID)
	add("reason", r.Reason)
	add("message", r.Message)
	add("prev", r.Prev)
	add("v", fmt.Sprint(r.V))
	return out
}

var auditHeaders = []string{"TIME (UTC)", "EVENT", "CONTEXT", "USER", "ACTION", "TARGET", "STATUS", "SOURCE", "DETAIL"}

// auditColumns sizes the columns for a terminal width; TARGET and DETAIL
// share what is left after the fixed ones.
func auditColumns(width int) []table.Column {
	fixed := []int{19, 16, 14, 12, 10, 0, 6, 14, 0}
	used := 0
	for _, w := range fixed {
		used += w + 2 // cell padding
	}
	rest := max(width-used-4, 24)
	fixed[5], fixed[8] = rest*2/3, rest-rest*2/3
	cols := make([]table.Column, len(auditHeaders))
	for i, h := range auditHeaders {
		cols[i] = table.Column{Title: h, Width: fixed[i]}
	}
	return cols
}

// auditRow is one record as table cells; the text table uses it too, so
// the TUI and the piped output read the same.
func auditRow(r audit.Record) table.Row {
	status := ""
	if r.Status != 0 {
		status = fmt.Sprint(r.Status)
	}
	detail := r.Reason
	if r.Message != "" {
		if detail != "" {
			detail += ": "
		}
		detail += r.Message
	}
	if r.Deadline != nil && detail == "" {
		detail = "until " + r.Deadline.UTC().Format("15:04:05Z")
	}
	row := table.Row{
		r.Time.UTC().Format(time.DateTime),
		string(r.Event),
		r.Context,
		r.User,
		r.Action,
		target(r),
		status,
		r.Source,
		detail,
	}
	for i, c := range row {
		row[i] = printable(c)
	}
	return row
}

// printable shows control characters as \xNN. Records hold text from the
// API server and from object names; printed raw, an escape sequence in
// one could rewrite the reader's terminal or hide other rows.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// target reads like kubectl: "delete pods/web-1 -n shop".
func target(r audit.Record) string {
	res := r.Resource
	if r.Group != "" && res != "" {
		res += "." + r.Group
	}
	if r.Name != "" {
		res += "/" + r.Name
	}
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	var parts []string
	for _, p := range []string{r.Verb, res} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if r.Namespace != "" {
		parts = append(parts, "-n "+r.Namespace)
	}
	return strings.Join(parts, " ")
}

// WriteAuditTable prints records as a plain text table, for when stdout is
// not a terminal (a pipe, a file, a CI log).
func WriteAuditTable(w io.Writer, recs []audit.Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(auditHeaders, "\t"))
	for _, r := range recs {
		row := auditRow(r)
		for i, c := range row {
			if c == "" {
				row[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
