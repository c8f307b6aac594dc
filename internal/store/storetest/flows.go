package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testFlows(t *testing.T, s anshin.Store) {
	f := &anshin.Flow{ID: "f1", SealedLoginID: []byte{0, 0xff, 'A', 0x80, '\n'}, Step: anshin.StepPassword, ClientIP: "2001:db8::1", CreatedAt: t0, ExpiresAt: t0.Add(30 * time.Minute)}
	update(t, s, func(tx anshin.Tx) error { return tx.CreateFlow(f) })
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.CreateFlow(f) }), anshin.ECodeConflict)
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Flow("f1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("flow read back as %+v, want %+v", got, f)
		}
		_, err = tx.Flow("nope")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	next := *f
	next.AccountID, next.Step, next.Scope = "a1", anshin.StepOneTimeKey, []string{"g1", "g2"}
	// A flow lives as long as it was given at its start: moving it on
	// cannot lengthen it.
	next.ExpiresAt = f.ExpiresAt.Add(24 * time.Hour)
	update(t, s, func(tx anshin.Tx) error { return tx.UpdateFlow(&next, anshin.StepPassword) })
	// From a step the flow has left: the transaction fails whole, with the
	// writes it made after the check (on PostgreSQL sent with it, in one
	// round trip, before its failure was known).
	again := next
	again.Step, again.GroupID = anshin.StepDone, "g9"
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error {
		if err := tx.UpdateFlow(&again, anshin.StepPassword); err != nil {
			return err
		}
		return tx.CreateSession(&anshin.Session{ID: "after-moved", AccountID: "a1", GroupID: "g9", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
	}), anshin.ECodeFlowStep)
	view(t, s, func(tx anshin.Tx) error {
		if _, err := tx.Session("after-moved"); anshin.ErrorCode(err) != anshin.ECodeNotFound {
			t.Errorf("a write after a failed UpdateFlow was kept: %v", err)
		}
		got, err := tx.Flow("f1")
		if err == nil && (got.Step != anshin.StepOneTimeKey || got.AccountID != "a1" || got.GroupID != "" || !reflect.DeepEqual(got.Scope, []string{"g1", "g2"}) || !got.ExpiresAt.Equal(f.ExpiresAt)) {
			t.Errorf("flow after update: %+v", got)
		}
		return err
	})
}

// testFlowAccount: the flow and its account read together are what the
// two reads one after the other give, with or without the lock; a flow
// without an account, one whose account is gone and a missing flow are
// told apart.
func testFlowAccount(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.CreateFlow(flow("f-none", "")); err != nil {
			return err
		}
		return tx.CreateFlow(flow("f-ghost", "ghost"))
	})
	for _, lock := range []bool{false, true} {
		update(t, s, func(tx anshin.Tx) error {
			f, a, err := tx.FlowAccount("f1", lock)
			if err != nil {
				return err
			}
			wantF, _ := tx.Flow("f1")
			wantA, _ := tx.AccountByID("a1")
			if !reflect.DeepEqual(f, wantF) || !reflect.DeepEqual(a, wantA) {
				t.Errorf("lock %v: FlowAccount gave %+v and %+v, want %+v and %+v", lock, f, a, wantF, wantA)
			}
			if f, a, err := tx.FlowAccount("f-none", lock); err != nil || f == nil || f.ID != "f-none" || a != nil {
				t.Errorf("lock %v: a flow without an account: %+v, %+v, %v", lock, f, a, err)
			}
			f, a, err = tx.FlowAccount("f-ghost", lock)
			wantCode(t, err, anshin.ECodeNotFound)
			if f == nil || f.ID != "f-ghost" || a != nil {
				t.Errorf("lock %v: a flow whose account is gone: %+v, %+v", lock, f, a)
			}
			f, a, err = tx.FlowAccount("nope", lock)
			wantCode(t, err, anshin.ECodeNotFound)
			if f != nil || a != nil {
				t.Errorf("lock %v: no flow: %+v, %+v", lock, f, a)
			}
			return nil
		})
	}
}

