package main

import (
	"testing"
	"time"
)

// A level's hash alone is its slices' measurements weighed by their
// logins, and its counts are the slices' sums: a slow slice with few
// logins moves the share's numerator little.
func TestSlicesAddUp(t *testing.T) {
	l := level{took: make([][]time.Duration, len(steps))}
	slice := func(logins int, cpu time.Duration) level {
		s := level{logins: logins, elapsed: 5 * time.Second, cpu: cpu, took: make([][]time.Duration, len(steps)), hwm: logins}
		for i := range s.took {
			s.took[i] = make([]time.Duration, logins)
		}
		return s
	}
	l.add(slice(300, 6*time.Second), 18*time.Millisecond)
	l.add(slice(100, 2*time.Second), 22*time.Millisecond)
	if got, want := l.ownHash(), 19*time.Millisecond; got != want {
		t.Errorf("hash alone %v, want %v (300 logins at 18 ms, 100 at 22)", got, want)
	}
	if l.logins != 400 || l.cpu != 8*time.Second || l.elapsed != 10*time.Second || len(l.took[0]) != 400 || l.hwm != 300 {
		t.Errorf("sums: %d logins, %v CPU, %v elapsed, %d latencies, peak %d", l.logins, l.cpu, l.elapsed, len(l.took[0]), l.hwm)
	}
	if (level{}).ownHash() != 0 {
		t.Error("a level without logins has a hash alone")
	}
}
