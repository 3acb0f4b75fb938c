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
}

// OK reports whether the chain holds (torn lines allowed).
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify walks the chain of an audit file and reports every record whose
// prev is not the hash of the record before it (Genesis for the first).
// The error is only for failing to read; a broken chain is in the Report.
func Verify(r io.Reader) (Report, error) {
	var rep Report
	want, want2 := Genesis, "" // hashes of the last two records
	prevLine, prevLine2 := 0, 0
	err := scan(r, func(line int, raw []byte, rec Record, ok bool) {
		if !ok {
			rep.Torn = append(rep.Torn, line)
			return
		}
		rep.Records++
		n := rep.Records
		bad := func(format string, args ...any) {
			rep.Problems = append(rep.Problems, Problem{Line: line, Record: n, Msg: fmt.Sprintf(format, args...)})
		}
		switch {
		case rec.V != SchemaVersion:
			bad("schema version %d is not one this build reads (%d)", rec.V, SchemaVersion)
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
		want, want2 = Hash(raw), want
		prevLine, prevLine2 = line, prevLine
	})
	if rep.Records > 0 {
		rep.Last = want
	}
	return rep, err
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
