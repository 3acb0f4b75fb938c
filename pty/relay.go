package pty

import (
	"bytes"
	"io"
	"sync"
)

// Output is the user's terminal as seen by everyone who draws on it: K9s's
// output pump and the step-up overlay. Holding it keeps the two from
// interleaving; while it is paused K9s's output still reaches the shadow
// screen but not the terminal, so an overlay can own the screen.
type Output struct {
	mu          sync.Mutex
	w           io.Writer
	paused      bool
	midSequence bool // K9s's last output ended inside an escape sequence
}

// NewOutput wraps the real terminal's output.
func NewOutput(w io.Writer) *Output { return &Output{w: w} }

// FromChild writes K9s output, unless an overlay holds the screen.
func (o *Output) FromChild(p []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.midSequence = endsMidSequence(p)
	if o.paused {
		return nil
	}
	_, err := o.w.Write(p)
	return err
}

// Pause stops K9s output from reaching the terminal.
func (o *Output) Pause() {
	o.mu.Lock()
	o.paused = true
	o.mu.Unlock()
}

// Resume lets K9s output through again, after first writing repaint (the
// shadow screen's copy of what K9s drew meanwhile) under the same lock, so
// no K9s output can slip in between.
func (o *Output) Resume(repaint []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.paused = false
	if len(repaint) == 0 {
		return nil
	}
	_, err := o.w.Write(repaint)
	return err
}

// Draw writes to the terminal directly (used by the overlay and the status
// line), serialised with K9s's output.
func (o *Output) Draw(p []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.w.Write(p)
	return err
}

// Write implements io.Writer with Draw.
func (o *Output) Write(p []byte) (int, error) {
	if err := o.Draw(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// PumpOutput copies the child's output to the terminal and to tee (the
// shadow screen) until the child's side closes.
func PumpOutput(child io.Reader, out *Output, tee io.Writer) error {
	buf := make([]byte, 32*1024)
	for {
		n, err := child.Read(buf)
		if n > 0 {
			// The terminal first: the shadow screen never delays the user.
			if werr := out.FromChild(buf[:n]); werr != nil {
				return werr
			}
			_, _ = tee.Write(buf[:n])
		}
		if err != nil {
			return err
		}
	}
}

// PumpInput copies the user's keystrokes to filter, which decides what
// reaches the child, until in fails.
func PumpInput(in io.Reader, filter func([]byte)) error {
	buf := make([]byte, 4096)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			filter(buf[:n])
		}
		if err != nil {
			return err
		}
	}
}

// DrawBetweenFrames draws an overlay element (the status line) only where
// it cannot split one of K9s's escape sequences: when the last chunk of K9s
// output ended outside an escape sequence. Otherwise it skips this paint;
// the next one comes a moment later. It reports whether it drew.
func (o *Output) DrawBetweenFrames(p []byte) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused || o.midSequence {
		return false, nil
	}
	_, err := o.w.Write(p)
	return err == nil, err
}

// endsMidSequence reports whether b ends inside an escape sequence.
func endsMidSequence(b []byte) bool {
	esc := bytes.LastIndexByte(b, 0x1b)
	if esc < 0 {
		return false
	}
	rest := b[esc+1:]
	if len(rest) == 0 {
		return true
	}
	switch rest[0] {
	case '[':
		for _, c := range rest[1:] {
			if c >= 0x40 && c <= 0x7e {
				return false
			}
		}
		return true
	case ']', 'P', '_', '^':
		// String sequences end with BEL or ESC \.
		return bytes.IndexByte(rest, 0x07) < 0
	default:
		return false
	}
}
