package procs

import (
	"os"
	"os/exec"
	"runtime"
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
	if p, err := Parent(os.Getpid()); err != nil || p != os.Getppid() {
		t.Errorf("Parent: %d, %v, want %d", p, err, os.Getppid())
	}
	if rss, hwm := MemoryKiB(os.Getpid()); rss <= 0 || hwm < rss {
		t.Errorf("MemoryKiB: rss %d, hwm %d", rss, hwm)
	}
}

// Preempted counts the involuntary switches of a process's threads: a
// child that keeps more threads busy than there are cores is switched
// out while it could run, and the count grows while it does.
func TestPreemptedCountsInvoluntarySwitches(t *testing.T) {
	sh := procAndShell(t)
	if _, err := Preempted(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := Preempted(-1); err == nil {
		t.Error("Preempted(-1): no error")
	}
	// As many busy shells as cores, and one more: they must take turns.
	busy := "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"
	var cmds []*exec.Cmd
	for range runtime.NumCPU() + 1 {
		cmd := exec.Command(sh, "-c", busy)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var sum int64
		for _, c := range cmds {
			n, _ := Preempted(c.Process.Pid)
			sum += n
		}
		if sum > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("%d busy processes on %d cores were never preempted", len(cmds), runtime.NumCPU())
}

// TreeCPU counts a child's CPU: while it runs, and once it has ended and
// been waited for.
func TestTreeCPUCountsChildren(t *testing.T) {
	sh := procAndShell(t)
	before, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	own, _ := CPU(os.Getpid())
	// A child busy for about 300 ms of CPU, then waited for.
	cmd := exec.Command(sh, "-c", "i=0; while [ $i -lt 500000 ]; do i=$((i+1)); done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var during time.Duration
	for tries := 0; during == 0; tries++ {
		if tries == 200 {
			t.Fatal("the child used no CPU in 10 s")
		}
		time.Sleep(50 * time.Millisecond)
		c, err := CPU(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if c > 0 {
			tree, _ := TreeCPU(os.Getpid())
			mine, _ := CPU(os.Getpid())
			if tree-before < c {
				t.Errorf("TreeCPU grew by %v while its child had used %v", tree-before, c)
			}
			during = (tree - mine) - (before - own) // the child's part

		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	after, _ := TreeCPU(os.Getpid())
	mine, _ := CPU(os.Getpid())
	if child := (after - mine) - (before - own); child < during {
		t.Errorf("the child's CPU once it ended: %v, less than while it ran (%v)", child, during)
	}
}

// procAndShell skips a test without /proc or a shell to start busy
// children with, and returns the shell.
func procAndShell(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	return sh
}
