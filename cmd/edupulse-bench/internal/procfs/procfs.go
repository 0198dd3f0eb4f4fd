// Package procfs reads what the benchmark measures of a process from
// Linux's /proc, through prometheus/procfs: CPU time, resident memory,
// the open-files limit, and the machine's busy time; and it raises this
// process's open-files limit.
package procfs

import (
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// CPUTime is the CPU time (user + system) process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	st, err := p.Stat()
	if err != nil {
		return 0, err
	}
	return time.Duration(st.CPUTime() * float64(time.Second)), nil
}

// RSS is process pid's resident set size in KiB (VmRSS).
func RSS(pid int) (int64, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0, err
	}
	return int64(st.VmRSS / 1024), nil
}

// OpenFilesLimit is the soft "Max open files" of process pid.
func OpenFilesLimit(pid int) (uint64, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	l, err := p.Limits()
	if err != nil {
		return 0, err
	}
	return l.OpenFiles, nil
}

// RaiseOpenFiles raises this process's soft RLIMIT_NOFILE to want, or to
// the hard limit if that is lower, and returns the limit now in force.
// Children started afterwards inherit it.
func RaiseOpenFiles(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	target := min(want, lim.Max)
	if lim.Cur >= target {
		return lim.Cur, nil
	}
	lim.Cur = target
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return target, nil
}

// HostTimes is the machine's CPU time so far, summed over its cores, in
// seconds.
type HostTimes struct {
	Busy, Total float64
}

// Host reads the machine's CPU time (the "cpu" line of /proc/stat): idle
// and iowait are idle, everything else (user, nice, system, irq, softirq,
// steal) busy. Guest time is already counted in user.
func Host() (HostTimes, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return HostTimes{}, err
	}
	st, err := fs.Stat()
	if err != nil {
		return HostTimes{}, err
	}
	c := st.CPUTotal
	busy := c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
	return HostTimes{Busy: busy, Total: busy + c.Idle + c.Iowait}, nil
}

// Meter measures CPU use over an interval: a process's (in percent of one
// core) and the machine's (in percent of all cores).
type Meter struct {
	pid   int
	start time.Time
	cpu   time.Duration
	host  HostTimes
}

// Start begins measuring process pid (0: none, only the machine).
func Start(pid int) *Meter {
	m := &Meter{pid: pid, start: time.Now()}
	if pid > 0 {
		m.cpu, _ = CPUTime(pid)
	}
	m.host, _ = Host()
	return m
}

// Usage is what a Meter measured.
type Usage struct {
	Elapsed time.Duration
	// CPU is the process's CPU time over the interval.
	CPU time.Duration
	// Percent is CPU over Elapsed, in percent of one core.
	Percent float64
	// HostBusy is the machine's busy time over the interval, in percent
	// of all its cores.
	HostBusy float64
}

// Stop ends the interval. It may be called more than once; each call
// measures from Start.
func (m *Meter) Stop() Usage {
	u := Usage{Elapsed: time.Since(m.start)}
	if m.pid > 0 {
		if cpu, err := CPUTime(m.pid); err == nil {
			u.CPU = cpu - m.cpu
		}
	}
	if u.Elapsed > 0 {
		u.Percent = 100 * u.CPU.Seconds() / u.Elapsed.Seconds()
	}
	if h, err := Host(); err == nil && h.Total > m.host.Total {
		u.HostBusy = 100 * (h.Busy - m.host.Busy) / (h.Total - m.host.Total)
	}
	return u
}
