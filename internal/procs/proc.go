package procs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// MemoryKiB reads VmRSS and VmHWM (the peak) of pid from /proc.
func MemoryKiB(pid int) (rss, hwm int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

// clockTick is USER_HZ, 100 on every Linux anshin runs on.
const clockTick = 10 * time.Millisecond

// CPU reads the CPU time pid has used so far, user and system
// (utime + stime of /proc/PID/stat).
func CPU(pid int) (time.Duration, error) {
	f, err := stat(pid)
	if err != nil {
		return 0, err
	}
	return ticks(f[11], f[12]), nil
}

// TreeCPU reads the CPU time pid and its children have used so far: its
// own, that of its children that ended and were waited for (cutime +
// cstime), and that of those alive now. A PostgreSQL server's postmaster
// gives the whole server: each connection is a child process. A child
// ending while it is read may be counted twice or not at all.
func TreeCPU(pid int) (time.Duration, error) {
	f, err := stat(pid)
	if err != nil {
		return 0, err
	}
	sum := ticks(f[11], f[12], f[13], f[14])
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := strconv.Itoa(pid)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if f, err := stat(child); err == nil && f[1] == parent {
			sum += ticks(f[11], f[12])
		}
	}
	return sum, nil
}

// Preempted reads how many times the threads of pid alive now were taken
// off their core while they could still run (nonvoluntary_ctxt_switches
// of /proc/PID/task/TID/status, summed): each time, whatever ran meanwhile
// took over the thread's caches.
func Preempted(pid int) (int64, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, t.Name()))
		if err != nil {
			continue // the thread ended meanwhile
		}
		_, v, ok := strings.Cut(string(b), "\nnonvoluntary_ctxt_switches:")
		n, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]), 10, 64)
		if !ok || err != nil {
			return 0, fmt.Errorf("/proc/%d/task/%s/status: no nonvoluntary_ctxt_switches", pid, t.Name())
		}
		sum += n
	}
	return sum, nil
}

// Parent reads the PID of pid's parent.
func Parent(pid int) (int, error) {
	f, err := stat(pid)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// stat reads the fields of /proc/PID/stat that follow the command name:
// the command name, in parentheses, may hold spaces, so they count from
// after its closing parenthesis (f[0] is field 3, the state; f[1] the
// parent's PID; f[11] to f[14] utime, stime, cutime, cstime).
func stat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(string(b), ") ")
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 15 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	for _, v := range f[11:15] {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
		}
	}
	return f, nil
}

// ticks adds clock-tick counts stat has checked.
func ticks(vs ...string) time.Duration {
	var n int64
	for _, v := range vs {
		t, _ := strconv.ParseInt(v, 10, 64)
		n += t
	}
	return time.Duration(n) * clockTick
}
