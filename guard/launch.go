package guard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/k9s-guard/k9s-guard/pty"
	"github.com/k9s-guard/k9s-guard/screen"
)

// session is one run of K9s under the guard.
type session struct {
	app    *App
	term   *pty.Terminal
	out    *pty.Output
	child  *pty.Child
	shadow *screen.Shadow

	panics chan error
}

// goSafe starts a goroutine that turns a panic into an orderly exit: the
// terminal is restored by the session loop and the process exits non-zero.
func (s *session) goSafe(name string, f func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("internal error in %s: %v", name, r)
				if s.app.Getenv("K9S_GUARD_DEBUG") != "" {
					err = fmt.Errorf("%w\n%s", err, debug.Stack())
				}
				select {
				case s.panics <- err:
				default:
				}
			}
		}()
		f()
	}()
}

// launch runs K9s under the guard and returns K9s's exit code.
func (a *App) launch(ctx context.Context, la launchArgs) (code int, err error) {
	k9s, err := a.findK9s(la.K9s)
	if err != nil {
		return 2, err
	}
	term, err := pty.NewTerminal(a.Stdin, a.Stdout)
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	size, err := term.Size()
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	s := &session{app: a, term: term, out: pty.NewOutput(a.Stdout), panics: make(chan error, 1)}

	// Signals are caught before K9s starts so none is lost in between.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	env := os.Environ()
	s.child, err = pty.Start(k9s, la.K9sArgs, env, size)
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	defer s.child.Close()
	s.shadow = screen.New(size.Cols, size.Rows)
	defer s.shadow.Close()

	if err := term.MakeRaw(); err != nil {
		s.child.Kill()
		return 1, err
	}
	// The restore hook undoes whatever K9s left switched on if it died
	// without cleaning up (SIGKILL, crash): alternate screen, hidden cursor,
	// mouse reporting, bracketed paste, application cursor keys.
	term.OnRestore(func() { _ = s.out.Resume(resetSequence(s.shadow)) })
	defer term.Restore()
	defer func() {
		if r := recover(); r != nil {
			term.Restore()
			code, err = 1, fmt.Errorf("internal error: %v", r)
		}
	}()

	outputDone := make(chan struct{})
	s.goSafe("output pump", func() {
		defer close(outputDone)
		_ = pty.PumpOutput(s.child, s.out, s.shadow)
	})
	// K9S_GUARD_FAULT=panic-input makes the input pump panic on the first
	// key: a fault injection for the end-to-end test that proves a panic in
	// any goroutine still restores the terminal.
	faultInput := a.Getenv("K9S_GUARD_FAULT") == "panic-input"
	s.goSafe("input pump", func() {
		_ = pty.PumpInput(a.Stdin, func(p []byte) {
			if faultInput {
				panic("injected fault (K9S_GUARD_FAULT=panic-input)")
			}
			_, _ = s.child.Write(p)
		})
	})

	var stopping <-chan time.Time
	for {
		select {
		case <-s.child.Done():
			// Let the last output (K9s's own screen restore) reach the terminal.
			select {
			case <-outputDone:
			case <-time.After(2 * time.Second):
			}
			return s.child.ExitCode(), nil
		case sig := <-sigs:
			switch sig {
			case syscall.SIGWINCH:
				if sz, err := term.Size(); err == nil {
					s.shadow.Resize(sz.Cols, sz.Rows)
					_ = s.child.Resize(sz)
				}
			default:
				// K9s gets the signal and decides; if it does not exit, it is
				// killed after a grace period so the guard never hangs.
				_ = s.child.Signal(sig)
				if sig != syscall.SIGINT && stopping == nil {
					stopping = time.After(5 * time.Second)
				}
			}
		case <-stopping:
			s.child.Kill()
		case perr := <-s.panics:
			s.killAndReap()
			term.Restore()
			return 1, perr
		case <-ctx.Done():
			_ = s.child.Signal(syscall.SIGTERM)
			if stopping == nil {
				stopping = time.After(5 * time.Second)
			}
			ctx = context.Background()
		}
	}
}

// killAndReap ends K9s and waits (briefly) until it is gone, so nothing of
// it outlives the guard.
func (s *session) killAndReap() {
	s.child.Kill()
	select {
	case <-s.child.Done():
	case <-time.After(3 * time.Second):
	}
}

// resetSequence returns the escape sequences that switch off every mode the
// shadow screen says K9s left on. Modes K9s already switched off (a normal
// quit) produce nothing, so a clean exit writes no extra bytes.
func resetSequence(sh *screen.Shadow) []byte {
	sh.Sync()
	m := sh.Modes()
	var b []byte
	if m.Mouse {
		b = append(b, "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"...)
	}
	if m.Paste {
		b = append(b, "\x1b[?2004l"...)
	}
	if m.AppCursor {
		b = append(b, "\x1b[?1l\x1b>"...)
	}
	if m.AltScreen {
		b = append(b, "\x1b[0m\x1b[?1049l"...)
	}
	if m.CursorHidden {
		b = append(b, "\x1b[?25h"...)
	}
	return b
}

var errNotTerminal = errors.New("not a terminal")

var _ sync.Mutex
