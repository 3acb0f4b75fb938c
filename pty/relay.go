package pty

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// Output is the user's terminal as seen by everyone who draws on it: K9s's
// output pump and the step-up overlay. Holding it keeps the two from
// interleaving; while it is paused K9s's output still reaches the shadow
// screen but not the terminal, so an overlay can own the screen.
type Output struct {
	mu     sync.Mutex
	w      io.Writer
	paused bool
	// seq is where K9s's output stream stands: outside any sequence, or
	// inside an escape sequence or a multi-byte UTF-8 character, which
	// nothing else may be written into.
	seq streamState
	// skip is set when the terminal came back to K9s while K9s was inside
	// a sequence begun while it was hidden: the terminal never saw the
	// start, so the rest would show as text. It is dropped instead.
	skip bool
	// alt follows the alternate screen in the stream as it reaches the
	// terminal; away is set when K9s, having used it, left it: a child
	// (a shell, kubectl edit's editor) owns the screen, and the status line
	// must not be drawn on it. The shadow screen knows this too, but later.
	alt  altTracker
	away bool
	// sticky is drawn again after every chunk of K9s output that ends
	// between characters (the status line): K9s redraws the row it sits on
	// now and then (its frame's title), and the indicator must not vanish
	// until the next paint. buf joins the two into one write.
	sticky []byte
	buf    []byte
}

// altTracker finds the alternate-screen switches (xterm's 1049) in a byte
// stream, including one split across two writes.
type altTracker struct {
	seen bool
	on   bool
	tail []byte
}

// altSeqLen is the length of a whole switch (ESC [ ? 1 0 4 9 h or l).
const altSeqLen = len(altSwitch) + 1

// feed follows the switches in p. It is on the way of every byte K9s
// draws, so it makes one pass over p, without copying it (two searches
// from the end and a copy per read were a fifth of the guard's CPU in a
// flood).
func (a *altTracker) feed(p []byte) {
	if len(a.tail) == 0 && bytes.IndexByte(p, 0x1b) < 0 {
		return
	}
	if len(a.tail) > 0 {
		// A switch begun at the end of the previous write: the tail starts
		// at its last ESC, so a switch found here starts there.
		var tmp [2 * len(altSwitch)]byte
		a.scan(append(append(tmp[:0], a.tail...), p[:min(len(p), altSeqLen-1)]...))
	}
	a.scan(p)
	// Keep a short tail: a switch may straddle this write and the next.
	switch i := bytes.LastIndexByte(p, 0x1b); {
	case i >= 0 && len(p)-i < altSeqLen:
		a.tail = append(a.tail[:0], p[i:]...)
	case i < 0 && len(a.tail)+len(p) < altSeqLen:
		a.tail = append(a.tail, p...)
	default:
		a.tail = a.tail[:0]
	}
}

// altSwitch is what the two switches share; the byte after it says which.
const altSwitch = "\x1b[?1049"

var altPrefix = []byte(altSwitch)

// scan follows the switches wholly inside b, in order. It looks for the
// '?' (rare in K9s's output, where ESC is in every colour change) and
// checks the bytes around it.
func (a *altTracker) scan(b []byte) {
	const q = 2 // the '?' is the third byte of a switch
	for i := q; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '?')
		if j < 0 {
			return
		}
		i += j
		if i-q+len(altPrefix) >= len(b) {
			return
		}
		if !bytes.HasPrefix(b[i-q:], altPrefix) {
			continue
		}
		switch b[i-q+len(altPrefix)] {
		case 'h':
			a.on, a.seen = true, true
		case 'l':
			a.on = false
		}
	}
}

// NewOutput wraps the real terminal's output.
func NewOutput(w io.Writer) *Output { return &Output{w: w} }

// FromChild writes K9s output, unless an overlay holds the screen.
func (o *Output) FromChild(p []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	before := o.seq
	o.seq = before.after(p)
	wasOn := o.alt.on
	o.alt.feed(p)
	o.away = o.alt.seen && !o.alt.on
	if wasOn && !o.alt.on {
		// K9s handed the screen to a child, which may take the alternate
		// screen itself (vim): the status line waits for the session to
		// find K9s's frame again before it is drawn.
		o.sticky = o.sticky[:0]
	}
	if o.paused {
		return nil
	}
	if o.skip {
		rest, done := before.rest(p)
		if !done {
			return nil
		}
		o.skip, p = false, rest
	}
	if len(o.sticky) > 0 && !o.seq.inside() && !o.away {
		o.buf = append(append(o.buf[:0], p...), o.sticky...)
		p = o.buf
	}
	_, err := o.w.Write(p)
	return err
}

// SetSticky sets what is drawn again after each chunk of K9s output (nil:
// nothing), as DrawBetweenFrames would draw it.
func (o *Output) SetSticky(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sticky = append(o.sticky[:0], p...)
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
	o.skip = o.seq.inside()
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
			if werr := teeAround(tee, buf[:n], out.FromChild); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
}

// A Digester is a tee that can take output in two steps: Queue before the
// terminal has it (cheap: whatever the user sees, the tee has at least
// queued) and Digest after (the work, which must not delay the terminal).
// The shadow screen is one.
type Digester interface {
	Queue(p []byte)
	Digest()
}

// teeAround writes p to the terminal with write and to tee, in that order
// for a plain writer (the shadow screen never delays the user) and around
// it for a Digester.
func teeAround(tee io.Writer, p []byte, write func([]byte) error) error {
	d, ok := tee.(Digester)
	if !ok {
		if err := write(p); err != nil {
			return err
		}
		_, _ = tee.Write(p)
		return nil
	}
	d.Queue(p)
	err := write(p)
	d.Digest()
	return err
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
// it cannot split one of K9s's escape sequences or characters: when K9s's
// output so far ends between characters. A status line written between the
// bytes of a box-drawing character turned it into two replacement
// characters, one cell too many, and on the bottom row the terminal
// scrolled. Nor does it draw while a child K9s started owns the screen
// (K9s left the alternate screen): vi's first line is vi's. Otherwise it
// skips this paint; the next one comes a moment later. It reports whether
// it drew.
func (o *Output) DrawBetweenFrames(p []byte) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused || o.seq.inside() || o.away {
		return false, nil
	}
	_, err := o.w.Write(p)
	return err == nil, err
}

// streamState is how a byte stream stands at its end: between
// characters, or inside an escape sequence or a UTF-8 character. It carries
// over from one chunk to the next: a pty read can end anywhere, and the
// rest of a sequence can arrive in a chunk with no ESC in it.
type streamState struct {
	kind seqKind
	need int // continuation bytes still to come, inside a UTF-8 character
}

// inside reports whether the stream stops inside a sequence or character.
func (st streamState) inside() bool { return st.kind != ground }

type seqKind uint8

const (
	ground    seqKind = iota
	escape            // after ESC (and any intermediate bytes)
	csi               // after ESC [, until a final byte 0x40-0x7e
	str               // OSC, DCS, APC, PM, SOS: until BEL or ESC \
	strEscape         // ESC inside a string sequence
	midRune           // inside a multi-byte UTF-8 character
)

// after is the state at the end of p, given the state before it. A chunk
// that starts between characters is scanned only from its last ESC (a new
// sequence starts there, whatever came before), so the common chunk costs a
// search for ESC and a look at its last few bytes.
func (st streamState) after(p []byte) streamState {
	if len(p) == 0 {
		return st
	}
	if st.kind == midRune {
		for st.need > 0 && len(p) > 0 && p[0]&0xc0 == 0x80 {
			p, st.need = p[1:], st.need-1
		}
		if len(p) == 0 && st.need > 0 {
			return st
		}
		// Complete, or cut short by a byte that starts something else
		// (the terminal then shows a replacement character and moves on).
		st = streamState{}
	}
	if st.kind != ground {
		if st, p = st.scan(p); st.kind != ground {
			return st
		}
	}
	if i := bytes.LastIndexByte(p, 0x1b); i >= 0 {
		if st, p = (streamState{kind: escape}).scan(p[i+1:]); st.kind != ground {
			return st
		}
	}
	return tailRune(p)
}

// scan consumes p until the sequence st is inside of ends, and returns the
// state and what is left of p.
func (st streamState) scan(p []byte) (streamState, []byte) {
	for len(p) > 0 && st.kind != ground {
		c := p[0]
		p = p[1:]
		switch st.kind {
		case strEscape:
			if c == '\\' {
				st.kind = ground
				continue
			}
			// Any other ESC in a string ends it and starts a sequence.
			st.kind = escape
			fallthrough
		case escape:
			switch {
			case c == '[':
				st.kind = csi
			case c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X':
				st.kind = str
			case c >= 0x20 && c <= 0x2f:
				// An intermediate byte, as in ESC ( B: the final byte follows.
			default:
				st.kind = ground
			}
		case csi:
			if c >= 0x40 && c <= 0x7e {
				st.kind = ground
			}
		case str:
			switch c {
			case 0x07:
				st.kind = ground
			case 0x1b:
				st.kind = strEscape
			}
		}
	}
	return st, p
}

// rest is what follows, in p, the end of the sequence or character st is
// inside of; done is false when p ends before it does.
func (st streamState) rest(p []byte) (_ []byte, done bool) {
	if st.kind == midRune {
		for st.need > 0 && len(p) > 0 && p[0]&0xc0 == 0x80 {
			p, st.need = p[1:], st.need-1
		}
		return p, st.need == 0 || len(p) > 0
	}
	st, p = st.scan(p)
	return p, st.kind == ground
}

// tailRune is the state after p, which ends outside any escape sequence:
// inside a character when p ends with the first bytes of one.
func tailRune(p []byte) streamState {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		c := p[i]
		if c&0xc0 == 0x80 {
			continue // a continuation byte: the character starts further back
		}
		n := 0 // the character's length, from its first byte
		switch {
		case c >= 0xf8:
			// Not UTF-8 at all; the terminal shows it as one character.
		case c >= 0xf0:
			n = 4
		case c >= 0xe0:
			n = 3
		case c >= 0xc0:
			n = 2
		}
		if have := len(p) - i; n > have {
			return streamState{kind: midRune, need: n - have}
		}
		return streamState{}
	}
	return streamState{}
}
