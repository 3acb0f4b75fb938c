package ui

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/skip2/go-qrcode"
)

// EnrollKeys is the enrolment screen's key map. Digits and Backspace are
// text entry, handled by the input field.
type EnrollKeys struct {
	Submit key.Binding
	Cancel key.Binding
}

// DefaultEnrollKeys returns the enrolment screen's default keys.
func DefaultEnrollKeys() EnrollKeys {
	return EnrollKeys{
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "verify and save")),
		Cancel: key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
	}
}

// EnrollStyles is how the enrolment screen looks.
type EnrollStyles struct {
	Title lipgloss.Style
	Label lipgloss.Style
	// QR is applied to the whole code. Fixed black and white rather than
	// the terminal's colours: on a light theme the half-blocks would
	// otherwise come out inverted, which some scanners cannot read.
	QR    lipgloss.Style
	URI   lipgloss.Style
	Error lipgloss.Style
	Info  lipgloss.Style
	Hint  lipgloss.Style
}

// DefaultEnrollStyles returns the default look.
func DefaultEnrollStyles() EnrollStyles {
	return EnrollStyles{
		Title: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		Label: lipgloss.NewStyle().Faint(true),
		QR:    lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("0")),
		URI:   lipgloss.NewStyle().Foreground(lipgloss.Color("14")),
		Error: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		Info:  lipgloss.NewStyle().Foreground(lipgloss.Color("10")),
		Hint:  lipgloss.NewStyle().Faint(true),
	}
}

// EnrollOptions is what the enrolment screen needs. The model never sees
// the secret itself, only the URI to display and two callbacks, so it
// cannot store or print it anywhere else.
type EnrollOptions struct {
	Issuer  string
	Account string
	// URI is the otpauth:// URI shown as a QR code and as text.
	URI string
	// Where describes the store the secret goes to, e.g. "OS keyring".
	Where string
	// Check reports whether a typed code is right for the new secret now.
	Check func(code string) (bool, error)
	// Save stores the secret; it is called only after Check accepted a
	// code, so a secret is never saved that the phone did not scan.
	Save func() error
}

type enrollState int

const (
	enrollTyping enrollState = iota
	enrollSaved
	enrollAborted
)

// Enroll is the Bubble Tea model of `k9s-guard otp enroll`.
type Enroll struct {
	Keys   EnrollKeys
	Styles EnrollStyles

	opts   EnrollOptions
	qr     string
	input  textinput.Model
	state  enrollState
	errMsg string
	width  int
	height int
}

// NewEnroll builds the screen, rendering the QR code up front so a URI
// too long to encode is an error before anything is shown.
func NewEnroll(opts EnrollOptions) (Enroll, error) {
	if opts.Check == nil || opts.Save == nil {
		return Enroll{}, errors.New("enrol: Check and Save are required")
	}
	// Low error correction keeps the code small enough for an 80x24
	// terminal; a screen is a clean medium, not a crumpled sticker.
	code, err := qrcode.New(opts.URI, qrcode.Low)
	if err != nil {
		return Enroll{}, fmt.Errorf("render qr code: %w", err)
	}
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "123456"
	in.CharLimit = 6
	// Without a width the placeholder shows only its first character.
	in.SetWidth(7)
	// ctrl+v would shell out to a clipboard tool; the terminal's own paste
	// arrives as a PasteMsg and is handled below.
	in.KeyMap.Paste = key.NewBinding(key.WithDisabled())
	in.Focus()
	return Enroll{
		Keys:   DefaultEnrollKeys(),
		Styles: DefaultEnrollStyles(),
		opts:   opts,
		qr:     strings.TrimRight(code.ToSmallString(false), "\n"),
		input:  in,
	}, nil
}

// Saved reports whether the secret was verified and saved.
func (m Enroll) Saved() bool { return m.state == enrollSaved }

// Aborted reports whether the user cancelled.
func (m Enroll) Aborted() bool { return m.state == enrollAborted }

