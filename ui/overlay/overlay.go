// Package overlay is what k9s-guard draws over K9s's screen: the passcode
// prompt, a Bubble Tea model composited onto a copy of K9s's screen, and
// the elevation status line in K9s's logo corner. Both share one look
// (Styles) and the prompt's keys (Keys).
package overlay

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// codeLength is the number of digits in a TOTP code.
const codeLength = 6

// Request describes the step-up the overlay asks for.
type Request struct {
	Context string // the protected context
	Action  string // e.g. "delete", "exec"
	Target  string // e.g. "pod shop/cart-7c9d"; "" when unknown
	Source  string // the elevation source, e.g. "impersonate cluster-admin"
	Window  time.Duration
	// AttemptsLeft before a lockout; 0 or less hides the count.
	AttemptsLeft int
	// LockedUntil, when in the future, opens the overlay locked out.
	LockedUntil time.Time
	// BlastRadius says what the action will touch ("3 pods"); it may
	// arrive later in an BlastRadiusMsg.
	BlastRadius string
	// ConfirmName, when set, must be typed as well as the code: a second,
	// deliberate confirmation for the most destructive actions.
	ConfirmName string
	// AskedBy says who raised the prompt: the user's own key in K9s, or a
	// program whose request reached the gateway ("kubectl (pid 4242)"), so
	// that a plugin's delete cannot pass for the user's Ctrl-K.
	AskedBy string
}

// Status is the verifier's answer to a code.
type Status int

const (
	// OK: the code is right; the overlay quits with Granted.
	OK Status = iota + 1
	// Wrong: the code is wrong; AttemptsLeft says how many remain.
	Wrong
	// Reused: the code was already used (replay protection).
	Reused
	// Locked: too many wrong codes; LockedUntil says until when.
	Locked
	// Failed: the code could not be checked or the elevation could
	// not be set up; Message says why.
	Failed
)

// Result is what the caller's verifier returns.
type Result struct {
	Status       Status
	AttemptsLeft int       // for Wrong; 0 or less hides the count
	LockedUntil  time.Time // for Locked
	Message      string    // for Failed; must never contain the code
}

// Outcome is how the overlay ended.
type Outcome int

const (
	Pending   Outcome = iota // still asking
	Granted                  // the verifier accepted a code
	Cancelled                // Esc or Ctrl-C
)

func (o Outcome) String() string {
	return [...]string{"pending", "granted", "cancelled"}[o]
}

// VerifiedMsg carries the verifier's answer back into Update. The
// command returned by Update on Enter produces it; a caller driving the
// model by hand runs that command and feeds the message back.
type VerifiedMsg struct{ Result Result }

// TickMsg advances the lockout countdown. The model schedules it
// with tea.Tick while locked; tests send it with a chosen time.
type TickMsg struct{ Time time.Time }

// BlastRadiusMsg fills in the blast radius once it is known.
type BlastRadiusMsg struct{ Text string }

// BackgroundMsg replaces the screen drawn around the box, for when
// K9s repaints underneath.
type BackgroundMsg struct{ Lines []string }

// Options builds an Model.
type Options struct {
	// Background is the shadow screen, one string per row, plain or styled.
	Background []string
	Width      int
	Height     int
	Request    Request
	// Verify checks a code. It runs inside a tea.Cmd, off the UI loop, so
	// it may take a moment (opening the elevation source).
	Verify func(code string) Result
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Styles *Styles // DefaultStyles when nil
	Keys   *Keys   // DefaultKeys when nil
}

// overlayCode holds typed digits. Its String never shows them, so an
// accidental %v of the model cannot print a code.
type overlayCode []byte

func (c overlayCode) String() string   { return strings.Repeat("●", len(c)) }
func (c overlayCode) GoString() string { return c.String() }

type overlayField int

const (
	fieldCode overlayField = iota
	fieldName
)

