package otp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/k9s-guard/k9s-guard/internal/atomicfile"
	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// otpState is what Verify remembers between calls and across processes.
type otpState struct {
	// LastCounter is the RFC 6238 time step of the last accepted code; a
	// code for this step or any earlier one is a replay.
	LastCounter uint64    `json:"lastCounter"`
	Failures    int       `json:"failures"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
}

// otpStateLockWait bounds how long Verify waits for another k9s-guard
// process that holds the state lock. Holders keep it for a read and a
// write, so a long wait means a hung process, and the prompt should say
// so rather than freeze.
var otpStateLockWait = 5 * time.Second

// otpStateFile is the state shared by every k9s-guard process of the
// user: a JSON file updated read-modify-write under an exclusive flock.
// The lock is a separate file because the data file is replaced by rename
// on every write, and a lock on a replaced inode would guard nothing.
type otpStateFile struct {
	path string

	mu  sync.Mutex
	mem otpState // used when path is ""
}

func newOTPStateFile(path string) *otpStateFile { return &otpStateFile{path: path} }

// DefaultStatePath is $XDG_STATE_HOME/k9s-guard/otp-state.json, else
// ~/.local/state/k9s-guard/otp-state.json.
func DefaultStatePath(getenv func(string) string) string {
	return filepath.Join(baseDir(xdg.StateHome(getenv), getenv, ".local/state"), "k9s-guard", "otp-state.json")
}

// baseDir is dir, or when xdg found no absolute directory (no absolute
// HOME) the fallback under HOME as given: the passcode files must still
// have a path, because a state path of "" would keep the replay and
// lockout record in memory only.
func baseDir(dir string, getenv func(string) string, fallback string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(getenv("HOME"), fallback)
}

// update runs fn on the current state and saves it when fn reports a
// change, all under the cross-process lock.
func (f *otpStateFile) update(fn func(*otpState) (bool, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.path == "" {
		st := f.mem
		changed, err := fn(&st)
		if err == nil && changed {
			f.mem = st
		}
		return err
	}

	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("create otp state dir: %w", err)
	}
	lock := flock.New(f.path+".lock", flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), otpStateLockWait)
	defer cancel()
	locked, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !locked {
		return fmt.Errorf("lock otp state %s: another k9s-guard holds it: %w", f.path, errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }() // closing the file releases it anyway

	st, err := readOTPState(f.path)
	if err != nil {
		return err
	}
	changed, err := fn(&st)
	if err != nil || !changed {
		return err
	}
	return writeOTPState(f.path, st)
}

// readOTPState reads the state file; a missing file is a fresh state. A
// file others can write is refused: whoever can write it can reset the
// lockout and the replay counter.
func readOTPState(path string) (otpState, error) {
	var st otpState
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read otp state: %w", err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return st, fmt.Errorf("read otp state: %w", err)
	}
	if info.Mode().Perm()&0o022 != 0 {
		return st, fmt.Errorf("read otp state: %s is writable by group or others (mode %04o); run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	// A state file that does not parse is refused rather than treated as
	// fresh, which would quietly lift a lockout.
	if err := json.NewDecoder(fh).Decode(&st); err != nil {
		return otpState{}, fmt.Errorf("read otp state %s: %w (delete the file to reset it)", path, err)
	}
	return st, nil
}

// writeOTPState replaces the state file atomically, so a crash mid-write
// leaves the old state rather than a torn one.
func writeOTPState(path string, st otpState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode otp state: %w", err)
	}
	return writePrivate(path, append(data, '\n'))
}

// writePrivate replaces a 0600 file atomically; errors name only the file.
func writePrivate(path string, data []byte) error {
	if err := atomicfile.WritePrivate(path, data); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// LockStatus reports the failure count and any lockout recorded in the
// state file, for `k9s-guard otp status`. It takes the same lock as
// Verify, so it never reads a half-written file.
func LockStatus(statePath string, now time.Time) (failures int, lockedUntil time.Time, err error) {
	err = newOTPStateFile(statePath).update(func(st *otpState) (bool, error) {
		failures = st.Failures
		if st.lockedAt(now) {
			lockedUntil = st.LockedUntil
		}
		return false, nil
	})
	return failures, lockedUntil, err
}
