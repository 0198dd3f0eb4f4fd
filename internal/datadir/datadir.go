// Package datadir makes a data directory belong to one process. The
// embedded store and the embedded NATS server keep their files there; two
// processes on the same files both believe they hold the outbox and lose
// events for good, so the second one must not start.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file, inside the data directory, that the holder keeps
// locked and in which it writes its pid.
const LockFile = "edupulse.lock"

// ErrInUse: another live process holds the data directory.
var ErrInUse = errors.New("data directory in use")

// Lock is held on a data directory until Release (or the process's end:
// the operating system drops the lock with the process, so a crash never
// leaves a stale lock behind).
type Lock struct {
	f *os.File
}

// Acquire creates dir if needed and locks it, without waiting: when
// another process holds it, the error wraps ErrInUse and names that
// process's pid.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := tryLock(f); err != nil {
		holder := readPID(f)
		_ = f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("%w: %s is held by another edupulse process (pid %s); one data directory belongs to one process",
				ErrInUse, dir, holder)
		}
		return nil, fmt.Errorf("data directory %s: lock %s: %w", dir, path, err)
	}
	// The pid is written only once the lock is ours, so a reader that
	// finds the lock held reads the holder's pid, never a loser's.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release unlocks the directory.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}

func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if pid := strings.TrimSpace(string(buf[:n])); pid != "" {
		return pid
	}
	return "unknown"
}
