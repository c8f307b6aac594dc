package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testOutbox(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, d := range []*anshin.Delivery{delivery("d1", t0), delivery("d2", t0.Add(time.Second)), delivery("later", t0.Add(time.Hour))} {
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
		}
		return nil
	})
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.EnqueueDelivery(delivery("d1", t0)) }), anshin.ECodeConflict)
	var claimed []*anshin.Delivery
	update(t, s, func(tx anshin.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
		return err
	})
	if got := deliveryIDs(claimed); got != "d1,d2" {
		t.Fatalf("claimed %s, want the due d1,d2 in due order", got)
	}
	d := claimed[0]
	want := delivery("d1", t0)
	if d.Kind != want.Kind || d.Channel != want.Channel || d.Recipient != want.Recipient || d.FlowID != want.FlowID || d.KeyID != want.KeyID ||
		d.Lang != "ja" || string(d.Payload) != string(want.Payload) || d.Status != anshin.DeliveryQueued || d.Attempts != 1 ||
		!d.LeaseUntil.Equal(t0.Add(2*time.Minute)) || !d.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("claimed delivery %+v", d)
	}
	update(t, s, func(tx anshin.Tx) error {
		// Leased: nobody else gets them.
		again, err := tx.ClaimDeliveries(t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
		if err == nil && len(again) != 0 {
			t.Errorf("claimed leased deliveries %s", deliveryIDs(again))
		}
		if err := tx.FinishDelivery("d1", anshin.DeliverySent, "", t0.Add(time.Minute)); err != nil {
			return err
		}
		return tx.RetryDelivery("d2", "421 try later", t0.Add(10*time.Minute), t0.Add(time.Minute))
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.FlowDeliveries("flow-d1")
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Status != anshin.DeliverySent || len(list[0].Payload) != 0 || !list[0].LeaseUntil.IsZero() {
			t.Errorf("finished delivery: %+v", list)
		}
		list, err = tx.FlowDeliveries("flow-d2")
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Status != anshin.DeliveryQueued || list[0].LastError != "421 try later" ||
			!list[0].NextAttemptAt.Equal(t0.Add(10*time.Minute)) || !list[0].LeaseUntil.IsZero() {
			t.Errorf("retried delivery: %+v", list)
		}
		return nil
	})
	update(t, s, func(tx anshin.Tx) error {
		// Not yet due again.
		got, err := tx.ClaimDeliveries(t0.Add(5*time.Minute), t0.Add(6*time.Minute), 10)
		if err == nil && len(got) != 0 {
			t.Errorf("claimed before the retry time: %s", deliveryIDs(got))
		}
		got, err = tx.ClaimDeliveries(t0.Add(10*time.Minute), t0.Add(11*time.Minute), 10)
		if err == nil && (deliveryIDs(got) != "d2" || got[0].Attempts != 2) {
			t.Errorf("claimed at the retry time: %s", deliveryIDs(got))
		}
		// The batch size holds.
		got, err = tx.ClaimDeliveries(t0.Add(2*time.Hour), t0.Add(3*time.Hour), 0)
		if err == nil && len(got) != 0 {
			t.Errorf("claimed %d with a batch of 0", len(got))
		}
		return err
	})
}

// testOutboxStats: the queued deliveries, claimed or not, and the oldest
// of them; a finished one no longer counts.
func testOutboxStats(t *testing.T, s anshin.Store) {
	stats := func() (int, time.Time) {
		var n int
		var oldest time.Time
		view(t, s, func(tx anshin.Tx) error {
			var err error
			n, oldest, err = tx.OutboxStats()
			return err
		})
		return n, oldest
	}
	if n, oldest := stats(); n != 0 || !oldest.IsZero() {
		t.Fatalf("empty outbox: %d queued, oldest %v", n, oldest)
	}
	update(t, s, func(tx anshin.Tx) error {
		for i, id := range []string{"d1", "d2", "d3"} {
			d := delivery(id, t0)
			d.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
		}
		if _, err := tx.ClaimDeliveries(t0, t0.Add(time.Minute), 1); err != nil {
			return err
		}
		return tx.FinishDelivery("d1", anshin.DeliverySent, "", t0)
	})
	if n, oldest := stats(); n != 2 || !oldest.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after one sent: %d queued, oldest %v; want 2 and %v", n, oldest, t0.Add(time.Minute))
	}
}

