package guard

import (
	"context"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// noColor reports whether the user asked for no colour: NO_COLOR set to
// any non-empty value, as https://no-color.org says. Bubble Tea's own
// detection only honours values strconv.ParseBool reads as true, so
// NO_COLOR=yes would still be coloured without this.
func (a *App) noColor() bool { return a.Getenv("NO_COLOR") != "" }

// newProgram runs a full-screen page (the audit viewer, the enrolment
// page) on the App's terminal, without colour when NO_COLOR asks for it.
func (a *App) newProgram(ctx context.Context, m tea.Model) *tea.Program {
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(a.Stdin), tea.WithOutput(a.Stdout)}
	if a.noColor() {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return tea.NewProgram(m, opts...)
}
