package audit

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// chain writes n sample records through the real writer and returns the
// file's lines (without newlines).
func chain(t *testing.T, n int) [][]byte {
	t.Helper()
	l := openTemp(t, Options{Session: "tamper"})
	for i := 1; i <= n; i++ {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
}

func join(lines [][]byte) []byte {
	return append(bytes.Join(lines, []byte("\n")), '\n')
}

func clone(lines [][]byte) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		out[i] = bytes.Clone(l)
	}
	return out
}

// The tamper corpus: each case is an attack on the trail after the fact,
// by someone who can write the file but cannot recompute the chain for
// records held elsewhere. Each must be caught at the right line.
func TestVerifyDetectsTampering(t *testing.T) {
	orig := chain(t, 10)
	if rep, err := Verify(bytes.NewReader(join(orig))); err != nil || !rep.OK() || rep.Records != 10 {
		t.Fatalf("untouched chain: %+v, %v", rep, err)
	}

	for _, tc := range []struct {
		name     string
		edit     func(l [][]byte) []byte
		line     int    // where the first problem must be reported
		contains string // and what it must say
		records  int
		torn     []int
		most     int // problems one edit may cause (default 2)
	}{{
		// Attack: covering up what was done by rewriting one field of a
		// record (the name of the deleted object). Record 5 is changed;
		// the break shows where record 6 stops chaining to it.
		name: "changed field",
		edit: func(l [][]byte) []byte {
			l[4] = bytes.Replace(l[4], []byte(`"name":"web-5"`), []byte(`"name":"web-X"`), 1)
			return join(l)
		},
		line: 6, contains: "does not chain to record 5 on line 5", records: 10,
	}, {
		// Attack: hiding an elevation by deleting its record.
		name: "deleted record",
		edit: func(l [][]byte) []byte { return join(append(l[:4:4], l[5:]...)) },
		line: 5, contains: "does not chain to record 4 on line 4", records: 9,
	}, {
		// Attack: deleting the oldest records (the start of the trail).
		name: "deleted first record",
		edit: func(l [][]byte) []byte { return join(l[1:]) },
		line: 1, contains: "records before it were removed", records: 9,
	}, {
		// Attack: reordering records so an action seems to come after a
		// step-up (or after the window closed).
		name: "two records swapped",
		edit: func(l [][]byte) []byte { l[4], l[5] = l[5], l[4]; return join(l) },
		line: 5, contains: "does not chain to record 4 on line 4", records: 10, most: 3,
	}, {
		// Attack: cutting the file in the middle of a record. The cut
		// record is reported as torn; the records before it still hold.
		name: "truncated file",
		edit: func(l [][]byte) []byte {
			b := join(l)
			return b[:len(b)-len(l[9])/2]
		},
		line: 0, records: 9, torn: []int{10},
	}, {
		// Attack: inserting a forged grant, with a correct prev so that
		// the forged record itself fits; the next real record does not.
		name: "inserted forged record",
		edit: func(l [][]byte) []byte {
			forged := fmt.Sprintf(`{"v":1,"time":"2026-03-01T11:00:00.0055Z","session":"tamper","event":"stepup.granted","user":"alice","host":"h","pid":1,"context":"prod","prev":"%s"}`, Hash(l[4]))
			return join(append(l[:5:5], append([][]byte{[]byte(forged)}, l[5:]...)...))
		},
		line: 7, contains: "passing over record 6 on line 6: that record was inserted", records: 11,
	}, {
		// Attack: the same, without bothering to get prev right.
		name: "inserted record with a made-up prev",
		edit: func(l [][]byte) []byte {
			forged := []byte(strings.Replace(string(l[4]), `"prev":"`, `"prev":"f`, 1))
			return join(append(l[:5:5], append([][]byte{forged}, l[5:]...)...))
		},
		line: 6, contains: "does not chain to record 5 on line 5", records: 11,
	}, {
		// Attack: "harmless" reformatting (an editor re-indenting, a tool
		// re-serialising) is still a change to the signed bytes.
		name: "whitespace edit",
		edit: func(l [][]byte) []byte {
			l[2] = bytes.Replace(l[2], []byte(`,"event"`), []byte(`, "event"`), 1)
			return join(l)
		},
		line: 4, contains: "does not chain to record 3 on line 3", records: 10,
	}, {
		// Attack: a record claiming to start a new chain in the middle.
		name: "restarted chain",
		edit: func(l [][]byte) []byte {
			l[6] = bytes.Replace(l[6], []byte(`"prev":"`), []byte(`"prev":"`+Genesis+`","x":"`), 1)
			return join(l)
		},
		line: 7, contains: "starts a new chain in the middle", records: 10,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Verify(bytes.NewReader(tc.edit(clone(orig))))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != tc.records {
				t.Errorf("records = %d, want %d", rep.Records, tc.records)
			}
			if fmt.Sprint(rep.Torn) != fmt.Sprint(tc.torn) && (len(rep.Torn) != 0 || len(tc.torn) != 0) {
				t.Errorf("torn = %v, want %v", rep.Torn, tc.torn)
			}
			if tc.line == 0 {
				if !rep.OK() {
					t.Fatalf("problems %v, want none", rep.Problems)
				}
				return
			}
			if rep.OK() {
				t.Fatal("tampering not detected")
			}
			p := rep.Problems[0]
			if p.Line != tc.line || !strings.Contains(p.Msg, tc.contains) {
				t.Fatalf("first problem %v, want line %d saying %q", p, tc.line, tc.contains)
			}
			// One edit is one finding (a swap touches three links), not a
			// cascade down the rest of the file.
			if tc.most == 0 {
				tc.most = 2
			}
			if len(rep.Problems) > tc.most {
				t.Errorf("%d problems reported for one edit: %v", len(rep.Problems), rep.Problems)
			}
		})
	}
}

// Attack: removing the newest records, or rewriting the whole chain from
// some point on. Neither breaks the local chain; both change the head hash,
// which is why Report.Last is printed and the syslog sink ships every
// record off the machine. This test pins that limitation down.
func TestTailAttacksChangeTheHeadHash(t *testing.T) {
	orig := chain(t, 5)
	anchor, _ := Verify(bytes.NewReader(join(orig)))

	cut, _ := Verify(bytes.NewReader(join(orig[:4])))
	if !cut.OK() || cut.Last == anchor.Last {
		t.Fatalf("truncation at a record boundary: %+v (anchor %s)", cut, anchor.Last)
	}

	rewritten := clone(orig)
	rewritten[3] = bytes.Replace(rewritten[3], []byte("web-4"), []byte("web-X"), 1)
	rewritten[4] = bytes.Replace(rewritten[4], []byte(Hash(orig[3])), []byte(Hash(rewritten[3])), 1)
	rw, _ := Verify(bytes.NewReader(join(rewritten)))
	if !rw.OK() || rw.Last == anchor.Last {
		t.Fatalf("rewritten tail: %+v (anchor %s)", rw, anchor.Last)
	}
}

func TestVerifyEmptyAndTornOnly(t *testing.T) {
	rep, err := Verify(strings.NewReader(""))
	if err != nil || !rep.OK() || rep.Records != 0 || rep.Last != "" {
		t.Fatalf("empty: %+v, %v", rep, err)
	}
	rep, _ = Verify(strings.NewReader("{\"v\":1,\"ti"))
	if !rep.OK() || rep.Records != 0 || fmt.Sprint(rep.Torn) != "[1]" {
		t.Fatalf("torn only: %+v", rep)
	}
}

func TestVerifyRejectsUnknownSchemaVersion(t *testing.T) {
	rep, _ := Verify(strings.NewReader(`{"v":3,"event":"session.start","prev":"` + Genesis + `"}` + "\n"))
	if rep.OK() || !strings.Contains(rep.Problems[0].Msg, "schema version 3") {
		t.Fatalf("%+v", rep)
	}
}
