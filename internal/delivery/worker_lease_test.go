package delivery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// slowSender takes a lease's third per message on the fixture's clock.
type slowSender struct {
	mu   sync.Mutex
	f    *fixture
	step time.Duration
	sent []string
	left []time.Duration // time left before the send's deadline
}

func (s *slowSender) Send(ctx context.Context, m *delivery.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		s.left = append(s.left, time.Until(dl))
	}
	s.f.now = s.f.now.Add(s.step)
	s.sent = append(s.sent, m.ID)
	return nil
}

// A batch that outlasts half its lease hands the rest back instead of
// sending it while another worker may claim it (scripts/torture found
// such a message sent twice), and every send ends before its lease.
func TestSlowBatchHandsBackWhatItsLeaseNoLongerCovers(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, 6)
	sender := &slowSender{f: f, step: 20 * time.Second}
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}, quiet())
	w.Lease, w.Batch = 60*time.Second, 6
	if n, err := w.RunOnce(context.Background()); err != nil || n != 6 {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	// 0 s and 20 s: sent; at 40 s less than half the lease is left.
	if len(sender.sent) != 2 {
		t.Fatalf("sent %v, want the first 2", sender.sent)
	}
	for _, left := range sender.left {
		if left <= 0 || left > 54*time.Second {
			t.Errorf("a send had %s before its deadline, want under the lease less a tenth", left)
		}
	}
	for _, id := range []string{"d0002", "d0003", "d0004", "d0005"} {
		d := f.status(t, id)
		if d.Status != anshin.DeliveryQueued || !d.LeaseUntil.IsZero() || d.NextAttemptAt.After(f.now) {
			t.Errorf("%s: %s, lease %v, next %v; want queued, handed back for now", id, d.Status, d.LeaseUntil, d.NextAttemptAt)
		}
	}
	// The next claim sends them, each once.
	runUntilEmpty(t, w)
	seen := map[string]int{}
	for _, id := range sender.sent {
		seen[id]++
	}
	if len(seen) != 6 || len(sender.sent) != 6 {
		t.Errorf("sent %v, want each of 6 once", sender.sent)
	}
}
