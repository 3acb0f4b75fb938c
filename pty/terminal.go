package pty

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// Terminal is the user's real terminal. MakeRaw is the only place in
// k9s-guard that changes its mode; Restore undoes it, once, whichever exit
// path gets there first.
type Terminal struct {
	In  *os.File
	Out io.Writer

	mu      sync.Mutex
	state   *term.State
	restore []func()
}

// NewTerminal wraps the given input (which must be a terminal) and output.
func NewTerminal(in *os.File, out io.Writer) (*Terminal, error) {
	if !term.IsTerminal(int(in.Fd())) {
		return nil, fmt.Errorf("standard input is not a terminal: k9s-guard runs K9s interactively (for scripts, use kubectl)")
	}
	return &Terminal{In: in, Out: out}, nil
}

// Size reports the terminal's size.
func (t *Terminal) Size() (Size, error) {
	w, h, err := term.GetSize(int(t.In.Fd()))
	if err != nil {
		return Size{}, fmt.Errorf("read terminal size: %w", err)
	}
	return Size{Cols: w, Rows: h}, nil
}

// MakeRaw switches the terminal to raw mode, remembering how it was.
func (t *Terminal) MakeRaw() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != nil {
		return nil
	}
	st, err := term.MakeRaw(int(t.In.Fd()))
	if err != nil {
		return fmt.Errorf("switch terminal to raw mode: %w", err)
	}
	t.state = st
	return nil
}

// OnRestore registers f to run (last registered first) when the terminal is
// restored, before line mode comes back — e.g. to leave the alternate screen
// a killed K9s left behind.
func (t *Terminal) OnRestore(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restore = append(t.restore, f)
}

// Restore runs the restore hooks and puts the terminal mode back. It is safe
// to call from any goroutine and any number of times.
func (t *Terminal) Restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.restore) - 1; i >= 0; i-- {
		t.restore[i]()
	}
	t.restore = nil
	if t.state != nil {
		_ = term.Restore(int(t.In.Fd()), t.state)
		t.state = nil
	}
}
