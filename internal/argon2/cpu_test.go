package argon2

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// On Linux a hash measures the CPU its thread spent on it: more than
// nothing, and no more than the whole process spent meanwhile.
func TestCPUIsTheHashsOwn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("measured on Linux only")
	}
	var m Memory
	m.IDKey([]byte("warm"), []byte("the memory up"), 1, 8192, 1, 32)
	for _, threads := range []uint8{1, 2} {
		p0 := processCPU(t)
		m.IDKey([]byte("password"), []byte("somesalt"), 2, 8192, threads, 32)
		p := processCPU(t) - p0
		if threads > 1 {
			// Lanes run in goroutines of their own: not measured.
			if m.CPU() != 0 {
				t.Errorf("%d lanes: CPU %v, want 0 (not measured)", threads, m.CPU())
			}
			continue
		}
		if m.CPU() <= 0 || m.CPU() > p+time.Millisecond || m.CPU() < p/2 {
			t.Errorf("one lane: CPU %v, the process's meanwhile %v", m.CPU(), p)
		}
	}
}

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