// testUpdateFlowOnce: of many transactions moving a flow on from one step,
// exactly one does.
func testUpdateFlowOnce(t *testing.T, s anshin.Store) {
	seed(t, s)
	var won atomic.Int32
	concurrently(t, 20, func(i int) error {
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			f, err := tx.Flow("f1")
			if err != nil {
				return err
			}
			f.Step, f.GroupID = anshin.StepDone, fmt.Sprintf("g%d", i)
			return tx.UpdateFlow(f, anshin.StepOneTimeKey)
		})
		switch {
		case err == nil:
			won.Add(1)
		case anshin.ErrorCode(err) == anshin.ECodeFlowStep:
			err = nil // another advanced it first
		}
		return err
	})
	if n := won.Load(); n != 1 {
		t.Fatalf("%d transactions advanced the flow, want 1", n)
	}
}

func testKeys(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		if ks, err := tx.CurrentKeys("f1"); err != nil || len(ks) != 0 {
			t.Errorf("keys before any issuance: %v %v", ks, err)
		}
		return tx.CreateKey(key("k1", "f1", "a1", t0))
	})
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.CreateKey(key("k1", "f1", "a1", t0)) }), anshin.ECodeConflict)
	view(t, s, func(tx anshin.Tx) error {
		k, err := tx.Key("k1")
		if err != nil {
			return err
		}
		want := key("k1", "f1", "a1", t0)
		if !reflect.DeepEqual(k, want) {
			t.Errorf("key read back as %+v, want %+v", k, want)
		}
		_, err = tx.Key("nope")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	// A replacement issued in the same millisecond: the issuance not
	// invalidated is the current one, whatever the IDs.
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.InvalidateFlowKeys("f1", t0); err != nil {
			return err
		}
		return tx.CreateKey(key("k0", "f1", "a1", t0))
	})
	view(t, s, func(tx anshin.Tx) error {
		ks, err := tx.CurrentKeys("f1")
		if err == nil && (len(ks) != 1 || ks[0].ID != "k0") {
			t.Errorf("current keys %v, want the replacement k0", ks)
		}
		return err
	})
	use := func(id string, at time.Time) error {
		return s.Update(context.Background(), func(tx anshin.Tx) error { return tx.UseKey(id, at) })
	}
	wantCode(t, use("k1", t0), anshin.ECodeKeyInvalid) // invalidated
	if err := use("k0", t0.Add(time.Second)); err != nil {
		t.Errorf("the current key was not used: %v", err)
	}
	wantCode(t, use("k0", t0.Add(2*time.Second)), anshin.ECodeKeyInvalid) // used
	update(t, s, func(tx anshin.Tx) error {
		// Invalidating a used key changes nothing.
		if err := tx.InvalidateFlowKeys("f1", t0.Add(3*time.Second)); err != nil {
			return err
		}
		k, err := tx.Key("k0")
		if err == nil && (!k.UsedAt.Equal(t0.Add(time.Second)) || !k.InvalidatedAt.IsZero() || k.Usable(t0)) {
			t.Errorf("used key: %+v", k)
		}
		return err
	})
}

// testIssuance: an issuance of several keys (one per e-mail address) is
// the flow's current keys as a whole, counts once towards the limits, and
// is invalidated as a whole.
func testIssuance(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		for i, id := range []string{"a", "b", "c"} {
			k := key(id, "f1", "a1", t0.Add(time.Duration(i)*time.Millisecond))
			k.IssueID, k.Scope = "first", []string{"g-" + id}
			if err := tx.CreateKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		ks, err := tx.CurrentKeys("f1")
		if err != nil {
			return err
		}
		if len(ks) != 3 || ks[0].ID != "a" || ks[2].ID != "c" || ks[1].Scope[0] != "g-b" {
			t.Errorf("current keys %+v, want a, b, c", ks)
		}
		c, err := tx.CountKeys("f1", "a1", t0.Add(-time.Hour), 10)
		if err == nil && (c.PerFlow != 1 || c.PerAccount != 1) {
			t.Errorf("one issuance of three keys counted as %+v", c)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.UseKey("b", t0.Add(time.Second)); err != nil {
			return err
		}
		if err := tx.InvalidateFlowKeys("f1", t0.Add(2*time.Second)); err != nil {
			return err
		}
		// A second issuance in the same millisecond as the first's last key.
		k := key("d", "f1", "a1", t0.Add(2*time.Millisecond))
		k.IssueID = "second"
		return tx.CreateKey(k)
	})
	view(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"a", "c"} {
			if k, err := tx.Key(id); err != nil || k.InvalidatedAt.IsZero() {
				t.Errorf("key %s not invalidated with its flow: %+v %v", id, k, err)
			}
		}
		if k, err := tx.Key("b"); err != nil || !k.InvalidatedAt.IsZero() || k.UsedAt.IsZero() {
			t.Errorf("the used key b changed: %+v %v", k, err)
		}
		ks, err := tx.CurrentKeys("f1")
		if err == nil && (len(ks) != 1 || ks[0].ID != "d") {
			t.Errorf("current keys after a new issuance: %+v", ks)
		}
		c, err2 := tx.CountKeys("f1", "a1", t0.Add(-time.Hour), 10)
		if err2 == nil && (c.PerFlow != 2 || c.PerAccount != 2) {
			t.Errorf("two issuances counted as %+v", c)
		}
		return errors.Join(err, err2)
	})
}

