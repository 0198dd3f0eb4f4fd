package testpg

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal asks the kernel for an immediate shutdown of the
// postmaster (SIGQUIT) when the thread that started it exits.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
}
