package chaos

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one child process of the run. Its output goes to a log file of
// the run directory, appended to across restarts so that one file tells a
// node's whole story.
type proc struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
	started time.Time
}

// procSpec is how to start a child.
type procSpec struct {
	name string
	bin  string
	args []string
	env  []string // added to the harness's environment
	dir  string
	log  string
	// deathSignal is what the kernel sends the child when the harness dies:
	// SIGKILL for our servers, SIGQUIT (immediate shutdown) for postgres,
	// whose postmaster then takes its backends down with it.
	deathSignal syscall.Signal
	cred        *syscall.Credential
}

// startProc starts the child. The fork happens on an OS thread locked to a
// goroutine that lives as long as the child: Linux sends the parent-death
// signal when the forking *thread* exits, not the process, so a child
// forked from an ordinary goroutine could be killed by the Go runtime
// retiring an idle thread.
func startProc(s procSpec) (*proc, error) {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644) //nolint:gosec // a log of the run directory
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own copy
	fmt.Fprintf(logf, "\n===== chaos: %s starting at %s: %s %v\n", s.name, time.Now().UTC().Format(time.RFC3339Nano), s.bin, s.args)

	cmd := exec.Command(s.bin, s.args...) //nolint:gosec // binaries the harness built or found
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	setDeathSignal(cmd.SysProcAttr, s.deathSignal)

	p := &proc{name: s.name, cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			runtime.UnlockOSThread()
			started <- err
			return
		}
		p.started = time.Now()
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
		// Returning while locked ends the thread; the child is gone already.
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	return p, nil
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *proc) signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s to %s: %w", sig, p.name, err)
	}
	return nil
}

// wait waits up to d for the child to exit and reports whether it did.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// kill9 is kill -9, then waits for the exit so the port is free again.
func (p *proc) kill9() {
	_ = p.signal(syscall.SIGKILL)
	<-p.done
}

// stop asks with sig, then kills after grace; it returns whether the child
// exited by itself in time.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) bool {
	if !p.alive() {
		return true
	}
	_ = p.signal(sig)
	if p.wait(grace) {
		return true
	}
	p.kill9()
	return false
}

// exitStatus describes how the child ended, for the report.
func (p *proc) exitStatus() string {
	if p.alive() {
		return "running"
	}
	if p.err == nil {
		return "exit 0"
	}
	return p.err.Error()
}

// waitTCP waits until addr accepts connections, or p exits, or d passes.
func waitTCP(addr string, d time.Duration, p *proc) error {
	deadline := time.Now().Add(d)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		if !p.alive() {
			return fmt.Errorf("%s exited at start (%s)", p.name, p.exitStatus())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not listen on %s after %s", p.name, addr, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dataPrefix names the run's data directories (the cluster's, the nodes'
// stores, the instances'), which are removed at the end of the run; a
// harness killed outright leaves them, and the next run removes them.
const dataPrefix = "edupulse-chaos-data-"

// dataDir creates a data directory for kind, marked with the harness's pid.
func dataDir(kind string) (string, error) {
	dir, err := os.MkdirTemp("", dataPrefix+kind+"-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil { //nolint:gosec // a pid
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	return dir, nil
}

// sweepStale removes data directories whose harness is gone.
func sweepStale() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dataPrefix) {
			continue
		}
		dir := filepath.Join(os.TempDir(), e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || syscall.Kill(pid, 0) == nil {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}
