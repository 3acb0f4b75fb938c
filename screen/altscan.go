package screen

import (
	"bytes"

	"github.com/charmbracelet/x/ansi"
)

// altScanner follows the alternate-screen switches in a byte stream without
// emulating it. K9s lives on the alternate screen; when it hands the
// terminal to a shell or an editor (exec, edit, plugins) it leaves it, and
// what those programs print is none of the shadow screen's business until
// K9s comes back. Skipping it keeps a flood of shell output (a `cat` of a
// big log in a pod) from costing the emulator's CPU.
//
// Until the stream has entered the alternate screen once, everything is
// kept: a terminal without an alternate screen (or a K9s that never used
// it) is emulated in full.
type altScanner struct {
	on   bool
	seen bool   // the alternate screen has been entered at least once
	tail []byte // the end of the previous chunk, for sequences split across reads
}

// The sequences that enter and leave the alternate screen (xterm's 1049,
// 1047 and the older 47).
var (
	altEnter = [][]byte{[]byte(ansi.SetModeAltScreenSaveCursor), []byte(ansi.SetModeAltScreen), []byte(ansi.SetMode(ansi.DECMode(47)))}
	altLeave = [][]byte{[]byte(ansi.ResetModeAltScreenSaveCursor), []byte(ansi.ResetModeAltScreen), []byte(ansi.ResetMode(ansi.DECMode(47)))}
)

const maxAltSeq = len(ansi.SetModeAltScreenSaveCursor)

// keep returns the parts of p the emulator must see: everything while on
// the alternate screen, and each switch sequence itself (so the emulator's
// own mode tracking stays right). Off the alternate screen the rest is
// dropped.
func (a *altScanner) keep(p []byte) [][]byte {
	if !a.mayHaveSwitch(p) {
		// The common case, on the output path: no copy, no allocation.
		a.setTail(p)
		if a.on || !a.seen {
			return [][]byte{p}
		}
		return nil
	}
	// Search the previous tail plus p, so a sequence split across two reads
	// is still found. Bytes before shift belong to the previous chunk: a
	// sequence that ends there was handled then.
	buf := append(append([]byte(nil), a.tail...), p...)
	shift := len(a.tail)
	var out [][]byte
	from := shift // start of the part of buf not yet handed out or dropped
	search := 0
	for {
		seqs := altEnter
		if a.on {
			seqs = altLeave
		}
		at, end := -1, 0
		for _, sq := range seqs {
			for i := search; ; {
				j := bytes.Index(buf[i:], sq)
				if j < 0 {
					break
				}
				if e := i + j + len(sq); e > shift {
					if at < 0 || i+j < at {
						at, end = i+j, e
					}
					break
				}
				i += j + 1
			}
		}
		if at < 0 {
			break
		}
		if a.on {
			// Everything up to and including the leave sequence.
			out = append(out, buf[from:end])
		} else if !a.seen {
			// Before the first switch everything is kept, so the part of the
			// sequence in the previous chunk was handed out already.
			out = append(out, buf[from:end])
		} else {
			// The whole enter sequence, even the part that arrived in the
			// previous chunk (dropped then, being off the alternate screen).
			out = append(out, buf[at:end])
		}
		if !a.on {
			a.seen = true
		}
		a.on = !a.on
		from, search = end, end
	}
	if (a.on || !a.seen) && from < len(buf) {
		out = append(out, buf[from:])
	}
	if len(buf) > maxAltSeq {
		a.tail = append(a.tail[:0], buf[len(buf)-maxAltSeq:]...)
	} else {
		a.tail = append(a.tail[:0], buf...)
	}
	return out
}

// mayHaveSwitch reports whether the next switch the scanner looks for may
// be in p or straddle the previous chunk and p. One pass over p: this runs
// on every read of K9s's output.
func (a *altScanner) mayHaveSwitch(p []byte) bool {
	seqs := altEnter
	if a.on {
		seqs = altLeave
	}
	var tmp [2 * maxAltSeq]byte
	edge := append(append(tmp[:0], a.tail...), p[:min(len(p), maxAltSeq)]...)
	return containsAny(edge, seqs) || containsAny(p, seqs)
}

// containsAny reports whether b contains one of seqs, each of which starts
// with CSI ? (ESC [ ?). It looks for the '?' (rare in K9s's output, where
// ESC is in every colour change) and checks the bytes around it.
func containsAny(b []byte, seqs [][]byte) bool {
	for i := 2; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '?')
		if j < 0 {
			return false
		}
		i += j
		if b[i-2] != 0x1b || b[i-1] != '[' {
			continue
		}
		for _, sq := range seqs {
			if bytes.HasPrefix(b[i-2:], sq) {
				return true
			}
		}
	}
	return false
}

// setTail keeps the last bytes of the stream for the next search.
func (a *altScanner) setTail(p []byte) {
	if len(p) >= maxAltSeq {
		a.tail = append(a.tail[:0], p[len(p)-maxAltSeq:]...)
		return
	}
	a.tail = append(a.tail, p...)
	if len(a.tail) > maxAltSeq {
		a.tail = a.tail[len(a.tail)-maxAltSeq:]
	}
}
