//go:build unix

package testpg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"syscall"
)

// credential is the user the cluster runs as: initdb and postgres refuse to
// run as root, so a root test process hands them to the user nobody.
type credential struct {
	set      bool
	uid, gid uint32
}

func runAs() (*credential, error) {
	if os.Geteuid() != 0 {
		return &credential{}, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: no user nobody to run it as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of nobody: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of nobody: %w", err)
	}
	return &credential{set: true, uid: uint32(uid), gid: uint32(gid)}, nil
}

func (c *credential) own(paths ...string) error {
	if !c.set {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(c.uid), int(c.gid)); err != nil {
			return fmt.Errorf("hand %s to nobody: %w", p, err)
		}
	}
	return nil
}

func (c *credential) apply(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if c.set {
		// Groups empty: drop root's supplementary groups too.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.uid, Gid: c.gid, Groups: []uint32{}}
	}
}

// startChild starts cmd and closes done when it exits. Where the platform
// allows, the child is also told to quit when this process dies, so a test
// binary killed by -timeout does not leave a postmaster behind. Linux sends
// that signal when the forking *thread* exits, so the fork happens on a
// thread locked to a goroutine that lives as long as the child.
func startChild(cmd *exec.Cmd, done chan<- struct{}) (*os.Process, error) {
	setParentDeathSignal(cmd)
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			runtime.UnlockOSThread()
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait() // an exit status of an immediate shutdown is expected
		close(done)
		// Returning while locked ends the thread; the child is gone already.
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return cmd.Process, nil
}

func signalQuit(p *os.Process) error {
	return p.Signal(syscall.SIGQUIT)
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
