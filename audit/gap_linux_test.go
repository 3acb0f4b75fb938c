package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFullDiskSessionsLeaveVisibleGaps stops this loss: with 4 KiB free,
// twelve sessions wrote 17 of the 24 records they should have and `audit
// verify` still said the chain holds, because a record that did not fit
// was rolled back without a trace. Now each session numbers its records,
// so every record that was not written is a gap or a missing end in the
// report; and CheckWritable refuses the nearly full file system up front.
func TestFullDiskSessionsLeaveVisibleGaps(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v; needs root or CAP_SYS_ADMIN)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	path := filepath.Join(dir, "audit.jsonl")
	// Leave about 4 KiB of the 64 KiB free.
	free := func() int64 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		return int64(st.Bavail) * int64(st.Bsize)
	}
	if err := os.WriteFile(filepath.Join(dir, "filler"), bytes.Repeat([]byte("x"), int(free()-4<<10)), 0o600); err != nil {
		t.Fatal(err)
	}

	written, lost := 0, 0
	for i := range 12 {
		l, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := l.CheckWritable(); err == nil || !strings.Contains(err.Error(), "KiB free") {
				t.Errorf("CheckWritable with %d bytes free = %v, want a refusal that says how much is free", free(), err)
			}
		}
		// A session that cannot write its start would not run; here the
		// sessions carry on regardless, as the old code did, to show that
		// nothing is lost in silence even then.
		for _, r := range []Record{{Event: EventSessionStart}, {Event: EventSessionEnd}} {
			if err := l.Append(r); err != nil {
				lost++
			} else {
				written++
			}
		}
		l.Close()
	}
	if lost == 0 {
		t.Fatalf("all %d records fitted in 4 KiB; the test needs a full disk", written)
	}
	rep := verifyFile(t, path)
	missing := len(rep.Unfinished)
	for _, g := range rep.Gaps {
		missing += int(g.To - g.From + 1)
	}
	// A session whose start was lost and whose end was written shows a
	// gap; one whose end was lost shows as unfinished; one that lost both
	// left nothing at all, and is the only kind verify cannot see.
	whollyLost := 24 - rep.Records - missing
	if rep.OK() && len(rep.Unfinished) == 0 {
		t.Fatalf("%d of 24 records written and verify reports nothing missing: %+v", written, rep)
	}
	if rep.Records != written || whollyLost%2 != 0 || whollyLost > lost {
		t.Fatalf("written %d, lost %d; verify saw %d records, %d gaps, %d unfinished", written, lost, rep.Records, len(rep.Gaps), len(rep.Unfinished))
	}
	t.Logf("%d records written, %d lost; verify: %d gaps, %d unfinished sessions, %d sessions wholly lost", written, lost, len(rep.Gaps), len(rep.Unfinished), whollyLost/2)
}