func testCountKeys(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.CreateFlow(flow("f2", "a1")); err != nil {
			return err
		}
		c, err := tx.CountKeys("f1", "a1", t0.Add(-time.Hour), 10)
		if err == nil && (c != anshin.KeyCounts{}) {
			t.Errorf("counts without keys: %+v", c)
		}
		// Keys at t0, t0+1m … t0+5m in f1, t0+10m in f2.
		for i := range 6 {
			if err := tx.CreateKey(key(fmt.Sprintf("k%d", i), "f1", "a1", t0.Add(time.Duration(i)*time.Minute))); err != nil {
				return err
			}
		}
		if err := tx.CreateKey(key("k9", "f2", "a1", t0.Add(10*time.Minute))); err != nil {
			return err
		}
		return tx.CreateKey(key("other", "f9", "a2", t0.Add(20*time.Minute)))
	})
	view(t, s, func(tx anshin.Tx) error {
		// The window starts after t0+1m: the key at t0+1m is out.
		c, err := tx.CountKeys("f1", "a1", t0.Add(time.Minute), 10)
		if err != nil {
			return err
		}
		want := anshin.KeyCounts{PerFlow: 6, PerAccount: 5, OldestInWindow: t0.Add(2 * time.Minute), Last: t0.Add(10 * time.Minute)}
		if c != want {
			t.Errorf("counts %+v, want %+v", c, want)
		}
		// Counting stops at upTo.
		c, err = tx.CountKeys("f2", "a1", t0.Add(-time.Hour), 3)
		if err != nil {
			return err
		}
		if c.PerFlow != 1 || c.PerAccount != 3 || !c.OldestInWindow.Equal(t0) {
			t.Errorf("counts up to 3: %+v", c)
		}
		return nil
	})
}

// testUseKeyConcurrent: 50 transactions race to use one key; one wins.
func testUseKeyConcurrent(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error { return tx.CreateKey(key("k1", "f1", "a1", t0)) })
	var won atomic.Int32
	concurrently(t, 50, func(i int) error {
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			ks, err := tx.CurrentKeys("f1")
			if err != nil {
				return err
			}
			// The session goes out with the key's use, before its check is
			// known (PostgreSQL): a loser's must not be kept.
			if err := tx.UseKey(ks[0].ID, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
				return err
			}
			return tx.CreateSession(&anshin.Session{ID: fmt.Sprintf("s%d", i), AccountID: "a1", GroupID: "g1", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
		})
		switch {
		case err == nil:
			won.Add(1)
		case anshin.ErrorCode(err) == anshin.ECodeKeyInvalid:
			err = nil // used by another
		}
		return err
	})
	if n := won.Load(); n != 1 {
		t.Fatalf("the key was used %d times, want once", n)
	}
	// Only the winner's writes were kept.
	view(t, s, func(tx anshin.Tx) error {
		sessions := 0
		for i := range 50 {
			if _, err := tx.Session(fmt.Sprintf("s%d", i)); err == nil {
				sessions++
			}
		}
		if sessions != 1 {
			t.Errorf("%d sessions stored, want 1", sessions)
		}
		return nil
	})
}

// testIssueLimitConcurrent is IssueKey's pattern: lock the account, count,
// issue if under the limit. However many race, the limit holds exactly,
// the account locked by itself or with its flow (FlowAccount).
func testIssueLimitConcurrent(t *testing.T, s anshin.Store) {
	issueLimitConcurrent(t, s, func(tx anshin.Tx) error {
		_, err := tx.LockAccount("a1")
		return err
	})
}

func testIssueLimitWithFlowConcurrent(t *testing.T, s anshin.Store) {
	issueLimitConcurrent(t, s, func(tx anshin.Tx) error {
		_, _, err := tx.FlowAccount("f1", true)
		return err
	})
}

