//go:build unix

package screen

import "golang.org/x/sys/unix"

// mapBacklog maps n bytes of anonymous memory, resident only as far as
// they are written to; the Go heap where mapping fails.
func mapBacklog(n int) []byte {
	mem, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return make([]byte, n)
	}
	if n > releaseAbove {
		adviseHuge(mem[releaseAbove:])
	}
	return mem
}

// releaseBacklog gives pages of the ring back to the system (they read as
// zeros after, which the ring never relies on).
func releaseBacklog(p []byte) { _ = unix.Madvise(p, unix.MADV_DONTNEED) }

func unmapBacklog(mem []byte) { _ = unix.Munmap(mem) }
