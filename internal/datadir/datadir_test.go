//go:build unix

package datadir_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/edupulse/edupulse-live/internal/datadir"
)

func TestSecondHolderIsRefusedWithThePID(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := datadir.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = datadir.Acquire(dir)
	if !errors.Is(err, datadir.ErrInUse) {
		t.Fatalf("second Acquire: got %v, want ErrInUse", err)
	}
	if want := "pid " + strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %q should name the directory and %q", err, want)
	}
	first.Release()
	again, err := datadir.Acquire(dir)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	again.Release()
}

// A holder that dies without releasing (kill -9) leaves no stale lock.
// The holder is this test binary run again as a child process.
func TestLockDiesWithItsProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHolderProcess$")
	cmd.Env = append(os.Environ(), "DATADIR_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder: %q, %v", line, err)
	}
	_, err = datadir.Acquire(dir)
	if want := "pid " + strconv.Itoa(cmd.Process.Pid); !errors.Is(err, datadir.ErrInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("while the child holds it: got %v, want ErrInUse naming %s", err, want)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := datadir.Acquire(dir)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}

// TestHolderProcess is the child of TestLockDiesWithItsProcess: it takes
// the lock, says so, and waits to be killed.
func TestHolderProcess(t *testing.T) {
	dir := os.Getenv("DATADIR_HOLD")
	if dir == "" {
		t.Skip("run as a child process only")
	}
	if _, err := datadir.Acquire(dir); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	select {}
}