// Init implements tea.Model.
func (m Enroll) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m Enroll) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.state != enrollTyping {
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.PasteMsg:
		// Authenticator apps copy "123 456"; keep the digits only.
		msg.Content = enrollDigits(msg.Content)
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.Keys.Cancel):
			m.state = enrollAborted
			return m, tea.Quit
		case key.Matches(msg, m.Keys.Submit):
			return m.submit()
		case msg.Text != "" && enrollDigits(msg.Text) != msg.Text:
			return m, nil // letters and spaces are not part of a code
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		m.errMsg = ""
		return m, cmd
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m Enroll) submit() (tea.Model, tea.Cmd) {
	code := m.input.Value()
	if len(code) != 6 {
		m.errMsg = "type the 6-digit code your authenticator app shows"
		return m, nil
	}
	ok, err := m.opts.Check(code)
	switch {
	case err != nil:
		m.errMsg = "cannot check the code: " + err.Error()
		return m, nil
	case !ok:
		// The usual cause is a phone clock that is off, or a code typed
		// just as it changed; the screen stays open for another try.
		m.errMsg = "that code is not right; type the current one (is the phone's clock set automatically?)"
		m.input.Reset()
		return m, nil
	}
	if err := m.opts.Save(); err != nil {
		m.errMsg = "the code is right but saving failed: " + err.Error()
		return m, nil
	}
	m.state = enrollSaved
	return m, tea.Quit
}

// View implements tea.Model. It uses the alternate screen, so that the QR
// code and the URI, which both contain the secret, disappear from the
// terminal and its scrollback when the screen closes.
func (m Enroll) View() tea.View {
	var b strings.Builder
	title := "k9s-guard: enrol an authenticator app"
	b.WriteString(m.Styles.Title.Render(title) + "\n")
	// The store's description can be a long path: a line of its own, so the
	// renderer does not cut it at the screen's edge.
	b.WriteString(m.Styles.Label.Render(fmt.Sprintf("account %s · issuer %s", m.opts.Account, m.opts.Issuer)) + "\n")
	b.WriteString(m.Styles.Label.Render("saved to "+m.opts.Where) + "\n\n")
	b.WriteString(m.Styles.QR.Render(m.qr) + "\n\n")
	// The URI is never broken across lines: a copy of a wrapped URI picks
	// up the line breaks and no app accepts it. Too wide a URI is left out
	// for a note (the renderer would cut it), and the setup key, which is
	// short, is always there for apps that ask for one.
	if m.width > 0 && len(m.opts.URI) > m.width {
		b.WriteString("Scan the code with your authenticator app,\n")
		b.WriteString(m.Styles.Hint.Render(fmt.Sprintf("(widen the terminal to %d columns to see the URI to add by hand)", len(m.opts.URI))) + "\n")
	} else {
		b.WriteString("Scan the code with your authenticator app, or add this URI by hand:\n")
		b.WriteString(m.Styles.URI.Render(m.opts.URI) + "\n")
	}
	if k := enrollSetupKey(m.opts.URI); k != "" {
		b.WriteString("or type this setup key (time-based): " + m.Styles.URI.Render(k) + "\n")
	}
	b.WriteString("\n")
	switch m.state {
	case enrollSaved:
		b.WriteString(m.Styles.Info.Render("code accepted; secret saved") + "\n")
	case enrollAborted:
		b.WriteString(m.Styles.Hint.Render("cancelled; nothing was saved") + "\n")
	default:
		b.WriteString("Then type the code the app shows to confirm: " + m.input.View() + "\n")
		if m.errMsg != "" {
			b.WriteString(m.Styles.Error.Render(m.errMsg) + "\n")
		}
		b.WriteString(m.Styles.Hint.Render("enter verify and save · esc cancel, nothing is saved") + "\n")
	}
	if lines := strings.Count(b.String(), "\n") + 1; m.height > 0 && lines > m.height {
		b.WriteString(m.Styles.Error.Render("enlarge the terminal to see the whole QR code") + "\n")
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	return v
}

func enrollDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// enrollSetupKey is the URI's secret in groups of four, the way apps that
// take a key by hand show it; "" if the URI carries none.
func enrollSetupKey(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	secret := u.Query().Get("secret")
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	if secret != "" {
		groups = append(groups, secret)
	}
	return strings.Join(groups, " ")
}
