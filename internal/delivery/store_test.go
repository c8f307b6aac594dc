package delivery_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

// The store methods delivery adds (receipts, SMS counts) behave the same
// on SQLite and, when scripts/test started it, PostgreSQL.
func TestReceiptsAndSMSCountsOnEachStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkReceiptsAndSMSCounts(t, newFixture(t)) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(testenv.PostgresURL) == "" && os.Getenv("CI") != "true" {
			t.Skip(testenv.PostgresURL + " is not set")
		}
		db := anshintest.MustOpenURL(t, storetest.PostgresDatabase(t, testenv.Require(t, testenv.PostgresURL)))
		f := newFixture(t)
		f.db = db
		checkReceiptsAndSMSCounts(t, f)
	})
}

func checkReceiptsAndSMSCounts(t *testing.T, f *fixture) {
	ctx := context.Background()
	// Two accounts, three SMS in the window (two to one number), one older
	// than the window, one e-mail.
	at := []time.Duration{-2 * time.Hour, -50 * time.Minute, -20 * time.Minute, -10 * time.Minute}
	to := []string{"+819011110000", "+819011110000", "+819011110000", "+819022220000"}
	acct := []string{"a1", "a1", "a2", "a1"}
	err := f.db.Update(ctx, func(tx anshin.Tx) error {
		for i := range at {
			created := f.now.Add(at[i])
			k := &anshin.OneTimeKey{ID: fmt.Sprintf("k%d", i), FlowID: "f", AccountID: acct[i], Method: anshin.MethodSMS, Hash: "h",
				CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
			if err := tx.CreateKey(k); err != nil {
				return err
			}
			d := &anshin.Delivery{ID: fmt.Sprintf("d%d", i), Kind: anshin.DeliveryKindKey, Channel: anshin.MethodSMS, Recipient: to[i], FlowID: "f",
				KeyID: k.ID, Lang: "ja", Payload: []byte("x"), NextAttemptAt: created, CreatedAt: created, UpdatedAt: created}
			if err := tx.EnqueueDelivery(d); err != nil {
				return err
			}
		}
		return tx.EnqueueDelivery(&anshin.Delivery{ID: "mail", Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail, Recipient: "a@example.jp",
			Lang: "ja", Payload: []byte("x"), NextAttemptAt: f.now, CreatedAt: f.now, UpdatedAt: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	var c anshin.SMSCounts
	f.db.View(ctx, func(tx anshin.Tx) (err error) {
		c, err = tx.CountSMS("a1", "+819011110000", f.now.Add(-time.Hour), anshin.SMSCaps{PerAccount: 10, PerNumber: 10, Total: 10})
		return err
	})
	want := anshin.SMSCounts{PerAccount: 2, PerNumber: 2, Total: 3,
		OldestAccount: f.now.Add(-50 * time.Minute), OldestNumber: f.now.Add(-50 * time.Minute), OldestTotal: f.now.Add(-50 * time.Minute)}
	if c != want {
		t.Errorf("CountSMS = %+v, want %+v", c, want)
	}
	f.db.View(ctx, func(tx anshin.Tx) (err error) {
		c, err = tx.CountSMS("nobody", "+819099990000", f.now.Add(-time.Hour), anshin.SMSCaps{PerAccount: 10, PerNumber: 10, Total: 2})
		return err
	})
	if c.PerAccount != 0 || c.PerNumber != 0 || c.Total != 2 || !c.OldestAccount.IsZero() {
		t.Errorf("CountSMS for nobody = %+v", c)
	}

	// A receipt moves only a sent message, and only once.
	var moved [3]bool
	err = f.db.Update(ctx, func(tx anshin.Tx) error {
		if err := tx.FinishDelivery("d3", anshin.DeliverySent, "", f.now); err != nil {
			return err
		}
		if err := tx.SetDeliveryProviderID("d3", "SM3"); err != nil {
			return err
		}
		if err := tx.SetDeliveryProviderID("d2", "SM2"); err != nil { // still queued
			return err
		}
		var err error
		if moved[0], err = tx.RecordDeliveryReceipt("SM2", anshin.DeliveryDelivered, "", f.now); err != nil {
			return err
		}
		if moved[1], err = tx.RecordDeliveryReceipt("SM3", anshin.DeliveryDelivered, "", f.now); err != nil {
			return err
		}
		moved[2], err = tx.RecordDeliveryReceipt("SM3", anshin.DeliveryFailed, "late", f.now)
		return err
	})
	if err != nil || moved != [3]bool{false, true, false} {
		t.Fatalf("receipts moved %v (%v), want only the sent one, once", moved, err)
	}
	if d := f.flowStatus(t, "f", "d3"); d.Status != anshin.DeliveryDelivered {
		t.Errorf("d3 is %s", d.Status)
	}
	if d := f.flowStatus(t, "f", "d2"); d.Status != anshin.DeliveryQueued {
		t.Errorf("d2 is %s", d.Status)
	}
}
