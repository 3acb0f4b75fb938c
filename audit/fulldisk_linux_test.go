package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// /dev/full fails every write with ENOSPC: the error must say so plainly,
// because the user will see it as the reason elevation was refused.
func TestAppendToFullDeviceFails(t *testing.T) {
	devBefore, err := os.Stat("/dev/full")
	if err != nil {
		t.Skip("no /dev/full on this system")
	}
	// Through a symlink, so the lock file lands in a temp dir, not /dev.
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = l.Append(Record{Event: EventStepupGranted})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "append audit record to "+path) ||
		!strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Append = %v, want a clear ENOSPC error", err)
	}
	// Open tightens the mode of regular files only; a device is not ours.
	if devAfter, _ := os.Stat("/dev/full"); devAfter.Mode() != devBefore.Mode() {
		t.Fatalf("/dev/full mode changed from %v to %v", devBefore.Mode(), devAfter.Mode())
	}
}

// A real full file system: a small tmpfs filled until a record no longer
// fits. The failed Append must leave the file verifiable with no torn
// line, and the chain must carry on once space is freed.
func TestAppendOnFullFilesystem(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v; needs root or CAP_SYS_ADMIN): the full-disk case is covered by TestShortWriteFailsCleanly and TestAppendToFullDeviceFails", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })

	path := filepath.Join(dir, "audit.jsonl")
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Take most of the space with a filler we can free later.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, bytes.Repeat([]byte("x"), 48<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; n < 10000; n++ {
		if err = l.Append(sampleRecord(n)); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") ||
		!strings.Contains(err.Error(), "nothing was recorded") {
		t.Fatalf("after %d records: Append = %v, want ENOSPC with nothing recorded", n, err)
	}
	if rep := verifyFile(t, path); !rep.OK() || rep.Records != n || len(rep.Torn) != 0 {
		t.Fatalf("after the failed append (%d ok): %+v", n, rep)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Record{Event: EventSessionEnd}); err != nil {
		t.Fatal(err)
	}
	// The chain holds, but the record that did not fit used up its
	// number: verify reports the hole instead of saying all is well.
	rep := verifyFile(t, path)
	if len(rep.Problems) != 0 || rep.Records != n+1 || len(rep.Torn) != 0 {
		t.Fatalf("after space returned: %+v", rep)
	}
	if rep.OK() || len(rep.Gaps) != 1 || rep.Gaps[0].From != int64(n+1) || rep.Gaps[0].To != int64(n+1) {
		t.Fatalf("the lost record is not reported as a gap: %+v", rep.Gaps)
	}
	t.Logf("disk full after %d records", n)
}
