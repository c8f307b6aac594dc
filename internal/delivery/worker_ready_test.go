package delivery_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// stuckSender blocks each send until released: a mail server that stopped
// answering mid-conversation.
type stuckSender struct {
	entered chan struct{}
	release chan struct{}
}

func (s *stuckSender) Send(ctx context.Context, m *delivery.Message) error {
	s.entered <- struct{}{}
	<-s.release
	return nil
}

// Ready follows the worker: not ready before it runs, ready while it
// loops, not ready once a send has been stuck past the lease and three
// polls, ready again when the send ends, and not ready once it stopped.
// Observe hears the attempt's outcome.
func TestWorkerReadiness(t *testing.T) {
	f := newFixture(t)
	var now atomic.Int64
	now.Store(f.now.UnixMilli())
	clock := func() time.Time { return time.UnixMilli(now.Load()).UTC() }
	sender := &stuckSender{entered: make(chan struct{}, 1), release: make(chan struct{})}
	w := delivery.NewWorker(f.db, f.keys, clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	w.Poll = 5 * time.Millisecond
	var mu sync.Mutex
	var outcomes []string
	w.Observe = func(channel anshin.Method, status string) {
		mu.Lock()
		defer mu.Unlock()
		outcomes = append(outcomes, string(channel)+":"+status)
	}
	if err := w.Ready(); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("Ready before Run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	awaitReady := func(want bool) error {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second) // a failsafe, not a measurement
		for {
			err := w.Ready()
			if (err == nil) == want || time.Now().After(deadline) {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := awaitReady(true); err != nil {
		t.Fatalf("Ready while running: %v", err)
	}

	f.enqueue(t, 1)
	w.Notify()
	<-sender.entered
	now.Add((w.Lease + 3*w.Poll + time.Second).Milliseconds())
	if err := w.Ready(); err == nil || !strings.Contains(err.Error(), "no progress") {
		t.Fatalf("Ready with a send stuck past its lease: %v", err)
	}
	close(sender.release)
	if err := awaitReady(true); err != nil {
		t.Fatalf("Ready after the send ended: %v", err)
	}
	mu.Lock()
	got := strings.Join(outcomes, ",")
	mu.Unlock()
	if got != "email:sent" {
		t.Errorf("observed %q, want email:sent", got)
	}

	cancel()
	<-done
	if err := w.Ready(); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("Ready after Run returned: %v", err)
	}
}
