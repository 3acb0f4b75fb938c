package guard

import (
	"fmt"
	"os"

	"golang.org/x/term"
)

// devTTY is the controlling terminal. Tests point it at a pty.
var devTTY = "/dev/tty"

// withTerminalOutput returns the App a K9s session runs with. When standard
// output is not a terminal (`k9s-guard > file`), the screen goes to the
// controlling terminal instead, as it does for K9s on its own (tcell draws on
// /dev/tty): K9s's screen in a file helps nobody and leaves the terminal
// blank. Standard input that is not a terminal is left for the launcher to
// refuse, as before.
func (a *App) withTerminalOutput() (*App, func(), error) {
	out, ok := a.Stdout.(*os.File)
	if !ok || a.Stdin == nil || !term.IsTerminal(int(a.Stdin.Fd())) || term.IsTerminal(int(out.Fd())) {
		return a, func() {}, nil
	}
	tty, err := os.OpenFile(devTTY, os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, &ExitError{Code: exitUsage, Err: fmt.Errorf("standard output is not a terminal and there is no terminal to draw K9s on: %w", err)}
	}
	ta := *a
	ta.Stdout = tty
	return &ta, func() { _ = tty.Close() }, nil
}
