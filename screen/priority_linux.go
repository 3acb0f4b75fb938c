package screen

import "golang.org/x/sys/unix"

// lowerThreadPriority makes the calling OS thread the last to get the CPU
// (nice 19). Linux applies nice per thread.
func lowerThreadPriority() {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
}
