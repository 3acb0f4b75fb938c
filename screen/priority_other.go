//go:build !linux

package screen

// lowerThreadPriority is a no-op where nice is per process, not per thread
// (lowering the whole process would slow the pass-through too).
func lowerThreadPriority() {}
