// Package memtrim gives back the memory start-up used and the session no
// longer needs: the pages of the program's own binary that only package
// initialisation touched (client-go registers every Kubernetes API type at
// start, which reads about half of the binary once).
package memtrim

// DropBinaryPages takes the running binary's read-only pages (code and
// constant data) out of this process's resident set. They are clean copies
// of the file: the kernel keeps them in its page cache, and the ones the
// program still uses come back on their next use, at the cost of a minor
// page fault each. Writable pages are never touched. It returns the bytes
// of the mappings it advised; where the platform has no such call it does
// nothing.
func DropBinaryPages() (int64, error) { return dropBinaryPages() }