func issueLimitConcurrent(t *testing.T, s anshin.Store, lock func(tx anshin.Tx) error) {
	seed(t, s)
	const limit = 5
	var issued atomic.Int32
	concurrently(t, 20, func(i int) error {
		did := false
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			did = false
			if err := lock(tx); err != nil {
				return err
			}
			c, err := tx.CountKeys("f1", "a1", t0.Add(-time.Hour), limit)
			if err != nil {
				return err
			}
			if c.PerAccount >= limit {
				return nil
			}
			if err := tx.CreateKey(key(fmt.Sprintf("k%02d", i), "f1", "a1", t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
				return err
			}
			did = true
			return nil
		})
		if did && err == nil {
			issued.Add(1)
		}
		return err
	})
	view(t, s, func(tx anshin.Tx) error {
		c, err := tx.CountKeys("f1", "a1", t0.Add(-time.Hour), 100)
		if err == nil && c.PerFlow != limit {
			t.Errorf("%d keys stored, want exactly the limit %d", c.PerFlow, limit)
		}
		return err
	})
	if n := issued.Load(); n != limit {
		t.Errorf("%d issues committed, want %d", n, limit)
	}
}

func testThrottles(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		n, till, err := tx.Throttle("pw:account:x", t0)
		if err == nil && (n != 0 || !till.IsZero()) {
			t.Errorf("unknown throttle: %d %v", n, till)
		}
		if err := tx.PutThrottle("pw:account:x", 3, t0.Add(time.Minute), t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.PutThrottle("pw:client:192.0.2.1", 1, time.Time{}, t0.Add(time.Hour))
	})
	view(t, s, func(tx anshin.Tx) error {
		n, till, err := tx.Throttle("pw:account:x", t0.Add(time.Second))
		if err == nil && (n != 3 || !till.Equal(t0.Add(time.Minute))) {
			t.Errorf("throttle: %d %v", n, till)
		}
		// Several in one read, in the order named; an unknown one is zero.
		st, err := tx.Throttles(t0.Add(time.Second), "pw:client:192.0.2.1", "nobody", "pw:account:x")
		want := []anshin.ThrottleState{{Failures: 1}, {}, {Failures: 3, LockedTill: t0.Add(time.Minute)}}
		if err == nil && fmt.Sprint(st) != fmt.Sprint(want) {
			t.Errorf("Throttles = %v, want %v", st, want)
		}
		if st, err := tx.Throttles(t0.Add(time.Hour), "pw:account:x"); err == nil && st[0] != (anshin.ThrottleState{}) {
			t.Errorf("expired in Throttles: %v", st)
		}
		// Expired: as if it never was.
		n, till, err = tx.Throttle("pw:account:x", t0.Add(time.Hour))
		if err == nil && (n != 0 || !till.IsZero()) {
			t.Errorf("expired throttle: %d %v", n, till)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutThrottle("pw:account:x", 4, time.Time{}, t0.Add(2*time.Hour)); err != nil {
			return err
		}
		return tx.DeleteThrottle("pw:client:192.0.2.1")
	})
	view(t, s, func(tx anshin.Tx) error {
		n, _, err := tx.Throttle("pw:account:x", t0.Add(time.Hour))
		if err == nil && n != 4 {
			t.Errorf("replaced throttle: %d", n)
		}
		n, _, err = tx.Throttle("pw:client:192.0.2.1", t0)
		if err == nil && n != 0 {
			t.Errorf("deleted throttle: %d", n)
		}
		return err
	})
}

// testThrottleConcurrent is the password rule's pattern: read the count,
// write it plus one. Concurrent failures are all counted.
func testThrottleConcurrent(t *testing.T, s anshin.Store) {
	const n = 30
	concurrently(t, n, func(i int) error {
		return s.Update(context.Background(), func(tx anshin.Tx) error {
			failures, _, err := tx.Throttle("pw:account:x", t0)
			if err != nil {
				return err
			}
			return tx.PutThrottle("pw:account:x", failures+1, time.Time{}, t0.Add(time.Hour))
		})
	})
	view(t, s, func(tx anshin.Tx) error {
		got, _, err := tx.Throttle("pw:account:x", t0)
		if err == nil && got != n {
			t.Errorf("%d failures counted, want %d", got, n)
		}
		return err
	})
}
