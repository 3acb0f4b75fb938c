// Package atomicfile replaces small private files (the session kubeconfig,
// the passcode state, caches) so that a reader, or the next run after a
// crash, sees the old content or the new, never a torn or empty file.
package atomicfile

import (
	"path/filepath"

	"github.com/google/renameio/v2"
)

// WritePrivate replaces path with data, mode 0600. The temporary file is
// created in path's own directory under a random name (never $TMPDIR, where
// a secret does not belong, and never a fixed name two writers could
// share), fsynced before the rename so a crash cannot leave a zero-length
// file, and removed on any failure. The mode is set whatever the umask or
// the old file's mode was: renameio.WriteFile would keep an existing file's
// mode, which would let a file once made readable stay readable.
func WritePrivate(path string, data []byte) error {
	f, err := renameio.NewPendingFile(path,
		renameio.WithTempDir(filepath.Dir(path)),
		renameio.WithStaticPermissions(0o600))
	if err != nil {
		return err
	}
	defer func() { _ = f.Cleanup() }() // a no-op once replaced
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}
