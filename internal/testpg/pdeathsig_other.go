//go:build unix && !linux

package testpg

import "os/exec"

// setParentDeathSignal does nothing where there is no parent-death signal:
// a postmaster orphaned by a killed test process shuts itself down within a
// minute once removeStaleDirs deletes its lock file on the next run.
func setParentDeathSignal(*exec.Cmd) {}
