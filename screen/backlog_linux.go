package screen

import "golang.org/x/sys/unix"

// adviseHuge asks for transparent huge pages (one fault per 2 MiB of a
// flood instead of one per 4 KiB) where the system offers them on request.
func adviseHuge(p []byte) { _ = unix.Madvise(p, unix.MADV_HUGEPAGE) }