func testOutboxLease(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error { return tx.EnqueueDelivery(delivery("d1", t0)) })
	claim := func(now time.Time) []*anshin.Delivery {
		var got []*anshin.Delivery
		update(t, s, func(tx anshin.Tx) error {
			var err error
			got, err = tx.ClaimDeliveries(now, now.Add(time.Minute), 10)
			return err
		})
		return got
	}
	if got := claim(t0); len(got) != 1 {
		t.Fatalf("first claim got %d", len(got))
	}
	// The worker died: before the lease ends, nobody takes it; at its
	// end, the next worker does.
	if got := claim(t0.Add(59 * time.Second)); len(got) != 0 {
		t.Fatalf("claimed during the lease: %s", deliveryIDs(got))
	}
	got := claim(t0.Add(time.Minute))
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after the lease expired: %+v", got)
	}
}

// testOutboxConcurrent: workers claiming together never get one delivery
// twice, and between them get every one.
func testOutboxConcurrent(t *testing.T, s anshin.Store) {
	const total = 200
	update(t, s, func(tx anshin.Tx) error {
		for i := range total {
			if err := tx.EnqueueDelivery(delivery(fmt.Sprintf("d%03d", i), t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	seen := map[string]int{}
	concurrently(t, 8, func(i int) error {
		// Half claim in a transaction, half as one statement (UpdateOne),
		// as the outbox worker does.
		update := s.Update
		if i%2 == 1 {
			update = s.UpdateOne
		}
		for {
			var batch []*anshin.Delivery
			err := update(context.Background(), func(tx anshin.Tx) error {
				var err error
				batch, err = tx.ClaimDeliveries(t0.Add(time.Minute), t0.Add(2*time.Minute), 7)
				return err
			})
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			mu.Lock()
			for _, d := range batch {
				seen[d.ID]++
			}
			mu.Unlock()
		}
	})
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times", id, n)
		}
	}
	if len(seen) != total {
		t.Errorf("%d deliveries claimed, want %d", len(seen), total)
	}
}

func testDeliveryReceipts(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.EnqueueDelivery(delivery("d1", t0)); err != nil {
			return err
		}
		if err := tx.FinishDelivery("d1", anshin.DeliverySent, "", t0); err != nil {
			return err
		}
		return tx.SetDeliveryProviderID("d1", "SM123")
	})
	update(t, s, func(tx anshin.Tx) error {
		if ok, err := tx.RecordDeliveryReceipt("", anshin.DeliveryDelivered, "", t0); err != nil || ok {
			t.Errorf("empty provider ID matched: %v %v", ok, err)
		}
		if ok, err := tx.RecordDeliveryReceipt("SM123", anshin.DeliveryDelivered, "", t0.Add(time.Second)); err != nil || !ok {
			t.Errorf("receipt not recorded: %v %v", ok, err)
		}
		// A second receipt changes nothing.
		if ok, err := tx.RecordDeliveryReceipt("SM123", anshin.DeliveryFailed, "30003", t0.Add(2*time.Second)); err != nil || ok {
			t.Errorf("second receipt recorded: %v %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.FlowDeliveries("flow-d1")
		if err == nil && (len(list) != 1 || list[0].Status != anshin.DeliveryDelivered) {
			t.Errorf("after receipts: %+v", list)
		}
		return err
	})
}

// testSMSCount checks the service-wide count of the hourly SMS cap, kept
// per minute: exact at both ends of the window, whatever minute it starts
// in, with the oldest SMS in it, and blind to e-mail.
func testSMSCount(t *testing.T, s anshin.Store) {
	since := t0.Add(90*time.Second + 500*time.Millisecond) // in the middle of a minute
	at := []time.Duration{
		-time.Hour, -30 * time.Second, 0, // before the window, or on its start: out
		time.Millisecond, 29 * time.Second, // its first, partial minute
		30 * time.Second, time.Minute, 59 * time.Minute, time.Hour, // whole minutes, and now
	}
	update(t, s, func(tx anshin.Tx) error {
		for i, d := range at {
			sms := delivery(fmt.Sprintf("sms-%d", i), t0)
			sms.Channel, sms.Recipient, sms.CreatedAt = anshin.MethodSMS, "+819011110000", since.Add(d)
			if err := tx.EnqueueDelivery(sms); err != nil {
				return err
			}
			mail := delivery(fmt.Sprintf("mail-%d", i), t0)
			mail.CreatedAt = since.Add(d)
			if err := tx.EnqueueDelivery(mail); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		since  time.Time
		cap    int
		total  int
		oldest time.Time
	}{
		{since, 100, 6, since.Add(time.Millisecond)},
		{since, 4, 4, since.Add(time.Millisecond)},                         // stops at its cap
		{since.Add(-time.Millisecond), 100, 7, since},                      // the start itself is in
		{since.Add(29 * time.Second), 100, 4, since.Add(30 * time.Second)}, // a window starting later
		{since.Add(-2 * time.Hour), 100, 9, since.Add(-time.Hour)},         // all of them
		{since.Add(time.Hour), 100, 0, time.Time{}},                        // none
		{t0.Add(2 * time.Minute), 100, 4, since.Add(30 * time.Second)},     // a window starting on a minute
	} {
		var got anshin.SMSCounts
		err := s.View(context.Background(), func(tx anshin.Tx) (err error) {
			got, err = tx.CountSMS("nobody", "+819099990000", c.since, anshin.SMSCaps{Total: c.cap})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != c.total || !got.OldestTotal.Equal(c.oldest) {
			t.Errorf("since %v, cap %d: %d SMS, oldest %v; want %d, %v", c.since.Sub(since), c.cap, got.Total, got.OldestTotal, c.total, c.oldest)
		}
	}
}

// testSMSCapConcurrent hammers the service-wide SMS cap from many
// transactions at once, each for another account and number and spread
// over minutes: exactly the cap's worth are queued.
func testSMSCapConcurrent(t *testing.T, s anshin.Store) { smsCapConcurrent(t, s, false) }

// testSMSTurns is testSMSCapConcurrent with TakeSMSTurn first: the cap
// holds as exactly, and no transaction runs twice (none lost to another).
func testSMSTurns(t *testing.T, s anshin.Store) {
	if runs := smsCapConcurrent(t, s, true); runs != 20 {
		t.Errorf("20 transactions taking turns ran %d times, want each once", runs)
	}
}

func smsCapConcurrent(t *testing.T, s anshin.Store, turns bool) (runs int32) {
	const limit = 5
	var queued, ran atomic.Int32
	concurrently(t, 20, func(i int) error {
		did := false
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			did = false
			ran.Add(1)
			if turns {
				if err := tx.TakeSMSTurn(); err != nil {
					return err
				}
			}
			number := fmt.Sprintf("+8190%08d", i)
			c, err := tx.CountSMS(fmt.Sprintf("acct-%d", i), number, t0.Add(-time.Hour), anshin.SMSCaps{PerAccount: 10, PerNumber: 10, Total: limit})
			if err != nil || c.Total >= limit {
				return err
			}
			sms := delivery(fmt.Sprintf("sms-%02d", i), t0)
			sms.Channel, sms.Recipient, sms.CreatedAt = anshin.MethodSMS, number, t0.Add(time.Duration(i)*7*time.Second)
			if err := tx.EnqueueDelivery(sms); err != nil {
				return err
			}
			did = true
			return nil
		})
		if did && err == nil {
			queued.Add(1)
		}
		return err
	})
	if n := queued.Load(); n != limit {
		t.Errorf("%d SMS queued, want exactly the cap %d", n, limit)
	}
	view(t, s, func(tx anshin.Tx) error {
		c, err := tx.CountSMS("nobody", "+819099990000", t0.Add(-time.Hour), anshin.SMSCaps{Total: 100})
		if err == nil && c.Total != limit {
			t.Errorf("%d SMS counted, want %d", c.Total, limit)
		}
		return err
	})
	return ran.Load()
}

// testUpdateOne checks that UpdateOne runs one statement as its own
// transaction: a second would not be atomic with the first, so it is
// refused, and the first stays written.
func testUpdateOne(t *testing.T, s anshin.Store) {
	ctx := context.Background()
	if err := s.UpdateOne(ctx, func(tx anshin.Tx) error { return tx.EnqueueDelivery(delivery("d1", t0)) }); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateOne(ctx, func(tx anshin.Tx) error {
		if err := tx.FinishDelivery("d1", anshin.DeliverySent, "", t0); err != nil {
			return err
		}
		return tx.SetDeliveryProviderID("d1", "SM123")
	})
	if err == nil || !strings.Contains(err.Error(), "second statement") {
		t.Fatalf("two statements in UpdateOne: %v", err)
	}
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.FlowDeliveries("flow-d1")
		if err == nil && (len(got) != 1 || got[0].Status != anshin.DeliverySent) {
			t.Errorf("after the refused second statement: %+v", got)
		}
		return err
	})
}
