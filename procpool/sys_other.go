//go:build !unix

package procpool

import "syscall"

// sysProcAttr is the default elsewhere.
func sysProcAttr() *syscall.SysProcAttr { return nil }
