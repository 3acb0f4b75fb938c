package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Problem is a record that does not fit the chain.
type Problem struct {
	// Line is the 1-based line of the file.
	Line int
	// Record is the 1-based position among the file's records (torn lines
	// are not records, so it can be smaller than Line).
	Record int
	Msg    string
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d (record %d): %s", p.Line, p.Record, p.Msg)
}

// Report is what Verify found.
type Report struct {
	// Records counts the lines that are records, whether they fit or not.
	Records int
	// Problems lists every record that does not fit, first one first.
	// After a problem the walk resumes from that record, so one edit is
	// reported once, not once per following record.
	Problems []Problem
	// Torn lists lines that are not records: a write cut short by a crash
	// or a full disk. The chain skips them; they are not by themselves
	// evidence of tampering, since removing a whole record is what the
	// chain detects.
	Torn []int
	// Last is the hash of the last record: keep it somewhere else (a
	// ticket, the syslog collector) and the tail can be checked too.
	Last string
	// Gaps lists records a session numbered but that are not in the file:
	// never written (a full disk) or removed with the chain mended.
	Gaps []Gap
	// Unfinished lists sessions with a start and no end record: still
	// running, killed, or their end could not be written. Not by itself a
	// fault, so it does not fail OK.
	Unfinished []Unfinished
}

// Gap is a run of missing sequence numbers in one session.
type Gap struct {
	Session string
	// From and To are the first and last missing numbers.
	From, To int64
	// Line is where the record after the gap is.
	Line int
}

func (g Gap) String() string {
	n := "record"
	if g.To > g.From {
		n = "records"
	}
	if g.To == g.From {
		return fmt.Sprintf("line %d: session %s: %s %d is missing (not written, or removed)", g.Line, g.Session, n, g.From)
	}
	return fmt.Sprintf("line %d: session %s: %s %d to %d are missing (not written, or removed)", g.Line, g.Session, n, g.From, g.To)
}

// Unfinished is a session whose end is not in the file.
type Unfinished struct {
	Session string
	Last    int64 // its last sequence number in the file
	Line    int   // the line of that record
}

func (u Unfinished) String() string {
	return fmt.Sprintf("session %s has no end record after record %d (line %d): it is still running, was killed, or its end could not be written", u.Session, u.Last, u.Line)
}

// OK reports whether the chain holds and no numbered record is missing
// (torn lines allowed).
func (r Report) OK() bool { return len(r.Problems) == 0 && len(r.Gaps) == 0 }

// Verify walks the chain of an audit file and reports every record whose
// prev is not the hash of the record before it (Genesis for the first).
// The error is only for failing to read; a broken chain is in the Report.
func Verify(r io.Reader) (Report, error) {
	var rep Report
	want, want2 := Genesis, "" // hashes of the last two records
	prevLine, prevLine2 := 0, 0
	seqs := newSeqCheck()
	err := scan(r, func(line int, raw []byte, rec Record, ok bool) {
		if !ok {
			rep.Torn = append(rep.Torn, line)
			return
		}
		rep.Records++
		n := rep.Records
		before := len(rep.Problems)
		bad := func(format string, args ...any) {
			rep.Problems = append(rep.Problems, Problem{Line: line, Record: n, Msg: fmt.Sprintf(format, args...)})
		}
		switch {
		case rec.V < MinSchemaVersion || rec.V > SchemaVersion:
			bad("schema version %d is not one this build reads (%d to %d)", rec.V, MinSchemaVersion, SchemaVersion)
		case rec.Prev == want:
		case n == 1:
			bad("the first record does not start a chain (its prev is %.12s…, not the genesis hash): records before it were removed", rec.Prev)
		case n > 2 && rec.Prev == want2:
			bad("chains to record %d on line %d, passing over record %d on line %d: that record was inserted or moved", n-2, prevLine2, n-1, prevLine)
		case rec.Prev == Genesis:
			bad("record starts a new chain in the middle of the file (prev is the genesis hash): the records before it were removed or this one was inserted")
		default:
			bad("does not chain to record %d on line %d (prev %.12s…, that record hashes to %.12s…): record %d was altered or removed, or this record was inserted or moved",
				n-1, prevLine, rec.Prev, want, n-1)
		}
		chained := len(rep.Problems) == before
		want, want2 = Hash(raw), want
		prevLine, prevLine2 = line, prevLine
		// A number that goes backwards is only news when the chain did not
		// already say the record was moved.
		if p := seqs.add(line, rec, &rep); p != "" && chained {
			bad("%s", p)
		}
	})
	if rep.Records > 0 {
		rep.Last = want
	}
	rep.Unfinished = seqs.unfinished()
	return rep, err
}

// seqCheck follows each session's sequence numbers (schema version 2).
type seqCheck struct {
	last  map[string]int64
	line  map[string]int
	open  map[string]bool // started and not ended
	order []string
}

func newSeqCheck() *seqCheck {
	return &seqCheck{last: map[string]int64{}, line: map[string]int{}, open: map[string]bool{}}
}

// add checks one record's number against its session's last; it records
// a gap in rep, and returns a problem for a number that goes backwards.
func (c *seqCheck) add(line int, rec Record, rep *Report) string {
	if rec.Seq == 0 {
		return "" // schema version 1: not numbered
	}
	s := rec.Session
	last, seen := c.last[s]
	if !seen {
		c.order = append(c.order, s)
	}
	switch {
	case rec.Seq <= last:
		return fmt.Sprintf("session %s numbers this record %d after record %d: it was copied or moved", s, rec.Seq, last)
	case rec.Seq > last+1:
		rep.Gaps = append(rep.Gaps, Gap{Session: s, From: last + 1, To: rec.Seq - 1, Line: line})
	}
	c.last[s], c.line[s] = rec.Seq, line
	switch rec.Event {
	case EventSessionStart:
		c.open[s] = true
	case EventSessionEnd:
		delete(c.open, s)
	}
	return ""
}

func (c *seqCheck) unfinished() []Unfinished {
	var out []Unfinished
	for _, s := range c.order {
		if c.open[s] {
			out = append(out, Unfinished{Session: s, Last: c.last[s], Line: c.line[s]})
		}
	}
	return out
}

// Read returns the records of an audit file in order, skipping torn lines.
// It does not check the chain; Verify does.
func Read(r io.Reader) ([]Record, error) {
	var out []Record
	err := scan(r, func(_ int, _ []byte, rec Record, ok bool) {
		if ok {
			out = append(out, rec)
		}
	})
	return out, err
}

// scan calls fn for each line (1-based), including a last line without a
// newline. A bufio.Reader rather than a Scanner: a line has no length
// limit, and a hostile huge line must be reported, not abort the walk.
func scan(r io.Reader, fn func(line int, raw []byte, rec Record, ok bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			raw := bytes.TrimSuffix(b, []byte{'\n'})
			rec, ok := parseLine(raw)
			fn(n, raw, rec, ok)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
	}
}
