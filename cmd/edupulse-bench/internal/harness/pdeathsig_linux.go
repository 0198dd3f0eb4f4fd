package harness

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the child if the benchmark dies without
// stopping it, so that no server outlives a run.
func setParentDeathSignal(cmd *exec.Cmd) { cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL }
