// Package procfs reads what the benchmark measures of a process from
// Linux's /proc: CPU time (utime+stime of /proc/<pid>/stat), resident
// memory (VmRSS of /proc/<pid>/status), the open-files limit, and the
// machine's busy time (/proc/stat), and raises this process's open-files
// limit.
package procfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go supports (the kernel's ABI fixes it, whatever
// CONFIG_HZ is).
const ClockTicks = 100

// CPUTime is the CPU time (user + system) process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	user, sys, err := ParseStat(raw)
	if err != nil {
		return 0, err
	}
	return ticks(user + sys), nil
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / ClockTicks }

// ParseStat returns utime and stime (fields 14 and 15, in clock ticks) of
// a /proc/<pid>/stat line. The command name (field 2) is in parentheses
// and may itself hold spaces and parentheses: fields are counted from the
// last ')'.
func ParseStat(raw []byte) (utime, stime uint64, err error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, 0, errors.New("procfs: stat: no command name")
	}
	f := strings.Fields(string(raw[end+1:]))
	// f[0] is field 3 (state): utime, field 14, is f[11].
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("procfs: stat: %d fields after the command name", len(f))
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("procfs: stat utime: %w", err)
	}
	if stime, err = strconv.ParseUint(f[12], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("procfs: stat stime: %w", err)
	}
	return utime, stime, nil
}

// RSS is process pid's resident set size in KiB (VmRSS).
func RSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return StatusField(raw, "VmRSS")
}

// StatusField reads a "Name:   1234 kB" line of /proc/<pid>/status, in KiB.
func StatusField(raw []byte, name string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("procfs: status has no %s", name)
}

// OpenFilesLimit is the soft "Max open files" of process pid.
func OpenFilesLimit(pid int) (uint64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	return ParseOpenFilesLimit(raw)
}

// ParseOpenFilesLimit reads the soft limit of the "Max open files" line of
// /proc/<pid>/limits.
func ParseOpenFilesLimit(raw []byte) (uint64, error) {
	for line := range strings.SplitSeq(string(raw), "\n") {
		rest, ok := strings.CutPrefix(line, "Max open files")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		if f[0] == "unlimited" {
			return 1<<63 - 1, nil
		}
		return strconv.ParseUint(f[0], 10, 64)
	}
	return 0, errors.New("procfs: limits has no Max open files line")
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
// clock ticks.
type HostTimes struct {
	Busy, Total uint64
}

// Host reads the "cpu" line of /proc/stat.
func Host() (HostTimes, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return HostTimes{}, err
	}
	return ParseHost(raw)
}

// ParseHost reads the aggregate "cpu" line of /proc/stat: idle and iowait
// are idle, everything else (user, nice, system, irq, softirq, steal) busy.
// Guest time is already counted in user.
func ParseHost(raw []byte) (HostTimes, error) {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 5 || f[0] != "cpu" {
		return HostTimes{}, errors.New("procfs: /proc/stat does not start with the cpu line")
	}
	var h HostTimes
	for i, s := range f[1:min(len(f), 9)] { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return HostTimes{}, fmt.Errorf("procfs: /proc/stat: %w", err)
		}
		h.Total += v
		if i != 3 && i != 4 {
			h.Busy += v
		}
	}
	return h, nil
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
		u.HostBusy = 100 * float64(h.Busy-m.host.Busy) / float64(h.Total-m.host.Total)
	}
	return u
}
