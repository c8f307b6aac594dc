package procs

import (
	"os"
	"testing"
	"time"
)

func TestCPUAndMemoryOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; { // busy: at least one clock tick of CPU
		x++
	}
	_ = x
	cpu, err := CPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("CPU: %v, %v", cpu, err)
	}
	if rss, hwm := MemoryKiB(os.Getpid()); rss <= 0 || hwm < rss {
		t.Errorf("MemoryKiB: rss %d, hwm %d", rss, hwm)
	}
}
