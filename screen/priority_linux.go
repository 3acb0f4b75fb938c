package screen

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority makes the calling OS thread run only when a CPU would
// otherwise be idle (SCHED_IDLE), falling back to nice 19 where that is
// refused. Linux schedules threads individually, so this slows the shadow
// screen and nothing else.
func lowerThreadPriority() {
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_IDLE}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
	}
}
