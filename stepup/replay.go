package stepup

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

// DefaultOTPStatePath is $XDG_STATE_HOME/k9s-guard/otp-state.json, else
// ~/.local/state/k9s-guard/otp-state.json.
func DefaultOTPStatePath(getenv func(string) string) string {
	return filepath.Join(otpXDGDir(getenv, "XDG_STATE_HOME", ".local/state"), "k9s-guard", "otp-state.json")
}

// otpXDGDir resolves an XDG base directory; a relative value is ignored,
// as the specification requires.
func otpXDGDir(getenv func(string) string, env, fallback string) string {
	if d := getenv(env); filepath.IsAbs(d) {
		return d
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, fallback)
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
	defer lock.Unlock()

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
	return otpWriteFileAtomic(path, append(data, '\n'))
}

// otpWriteFileAtomic writes a 0600 file through a temporary file in the same
// directory and a rename.
func otpWriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// OTPLockStatus reports the failure count and any lockout recorded in the
// state file, for `k9s-guard otp status`. It takes the same lock as
// Verify, so it never reads a half-written file.
func OTPLockStatus(statePath string, now time.Time) (failures int, lockedUntil time.Time, err error) {
	err = newOTPStateFile(statePath).update(func(st *otpState) (bool, error) {
		failures = st.Failures
		if st.lockedAt(now) {
			lockedUntil = st.LockedUntil
		}
		return false, nil
	})
	return failures, lockedUntil, err
}
