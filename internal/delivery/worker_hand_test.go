package delivery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// queueClaimed queues n notifications claimed by w as they are queued, as
// a login queues its key messages (login.Service.HandTo).
func (f *fixture) queueClaimed(t *testing.T, w *delivery.Worker, n int) []*anshin.Delivery {
	t.Helper()
	var ds []*anshin.Delivery
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		ds = nil
		for i := range n {
			d := &anshin.Delivery{ID: fmt.Sprintf("h%04d", i), Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail,
				Recipient: fmt.Sprintf("user%d@example.jp", i), Lang: "ja", Payload: f.keys.Seal([]byte(`{"Subject":"件名","Body":"本文"}`)),
				NextAttemptAt: f.now, CreatedAt: f.now, UpdatedAt: f.now}
			w.Claim(d, f.now)
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func twoWorkers(f *fixture) (a, b *delivery.Worker, sender *slowSender) {
	sender = &slowSender{f: f}
	senders := map[anshin.Method]delivery.Sender{anshin.MethodEmail: sender}
	return delivery.NewWorker(f.db, f.keys, f.clock, senders, quiet()), delivery.NewWorker(f.db, f.keys, f.clock, senders, quiet()), sender
}

func runUntilEmpty(t *testing.T, w *delivery.Worker) {
	t.Helper()
	for {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func wantSentOnce(t *testing.T, sender *slowSender, ids ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range sender.sent {
		seen[id]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s sent %d times, want once (sent: %v)", id, seen[id], sender.sent)
		}
	}
	if len(sender.sent) != len(ids) {
		t.Errorf("sent %v, want %v once each", sender.sent, ids)
	}
}

// A message claimed as it is queued is its worker's: another worker finds
// nothing to claim, and its own sends it when handed it, without claiming.
func TestHandedMessageSentOnceByItsWorker(t *testing.T) {
	f := newFixture(t)
	a, b, sender := twoWorkers(f)
	ds := f.queueClaimed(t, a, 3)
	if n, err := b.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("another worker claimed %d (%v) of messages claimed at enqueue", n, err)
	}
	a.Hand(ds)
	if n, err := a.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("the worker claimed %d (%v), want 0: handed messages need no claim", n, err)
	}
	runUntilEmpty(t, b)
	wantSentOnce(t, sender, "h0000", "h0001", "h0002")
	for _, id := range []string{"h0000", "h0001", "h0002"} {
		if d := f.status(t, id); d.Status != anshin.DeliverySent || d.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts, want sent after 1", id, d.Status, d.Attempts)
		}
	}
}

// The process that queued a message may stop before sending it: the
// message is not lost, another worker claims it once its lease ended.
func TestClaimedAtEnqueueNeverHandedIsSentAfterItsLease(t *testing.T) {
	f := newFixture(t)
	a, b, sender := twoWorkers(f)
	f.queueClaimed(t, a, 1) // and a stops
	runUntilEmpty(t, b)
	if len(sender.sent) != 0 {
		t.Fatalf("sent %v while the first worker's lease held", sender.sent)
	}
	f.now = f.now.Add(a.Lease + time.Second)
	runUntilEmpty(t, b)
	wantSentOnce(t, sender, "h0000")
}

// A run that ends hands back what it was handed and did not send, for any
// worker to claim at once rather than after the lease.
func TestRunEndingHandsBackHandedMessages(t *testing.T) {
	f := newFixture(t)
	a, b, sender := twoWorkers(f)
	a.Hand(f.queueClaimed(t, a, 2))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Run(ctx)
	runUntilEmpty(t, b)
	wantSentOnce(t, sender, "h0000", "h0001")
}

// A handed message whose lease is half gone before its worker gets to it
// is handed back, not sent: by then another worker may claim it.
func TestHandedLateIsHandedBack(t *testing.T) {
	f := newFixture(t)
	a, b, sender := twoWorkers(f)
	ds := f.queueClaimed(t, a, 1)
	f.now = f.now.Add(a.Lease/2 + time.Second)
	a.Hand(ds)
	runUntilEmpty(t, a)
	if len(sender.sent) != 0 {
		t.Fatalf("sent %v with less than half its lease left", sender.sent)
	}
	runUntilEmpty(t, b)
	wantSentOnce(t, sender, "h0000")
}

// A running worker sends what it is handed as it is handed, without a
// Notify or a poll: the poll here is an hour.
func TestRunSendsHandedAtOnce(t *testing.T) {
	f := newFixture(t)
	a, _, sender := twoWorkers(f)
	a.Poll = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	ds := f.queueClaimed(t, a, 2)
	waitSent := func(n int) {
		t.Helper()
		for give := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) { // a failsafe, not a measure
			sender.mu.Lock()
			got := len(sender.sent)
			sender.mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(give) {
				t.Fatalf("%d of %d handed messages sent", got, n)
			}
		}
	}
	a.Hand(ds[:1])
	waitSent(1)
	a.Hand(ds[1:])
	waitSent(2)
	cancel()
	<-done
	wantSentOnce(t, sender, "h0000", "h0001")
}
