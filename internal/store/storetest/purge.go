package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// purgeNow is when the purge tests run: two days after t0, with a day of
// retention, so rows made at t0 are past retention and rows made at
// purgeNow are not.
var purgeNow = t0.Add(48 * time.Hour)

func purgeCutoffs() anshin.PurgeCutoffs {
	return anshin.PurgeCutoffs{Now: purgeNow, KeysCreatedBefore: purgeNow.Add(-time.Hour), FlowsExpiredBefore: purgeNow.Add(-time.Hour),
		SessionIdleSince: purgeNow.Add(-30 * time.Minute), RetainSince: purgeNow.Add(-24 * time.Hour)}
}

// purgeSeed writes, for each kind, rows that are no longer live (the
// returned counts) beside rows that are and must stay.
func purgeSeed(t *testing.T, s anshin.Store) map[anshin.PurgeKind]int {
	now := purgeNow
	live := func(id string) *anshin.Flow {
		f := flow(id, "a1")
		f.CreatedAt, f.ExpiresAt = now.Add(-time.Minute), now.Add(29*time.Minute)
		return f
	}
	dead := flow("f-dead", "a1") // expired at t0+30m
	grace := flow("f-grace", "a1")
	grace.CreatedAt, grace.ExpiresAt = now.Add(-40*time.Minute), now.Add(-10*time.Minute)
	update(t, s, func(tx anshin.Tx) error {
		for _, f := range []*anshin.Flow{live("f-live"), dead, grace} {
			if err := tx.CreateFlow(f); err != nil {
				return err
			}
		}
		keys := []*anshin.OneTimeKey{
			key("k-dead", "f-dead", "a1", t0),                          // its flow expired: goes
			key("k-gone", "f-missing", "a1", t0),                       // its flow is gone: goes
			key("k-window", "f-grace", "a1", now.Add(-40*time.Minute)), // still in the account's window
			key("k-live", "f-live", "a1", now.Add(-time.Minute)),       // usable
		}
		// A live flow's expired key stays too: the flow still reads it.
		old := key("k-live-old", "f-live", "a1", now.Add(-2*time.Hour))
		keys = append(keys, old)
		for _, k := range keys {
			if err := tx.CreateKey(k); err != nil {
				return err
			}
		}
		sessions := []*anshin.Session{
			{ID: "s-live", AccountID: "a1", GroupID: "g1", CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Minute), ExpiresAt: now.Add(11 * time.Hour)},
			{ID: "s-max", AccountID: "a1", GroupID: "g1", CreatedAt: now.Add(-13 * time.Hour), LastSeenAt: now.Add(-time.Minute), ExpiresAt: now.Add(-time.Hour)},
			{ID: "s-idle", AccountID: "a1", GroupID: "g1", CreatedAt: now.Add(-2 * time.Hour), LastSeenAt: now.Add(-time.Hour), ExpiresAt: now.Add(10 * time.Hour)},
		}
		for _, sess := range sessions {
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
		}
		for id, exp := range map[string]time.Time{"ch-dead": now, "ch-live": now.Add(time.Minute)} {
			if err := tx.CreateChallenge(&anshin.WebAuthnChallenge{ID: id, Purpose: anshin.CeremonyLogin, Data: []byte("{}"), CreatedAt: exp.Add(-5 * time.Minute), ExpiresAt: exp}); err != nil {
				return err
			}
		}
		for _, th := range []struct {
			name          string
			locked, expir time.Time
		}{
			{"th-live", time.Time{}, now.Add(time.Hour)},
			{"th-locking", now.Add(time.Hour), now.Add(-time.Minute)}, // expired, but still locks: stays
			{"th-dead", now.Add(-2 * time.Hour), now.Add(-time.Hour)},
		} {
			if err := tx.PutThrottle(th.name, 3, th.locked, th.expir); err != nil {
				return err
			}
		}
		// Deliveries: a queued key message whose key expired loses its
		// payload but stays queued; one whose key is usable keeps both.
		for _, d := range []*anshin.Delivery{delivery("d-old-queued", now), delivery("d-old-sent", now), delivery("d-new-sent", now), delivery("d-key-live", now)} {
			if d.ID == "d-new-sent" || d.ID == "d-key-live" {
				d.CreatedAt = now
			}
			if d.ID == "d-key-live" {
				d.KeyID = "k-live"
			}
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
		}
		note := delivery("d-note", now)
		note.Kind, note.KeyID, note.CreatedAt = anshin.DeliveryKindNotification, "", now
		if err := tx.EnqueueDelivery(note); err != nil {
			return err
		}
		// Queued SMS notices, one past retention: only its minute's count
		// goes.
		for id, at := range map[string]time.Time{"d-sms-old": t0, "d-sms-new": now} {
			sms := delivery(id, now)
			sms.Kind, sms.KeyID, sms.Channel, sms.Recipient, sms.CreatedAt = anshin.DeliveryKindNotification, "", anshin.MethodSMS, "+819011110000", at
			if err := tx.EnqueueDelivery(sms); err != nil {
				return err
			}
		}
		for _, id := range []string{"d-old-sent", "d-new-sent"} {
			if err := tx.FinishDelivery(id, anshin.DeliverySent, "", now); err != nil {
				return err
			}
		}
		for _, b := range []*anshin.BounceEvent{
			{DeliveryID: "d-old-sent", Recipient: "old@example.jp", Class: "transient", Reason: "test", At: t0},
			{DeliveryID: "d-new-sent", Recipient: "new@example.jp", Class: "transient", Reason: "test", At: now},
		} {
			if _, err := tx.RecordBounce(b); err != nil {
				return err
			}
		}
		for id, at := range map[string]time.Time{"old": t0, "new": now} {
			if _, err := tx.RecordProviderEvent("ses", "ev-"+id, "d-"+id+"-sent", at); err != nil {
				return err
			}
		}
		for _, at := range []time.Time{t0, t0.Add(time.Hour), now.Add(-time.Hour)} {
			if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: "g1", AccountID: "a1", Kind: "sign_in", At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	return map[anshin.PurgeKind]int{
		anshin.PurgePayloads:       1, // d-old-queued (key-d-old-queued does not exist)
		anshin.PurgeKeys:           2,
		anshin.PurgeFlows:          1,
		anshin.PurgeSessions:       2,
		anshin.PurgeChallenges:     1,
		anshin.PurgeThrottles:      1,
		anshin.PurgeDeliveries:     1,
		anshin.PurgeBounces:        1,
		anshin.PurgeProviderEvents: 1,
		anshin.PurgeSMSMinutes:     1,
		anshin.PurgeAudit:          2,
	}
}

// purgeAll purges every kind in batches of n until nothing is left.
func purgeAll(s anshin.Store, n int) (map[anshin.PurgeKind]int, error) {
	got := map[anshin.PurgeKind]int{}
	for _, kind := range anshin.PurgeKinds {
		for {
			var removed int
			err := s.Update(context.Background(), func(tx anshin.Tx) error {
				var err error
				removed, err = tx.Purge(kind, purgeCutoffs(), n)
				return err
			})
			if err != nil {
				return got, fmt.Errorf("purge %s: %w", kind, err)
			}
			if removed > n {
				return got, fmt.Errorf("purge %s removed %d in a batch of %d", kind, removed, n)
			}
			got[kind] += removed
			if removed == 0 {
				break
			}
		}
	}
	return got, nil
}

func testPurge(t *testing.T, s anshin.Store) {
	want := purgeSeed(t, s)
	got, err := purgeAll(s, 1) // batches of one: the bound holds
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("purged %v, want %v", got, want)
	}
	checkPurged(t, s)
	// Nothing is left to purge: a second run removes nothing.
	if again, err := purgeAll(s, 500); err != nil || fmt.Sprint(again) != fmt.Sprint(map[anshin.PurgeKind]int{
		anshin.PurgePayloads: 0, anshin.PurgeKeys: 0, anshin.PurgeFlows: 0, anshin.PurgeSessions: 0, anshin.PurgeChallenges: 0,
		anshin.PurgeThrottles: 0, anshin.PurgeDeliveries: 0, anshin.PurgeBounces: 0, anshin.PurgeProviderEvents: 0, anshin.PurgeSMSMinutes: 0, anshin.PurgeAudit: 0}) {
		t.Errorf("second purge: %v, %v", again, err)
	}
}

// checkPurged checks that what expired is gone and what is live is not.
func checkPurged(t *testing.T, s anshin.Store) {
	t.Helper()
	view(t, s, func(tx anshin.Tx) error {
		present := func(what string, err error, want bool) {
			t.Helper()
			if err != nil && anshin.ErrorCode(err) != anshin.ECodeNotFound {
				t.Fatalf("%s: %v", what, err)
			}
			if (err == nil) != want {
				t.Errorf("%s present: %v, want %v", what, err == nil, want)
			}
		}
		for id, want := range map[string]bool{"f-live": true, "f-grace": true, "f-dead": false} {
			_, err := tx.Flow(id)
			present("flow "+id, err, want)
		}
		for id, want := range map[string]bool{"k-live": true, "k-live-old": true, "k-window": true, "k-dead": false, "k-gone": false} {
			_, err := tx.Key(id)
			present("key "+id, err, want)
		}
		for id, want := range map[string]bool{"s-live": true, "s-max": false, "s-idle": false} {
			_, err := tx.Session(id)
			present("session "+id, err, want)
		}
		for name, want := range map[string]bool{"th-live": true, "th-locking": true, "th-dead": false} {
			n, _, err := tx.Throttle(name, time.Time{})
			if err != nil {
				return err
			}
			if (n > 0) != want {
				t.Errorf("throttle %s present: %v, want %v", name, n > 0, want)
			}
		}
		for id, want := range map[string]bool{"d-old-queued": true, "d-old-sent": false, "d-new-sent": true, "d-key-live": true, "d-note": true, "d-sms-old": true} {
			_, err := tx.Delivery(id)
			present("delivery "+id, err, want)
		}
		for id, want := range map[string]int{"d-old-queued": 0, "d-key-live": 5, "d-note": 5} {
			d, err := tx.Delivery(id)
			if err != nil {
				return err
			}
			if len(d.Payload) != want || d.Status != anshin.DeliveryQueued {
				t.Errorf("delivery %s: payload of %d bytes, %s; want %d, queued", id, len(d.Payload), d.Status, want)
			}
		}
		for addr, want := range map[string]int{"old@example.jp": 0, "new@example.jp": 1} {
			n, err := tx.CountTransientBounces(addr, time.Time{})
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("bounces of %s: %d, want %d", addr, n, want)
			}
		}
		audit, err := tx.Audit("g1", 10)
		if err != nil {
			return err
		}
		if len(audit) != 1 || !audit[0].At.Equal(purgeNow.Add(-time.Hour)) {
			t.Errorf("audit after purge: %d events", len(audit))
		}
		return nil
	})
}

