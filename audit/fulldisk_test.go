package audit

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fsizeLimit leaves room for a few records, so the next write is cut short
// part-way through a record, as on a disk that fills up mid-write.
const fsizeLimit = 2000

// runFsizeChild appends under RLIMIT_FSIZE until a write fails, then
// prints how many records went in and the error. It runs in a child
// process because the limit applies to the whole process.
func runFsizeChild(path string) error {
	// Without this the kernel kills the process at the limit instead of
	// failing the write with EFBIG.
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: fsizeLimit, Max: fsizeLimit}); err != nil {
		return err
	}
	l, err := Open(path, Options{})
	if err != nil {
		return err
	}
	for i := range 100 {
		if err := l.Append(sampleRecord(i)); err != nil {
			fmt.Printf("%d\n%v\n", i, err)
			return nil
		}
	}
	return fmt.Errorf("no write failed under a %d-byte limit", fsizeLimit)
}

// A write cut short by a full disk (here: the file size limit, which any
// user can set) must fail Append with a clear error and leave no partial
// record behind; once space returns, the chain carries on.
func TestShortWriteFailsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := child(t, "fsize", path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; stderr: %s", err, cmd.Stderr)
	}
	var n int
	if _, err := fmt.Sscanf(string(out), "%d\n", &n); err != nil {
		t.Fatalf("child output %q", out)
	}
	msg := strings.SplitN(string(out), "\n", 3)[1]
	if n == 0 || !strings.Contains(msg, "append audit record to "+path) || !strings.Contains(msg, "file too large") ||
		!strings.Contains(msg, "nothing was recorded") {
		t.Fatalf("after %d records, error %q: want a clear append error", n, msg)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.HasSuffix(raw, []byte("\n")) {
		t.Fatalf("partial record left behind: ...%q", raw[max(0, len(raw)-40):])
	}
	rep := verifyFile(t, path)
	if !rep.OK() || rep.Records != n || len(rep.Torn) != 0 {
		t.Fatalf("after the failed write: %+v", rep)
	}
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Append(Record{Event: EventSessionEnd}); err != nil {
		t.Fatal(err)
	}
	if rep := verifyFile(t, path); !rep.OK() || rep.Records != n+1 {
		t.Fatalf("after space returned: %+v", rep)
	}
}
