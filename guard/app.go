// Package guard is the command line: it parses it, runs k9s-guard's own
// subcommands, and for a K9s command line resolves what a session needs
// (the K9s binary, the terminal, the profile, the passcode store) and hands
// it to package guard/session, which wires the rest together.
package guard

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/k9s-guard/k9s-guard/guard/session"
	"github.com/k9s-guard/k9s-guard/profile"
)

// Exit codes of k9s-guard's own making; a K9s session passes K9s's code
// through instead.
const (
	exitFailure   = session.ExitFailure
	exitUsage     = session.ExitUsage
	exitCancelled = session.ExitCancelled
)

// App carries everything the program takes from its surroundings, so that
// every command can run headless in tests.
type App struct {
	Stdin   *os.File
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Now     func() time.Time
	Version string
}

// ExitError carries a specific exit code up to main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks a command-line mistake (exit code 2).
func usageError(format string, args ...any) error {
	return &ExitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

// exitCode maps an error returned by a command to the process exit code. A
// profile that does not load is a usage error in every command, as it is
// when launching K9s: the fix is in the file or the flag naming it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var le *profile.LoadError
	if errors.As(err, &le) {
		return exitUsage
	}
	return exitFailure
}
