//go:build !linux

package chaos

import "syscall"

// Elsewhere there is no parent-death signal: the harness's own clean-up on
// exit (and on SIGINT/SIGTERM) is all there is.
func setDeathSignal(*syscall.SysProcAttr, syscall.Signal) {}
