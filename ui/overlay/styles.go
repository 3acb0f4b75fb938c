package overlay

import "charm.land/lipgloss/v2"

// Styles is how the step-up overlay and the status line look. The
// palette uses the 16 ANSI colours so it follows the user's terminal theme,
// as K9s's own skins mostly do.
type Styles struct {
	Box      lipgloss.Style // border and padding around the whole overlay
	Title    lipgloss.Style
	Brand    lipgloss.Style // "k9s-guard", right of the title
	Label    lipgloss.Style // field names
	Focused  lipgloss.Style // the name of the field being typed into
	Value    lipgloss.Style
	Action   lipgloss.Style // the dangerous action and its target
	Digit    lipgloss.Style // a typed digit, always shown masked
	Slot     lipgloss.Style // a digit still to type
	Error    lipgloss.Style
	Info     lipgloss.Style // neutral messages: verifying, lock expired
	Hint     lipgloss.Style // key help at the bottom
	Status   lipgloss.Style // the elevated-window indicator
	Attempts lipgloss.Style
}

// DefaultStyles returns the default look.
func DefaultStyles() Styles {
	return Styles{
		Box: lipgloss.NewStyle().
			Border(lipgloss.RoundedBorder()).
			BorderForeground(lipgloss.Color("11")).
			Padding(0, 1),
		Title:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		Brand:    lipgloss.NewStyle().Faint(true),
		Label:    lipgloss.NewStyle().Faint(true),
		Focused:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14")),
		Value:    lipgloss.NewStyle().Bold(true),
		Action:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		Digit:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14")),
		Slot:     lipgloss.NewStyle().Faint(true),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		Info:     lipgloss.NewStyle().Foreground(lipgloss.Color("14")),
		Hint:     lipgloss.NewStyle().Faint(true),
		Status:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("11")),
		Attempts: lipgloss.NewStyle().Faint(true),
	}
}
