package cluster

import "syscall"

// sysProcAttr kills the control plane with the test process, so a crashed
// test leaves no etcd or kube-apiserver behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
