//go:build unix && !linux

package procpool

import "syscall"

// sysProcAttr puts a worker in its own process group: a terminal's Ctrl-C
// reaches the parent only, which decides what stops.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