// Model is the Bubble Tea model of the step-up prompt drawn over the
// K9s screen. Run it in a tea.Program, or drive it by hand: call Update with
// key messages, run the returned commands, and paint Render().
type Model struct {
	bg            []string
	width, height int
	req           Request
	verify        func(string) Result
	clock         func() time.Time
	now           time.Time
	styles        Styles
	keys          Keys

	code  overlayCode
	name  []rune
	focus overlayField
	// jumped is set when the sixth digit moved the focus to Name and no
	// key came since: the Tab the hint asks for then keeps it there
	// instead of sending it back to Code.
	jumped    bool
	message   string
	isError   bool
	verifying bool
	outcome   Outcome
}

// New returns the overlay for one step-up request.
func New(o Options) Model {
	m := Model{
		bg:     o.Background,
		width:  o.Width,
		height: o.Height,
		req:    o.Request,
		verify: o.Verify,
		clock:  o.Now,
		styles: DefaultStyles(),
		keys:   DefaultKeys(),
	}
	if m.clock == nil {
		m.clock = time.Now
	}
	if o.Styles != nil {
		m.styles = *o.Styles
	}
	if o.Keys != nil {
		m.keys = *o.Keys
	}
	m.now = m.clock()
	return m
}

// Outcome reports how the overlay ended; Pending while it runs.
func (m Model) Outcome() Outcome { return m.outcome }

// Init starts the lockout countdown when the overlay opens locked.
func (m Model) Init() tea.Cmd {
	if m.locked() {
		return overlayTick()
	}
	return nil
}

func overlayTick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return TickMsg{Time: t} })
}

func (m Model) locked() bool { return m.now.Before(m.req.LockedUntil) }

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.outcome != Pending {
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case BackgroundMsg:
		m.bg = msg.Lines
	case BlastRadiusMsg:
		m.req.BlastRadius = msg.Text
	case TickMsg:
		return m.tick(msg.Time)
	case VerifiedMsg:
		return m.verified(msg.Result)
	case tea.PasteMsg:
		// Codes pasted from a password manager: keep the digits.
		m.typeText(msg.Content)
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	}
	return m, nil
}

func (m Model) tick(t time.Time) (tea.Model, tea.Cmd) {
	wasLocked := m.locked()
	m.now = t
	switch {
	case m.locked():
		return m, overlayTick()
	case wasLocked:
		m.req.LockedUntil = time.Time{}
		m.setInfo("The lock has expired. Enter a new code.")
	}
	return m, nil
}

func (m Model) keyPress(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.outcome = Cancelled
		m.code, m.name = nil, nil
		return m, tea.Quit
	case m.verifying || m.locked():
		// Keys typed while the verifier runs or the lock holds are dropped:
		// a code typed ahead would be judged against the wrong state.
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		m.jumped = false
		return m.submit()
	case key.Matches(msg, m.keys.NextField):
		if m.req.ConfirmName != "" && !m.jumped {
			m.focus = 1 - m.focus
		}
		m.jumped = false
	case key.Matches(msg, m.keys.Erase):
		m.jumped = false
		if m.focus == fieldCode && len(m.code) > 0 {
			m.code = m.code[:len(m.code)-1]
		} else if m.focus == fieldName && len(m.name) > 0 {
			m.name = m.name[:len(m.name)-1]
		}
	case key.Matches(msg, m.keys.Clear):
		m.jumped = false
		if m.focus == fieldCode {
			m.code = nil
		} else {
			m.name = nil
		}
	default:
		m.typeText(msg.Text)
	}
	return m, nil
}

// typeText enters text into the focused field. The code field takes digits
// only and moves on to the name field when full.
func (m *Model) typeText(s string) {
	for _, r := range s {
		m.jumped = false
		switch {
		case m.focus == fieldCode && r >= '0' && r <= '9':
			if len(m.code) < codeLength {
				m.code = append(m.code, byte(r))
			}
			if len(m.code) == codeLength && m.req.ConfirmName != "" && len(m.name) == 0 {
				m.focus, m.jumped = fieldName, true
			}
		case m.focus == fieldName && unicode.IsPrint(r):
			m.name = append(m.name, r)
		}
	}
}

