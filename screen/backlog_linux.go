package screen

import "golang.org/x/sys/unix"

// adviseHuge asks for transparent huge pages (one fault per 2 MiB of a
// flood instead of one per 4 KiB) where the system offers them on request.
func adviseHuge(p []byte) { _ = unix.Madvise(p, unix.MADV_HUGEPAGE) }

// populate makes p resident, zeroed by the system, without writing to it:
// bytes a writer puts there meanwhile are kept (Linux 5.14 and later; a
// no-op before).
func populate(p []byte) { _ = unix.Madvise(p, unix.MADV_POPULATE_WRITE) }
