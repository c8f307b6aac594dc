package storetest

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testMailNotificationDisabled(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "Taro@Example.JP", Reason: "550 5.1.1 user unknown", DeliveryID: "d1", At: t0})
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.MailNotificationDisabled([]string{"taro@example.jp", "hanako@example.jp"})
		if err == nil && (!got["taro@example.jp"] || got["hanako@example.jp"]) {
			t.Errorf("suppressed: %v", got)
		}
		got, err = tx.MailNotificationDisabled(nil)
		if err == nil && len(got) != 0 {
			t.Errorf("suppressed of none: %v", got)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error {
		// Again, other case: replaced, not duplicated.
		if err := tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "TARO@example.jp", Reason: "again", At: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.ClearMailNotificationDisabled("taro@EXAMPLE.jp")
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.MailNotificationDisabled([]string{"taro@example.jp"})
		if err == nil && got["taro@example.jp"] {
			t.Error("deleted suppression still applies")
		}
		return err
	})
}

func testBounces(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"d1", "d2", "d3"} {
			if err := tx.EnqueueDelivery(delivery(id, t0)); err != nil {
				return err
			}
		}
		return nil
	})
	bounce := func(id, class string, at time.Time) bool {
		var ok bool
		update(t, s, func(tx anshin.Tx) error {
			var err error
			ok, err = tx.RecordBounce(&anshin.BounceEvent{DeliveryID: id, Recipient: strings.ToUpper(id) + "@Example.JP", Class: class,
				Reason: "test", Status: "4.2.2", Diagnostic: "mailbox full", At: at})
			return err
		})
		return ok
	}
	if !bounce("d1", "transient", t0) || bounce("d1", "transient", t0.Add(time.Second)) {
		t.Error("a transient bounce was not recorded once")
	}
	// A permanent failure upgrades a transient one, once; nothing downgrades it.
	if !bounce("d1", "permanent", t0.Add(2*time.Second)) || bounce("d1", "permanent", t0.Add(3*time.Second)) || bounce("d1", "transient", t0.Add(4*time.Second)) {
		t.Error("a permanent bounce did not upgrade the transient one exactly once")
	}
	bounce("d2", "transient", t0.Add(time.Minute))
	bounce("d3", "transient", t0.Add(2*time.Minute))
	view(t, s, func(tx anshin.Tx) error {
		// d2 and d3 went to different recipients; each counts for its own.
		n, err := tx.CountTransientBounces("d2@example.jp", t0)
		if err == nil && n != 1 {
			t.Errorf("transient bounces of d2's recipient: %d", n)
		}
		n, err = tx.CountTransientBounces("D3@example.jp", t0.Add(3*time.Minute))
		if err == nil && n != 0 {
			t.Errorf("transient bounces outside the window: %d", n)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error {
		return tx.MarkDeliveryBounced("d1", "no_such_user", "5.1.1", t0.Add(time.Hour))
	})
	view(t, s, func(tx anshin.Tx) error {
		d, err := tx.Delivery("d1")
		if err == nil && (d.Status != anshin.DeliveryBounced || d.BounceReason != "no_such_user" || d.BounceStatus != "5.1.1" || len(d.Payload) != 0) {
			t.Errorf("bounced delivery: %+v", d)
		}
		_, err = tx.Delivery("nope")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	update(t, s, func(tx anshin.Tx) error {
		return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "D1@example.jp", Reason: "user_unknown", DeliveryID: "d1", Status: "5.1.1", Diagnostic: "no such user", At: t0})
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.MailNotificationDisabledOf("d1@EXAMPLE.jp")
		if err == nil && (got.Reason != "user_unknown" || got.DeliveryID != "d1" || got.Status != "5.1.1" || got.Diagnostic != "no such user" || !got.At.Equal(t0)) {
			t.Errorf("suppression: %+v", got)
		}
		_, err = tx.MailNotificationDisabledOf("nobody@example.jp")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
}

// testBounceConcurrent: copies of one bounce arriving together (at two
// instances, say) are recorded once.
func testBounceConcurrent(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error { return tx.EnqueueDelivery(delivery("d1", t0)) })
	var recorded atomic.Int32
	concurrently(t, 20, func(i int) error {
		var ok bool
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			var err error
			ok, err = tx.RecordBounce(&anshin.BounceEvent{DeliveryID: "d1", Recipient: "d1@example.jp", Class: "permanent", Reason: "user_unknown", At: t0})
			return err
		})
		if ok && err == nil {
			recorded.Add(1)
		}
		return err
	})
	if n := recorded.Load(); n != 1 {
		t.Fatalf("the bounce was recorded %d times, want once", n)
	}
}

func testAdministratorsByAddress(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		a1, a2 := account("a1"), account("a2")
		a2.ContactEmails = []string{"other@example.jp", "Shared@Example.jp"}
		for _, a := range []*anshin.Account{a1, a2} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, g := range []string{"g1", "g2"} {
			if err := tx.PutGroup(group(g)); err != nil {
				return err
			}
		}
		ad := admin("g1", "a1", anshin.RoleRepresentative)
		ad.Email = "SHARED@example.jp"
		if err := tx.PutAdministrator(ad); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g2", "a2", anshin.RoleRepresentative))
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.AdministratorsByAddress("shared@example.jp")
		if err != nil {
			return err
		}
		got := map[string]bool{}
		for _, a := range list {
			got[a.GroupID+"/"+a.AccountID] = true
		}
		if len(list) != 2 || !got["g1/a1"] || !got["g2/a2"] {
			t.Errorf("administrators by address: %v", got)
		}
		list, err = tx.AdministratorsByAddress("shared@example")
		if err == nil && len(list) != 0 {
			t.Errorf("a part of an address matched %d administrators", len(list))
		}
		return err
	})
}
