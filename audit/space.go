package audit

import (
	"errors"
	"fmt"
)

// MinFree is the free space the audit trail's file system must have when a
// session starts. A record is a few hundred bytes and a busy session writes
// a few hundred; below this the trail would fill up mid-session, and every
// elevation after that would be refused.
const MinFree = 1 << 20

// CheckWritable makes sure, before a session relies on it, that the trail
// can take records: the file is open for writing, it is a regular file or
// a device the user chose, and its file system has at least MinFree bytes
// free. A session checks this before K9s starts, so a full disk is seen at
// the start, not in the middle of an incident.
func (l *Log) CheckWritable() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("check audit log: log is closed")
	}
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("check audit log: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil // a device or pipe the user pointed the trail at
	}
	free, ok, err := freeSpace(l.f)
	if err != nil {
		return fmt.Errorf("check audit log %s: free space: %w", l.path, err)
	}
	if ok && free < MinFree {
		return fmt.Errorf("check audit log %s: only %d KiB free on its file system, and k9s-guard needs %d KiB to record a session", l.path, free>>10, MinFree>>10)
	}
	return nil
}