// PurgeConcurrently checks purges run at once from two handles a and b on
// one database (two instances): none fails, every row is counted once,
// and nothing live goes.
func PurgeConcurrently(t *testing.T, a, b anshin.Store) {
	want := purgeSeed(t, a)
	// More rows of each retention kind, so that batches overlap.
	update(t, a, func(tx anshin.Tx) error {
		for i := range 200 {
			if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: "g2", Kind: "sign_in", At: t0}); err != nil {
				return err
			}
			if err := tx.PutThrottle(fmt.Sprintf("th-dead-%d", i), 1, time.Time{}, t0); err != nil {
				return err
			}
		}
		return nil
	})
	want[anshin.PurgeAudit] += 200
	want[anshin.PurgeThrottles] += 200
	var mu sync.Mutex
	total := map[anshin.PurgeKind]int{}
	concurrently(t, 4, func(i int) error {
		got, err := purgeAll([]anshin.Store{a, b}[i%2], 7)
		mu.Lock()
		defer mu.Unlock()
		for k, n := range got {
			total[k] += n
		}
		return err
	})
	if fmt.Sprint(total) != fmt.Sprint(want) {
		t.Errorf("purged in all %v, want %v", total, want)
	}
	checkPurged(t, a)
	checkPurged(t, b)
}