func (m Model) submit() (tea.Model, tea.Cmd) {
	switch {
	case len(m.code) < codeLength:
		m.focus = fieldCode
		m.setError(fmt.Sprintf("Enter all %d digits of the code.", codeLength))
		return m, nil
	case m.req.ConfirmName != "" && string(m.name) != m.req.ConfirmName:
		m.focus = fieldName
		m.setError(fmt.Sprintf("Type %q exactly to confirm.", m.req.ConfirmName))
		return m, nil
	case m.verify == nil:
		m.setError("No verifier is configured.")
		return m, nil
	}
	// The code leaves the model with the command: nothing keeps it after.
	code, verify := string(m.code), m.verify
	m.code = nil
	m.verifying = true
	m.setInfo("Verifying…")
	return m, func() tea.Msg { return VerifiedMsg{Result: verify(code)} }
}

func (m Model) verified(r Result) (tea.Model, tea.Cmd) {
	m.verifying = false
	m.focus = fieldCode
	switch r.Status {
	case OK:
		m.outcome = Granted
		m.name = nil
		m.setInfo("Granted.")
		return m, tea.Quit
	case Wrong:
		m.req.AttemptsLeft = r.AttemptsLeft
		m.setError("Wrong code.")
	case Reused:
		m.setError("That code was already used. Wait for the next one.")
	case Locked:
		m.req.LockedUntil = r.LockedUntil
		m.req.AttemptsLeft = 0
		m.now = m.clock()
		m.setError("Too many wrong codes.")
		if m.locked() {
			return m, overlayTick()
		}
	default:
		msg := r.Message
		if msg == "" {
			msg = "The code could not be checked."
		}
		m.setError(msg)
	}
	return m, nil
}

func (m *Model) setError(s string) { m.message, m.isError = s, true }
func (m *Model) setInfo(s string)  { m.message, m.isError = s, false }

// View implements tea.Model: the whole screen, the box over the background.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	// The overlay covers the full window, like K9s, which already runs in
	// the alternate screen.
	v.AltScreen = true
	return v
}

// Render returns the screen as text rows joined by "\n": the box centred
// over the background, which is unchanged outside the box.
func (m Model) Render() string {
	return Render(m.bg, m.width, m.height, m.Box())
}

// overlayMaxWidth is the widest the box gets; wider reads badly.
const overlayMaxWidth = 64

// Box renders the overlay box alone, sized for the current window.
func (m Model) Box() string {
	s := m.styles
	frameW := s.Box.GetHorizontalFrameSize()
	width := min(overlayMaxWidth, m.width-8)
	if width < 40 {
		width = min(m.width, 40)
	}
	inner := max(width-frameW, 10)

	const labelW = 9
	valueW := max(inner-labelW-1, 1)
	row := func(label, value string, focused bool) string {
		ls := s.Label
		if focused {
			ls = s.Focused
		}
		return ls.Render(fmt.Sprintf("%-*s", labelW, label)) + " " + ansi.Truncate(value, valueW, "…")
	}

	var lines []string
	title := s.Title.Render("Step-up required")
	brand := s.Brand.Render("k9s-guard")
	gap := inner - lipgloss.Width(title) - lipgloss.Width(brand)
	if gap >= 1 {
		lines = append(lines, title+strings.Repeat(" ", gap)+brand)
	} else {
		lines = append(lines, ansi.Truncate(title, inner, "…"))
	}
	lines = append(lines, "")
	lines = append(lines, row("Context", s.Value.Render(m.req.Context), false))
	lines = append(lines, row("Action", s.Action.Render(strings.TrimSpace(m.req.Action+" "+m.req.Target)), false))
	if m.req.BlastRadius != "" {
		lines = append(lines, row("Affects", s.Value.Render(m.req.BlastRadius), false))
	}
	if m.req.AskedBy != "" {
		lines = append(lines, row("Asked by", s.Value.Render(m.req.AskedBy), false))
	}
	lines = append(lines, row("Elevate", m.elevation(), false))
	lines = append(lines, "")

	codeRow := m.maskedCode()
	if m.req.AttemptsLeft > 0 && !m.locked() {
		codeRow += "   " + s.Attempts.Render(plural(m.req.AttemptsLeft, "attempt")+" left")
	}
	lines = append(lines, row("Code", codeRow, m.focus == fieldCode && !m.locked()))
	if m.req.ConfirmName != "" {
		lines = append(lines, row("Confirm", s.Hint.Render("type ")+s.Value.Render(m.req.ConfirmName)+s.Hint.Render(" below"), false))
		name := string(m.name)
		if m.focus == fieldName {
			name += "▏"
		}
		lines = append(lines, row("Name", s.Value.Render(name), m.focus == fieldName))
	}
	lines = append(lines, "")
	// A failure is shown whole (a full disk names the file and what to
	// do), wrapped rather than cut off at the box's edge.
	lines = append(lines, strings.Split(ansi.Wrap(m.messageLine(), inner, " "), "\n")...)
	lines = append(lines, ansi.Truncate(m.hintLine(), inner, "…"))

	// Drop spacer lines when the window is too short for the whole box.
	for len(lines)+s.Box.GetVerticalFrameSize() > m.height {
		i := lastBlank(lines)
		if i < 0 {
			break
		}
		lines = append(lines[:i], lines[i+1:]...)
	}
	return s.Box.Width(inner + frameW).Render(strings.Join(lines, "\n"))
}

func (m Model) elevation() string {
	src := m.req.Source
	if src == "" {
		src = "elevated credentials"
	}
	if m.req.Window > 0 {
		src += " for " + formatWindow(m.req.Window)
	}
	return m.styles.Value.Render(src)
}

func (m Model) maskedCode() string {
	if m.locked() {
		return m.styles.Error.Render("locked")
	}
	slots := make([]string, codeLength)
	for i := range slots {
		if i < len(m.code) {
			slots[i] = m.styles.Digit.Render("●")
		} else {
			slots[i] = m.styles.Slot.Render("_")
		}
	}
	return strings.Join(slots, " ")
}

func (m Model) messageLine() string {
	if m.locked() {
		left := m.req.LockedUntil.Sub(m.now)
		return m.styles.Error.Render("Locked out. Try again in " + formatCountdown(left) + ".")
	}
	if m.message == "" {
		return ""
	}
	if m.isError {
		return m.styles.Error.Render("✗ " + m.message)
	}
	return m.styles.Info.Render(m.message)
}

func (m Model) hintLine() string {
	var bindings []key.Binding
	if !m.locked() {
		bindings = append(bindings, m.keys.Submit)
		if m.req.ConfirmName != "" {
			bindings = append(bindings, m.keys.NextField)
		}
	}
	bindings = append(bindings, m.keys.Cancel)
	var parts []string
	for _, b := range bindings {
		if b.Enabled() {
			parts = append(parts, b.Help().Key+" "+b.Help().Desc)
		}
	}
	return m.styles.Hint.Render(strings.Join(parts, " · "))
}

func lastBlank(lines []string) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] == "" {
			return i
		}
	}
	return -1
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// formatWindow shows a window length the way profiles spell it: 15m, 1h30m.
func formatWindow(d time.Duration) string {
	s := d.Round(time.Second).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// formatCountdown shows a remaining time as m:ss, or h:mm:ss from an hour.
// It rounds up, so "0:00" only shows once the time is over.
func formatCountdown(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int((d + time.Second - 1) / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// Render draws box centred over the background rows and returns
// exactly height rows joined by "\n". Outside the box every cell is the
// background's, styles included; rows may be shorter than width where the
// background ends in blanks, so a caller painting a real terminal should
// erase to the end of each row. Background rows beyond height or columns
// beyond width are clipped.
func Render(bg []string, width, height int, box string) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if len(bg) > height {
		bg = bg[:height]
	}
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	x, y := max((width-bw)/2, 0), max((height-bh)/2, 0)
	canvas := lipgloss.NewCanvas(width, height)
	canvas.Compose(lipgloss.NewCompositor(
		lipgloss.NewLayer(strings.Join(bg, "\n")),
		lipgloss.NewLayer(box).X(x).Y(y).Z(1),
	))
	rows := strings.Split(canvas.Render(), "\n")
	for len(rows) < height {
		rows = append(rows, "")
	}
	return strings.Join(rows[:height], "\n")
}
