package procpool

import "syscall"

// sysProcAttr puts a worker in its own process group (a terminal's Ctrl-C
// reaches the parent only, which decides what stops) and kills it when
// the parent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
