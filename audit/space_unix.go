//go:build linux || darwin

package audit

import (
	"os"
	"syscall"
)

// freeSpace is the space an unprivileged writer may still use on f's file
// system.
func freeSpace(f *os.File) (uint64, bool, error) {
	var st syscall.Statfs_t
	if err := syscall.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, false, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true, nil //nolint:unconvert // Bsize is int64 on Linux, uint32 on macOS
}
