package bounce

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

const testDomain = "bounces.example.jp"

// fixture is a real SQLite store with one account administering two
// groups, whose administrator e-mail in both is taro@example.jp.
type fixture struct {
	db      *sqlstore.DB
	keys    *secret.Keyring
	now     time.Time
	handler *Handler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := anshintest.MustOpenDB(t)
	ctx := context.Background()
	keys, _ := secret.NewKeyring([]byte("test-secret-key-0123456789abcdef0123"))
	f := &fixture{db: db, keys: keys, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	f.handler = &Handler{Store: db, Now: func() time.Time { return f.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verify: VERPVerifier(keys, testDomain), TransientLimit: 3, TransientWindow: 72 * time.Hour}
	err := db.Update(ctx, func(tx anshin.Tx) error {
		for _, a := range []*anshin.Account{
			{ID: "acct-taro", LoginID: "taro", Kind: anshin.KindDAccount, PasswordHash: "x", DocomoLine: "+819012345678", CreatedAt: f.now, UpdatedAt: f.now},
			{ID: "acct-jiro", LoginID: "jiro", Kind: anshin.KindDAccount, PasswordHash: "x", ContactEmails: []string{"Taro@Example.jp", "jiro@example.jp"}, CreatedAt: f.now, UpdatedAt: f.now},
		} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, g := range []string{"g1", "g2", "g3"} {
			if err := tx.PutGroup(&anshin.ContractGroup{ID: g, ManagementNumber: "M-" + g, RepresentativeNumber: "+81312345678", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
				return err
			}
		}
		for _, a := range []*anshin.Administrator{
			{GroupID: "g1", AccountID: "acct-taro", Role: anshin.RoleRepresentative, Name: "Taro", Email: "taro@example.jp"},
			{GroupID: "g2", AccountID: "acct-taro", Role: anshin.RoleRepresentative, Name: "Taro", Email: "TARO@example.jp"},
			{GroupID: "g3", AccountID: "acct-jiro", Role: anshin.RoleRepresentative, Name: "Jiro"},
		} {
			a.CreatedAt, a.UpdatedAt = f.now, f.now
			if err := tx.PutAdministrator(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sent enqueues an e-mail delivery to rcpt, marked sent, and returns its
// VERP return path.
func (f *fixture) sent(t testing.TB, id, rcpt string) string {
	t.Helper()
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		d := &anshin.Delivery{ID: id, Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail, Recipient: rcpt, Lang: "ja",
			NextAttemptAt: f.now, CreatedAt: f.now, UpdatedAt: f.now}
		if err := tx.EnqueueDelivery(d); err != nil {
			return err
		}
		return tx.FinishDelivery(id, anshin.DeliverySent, "", f.now)
	})
	if err != nil {
		t.Fatal(err)
	}
	return delivery.VERPAddress(f.keys, id, testDomain)
}

func (f *fixture) state(t testing.TB, addr, deliveryID string) (disabled bool, status string, audits int) {
	t.Helper()
	err := f.db.View(context.Background(), func(tx anshin.Tx) error {
		m, err := tx.MailNotificationDisabled([]string{addr})
		if err != nil {
			return err
		}
		disabled = m[strings.ToLower(addr)]
		d, err := tx.Delivery(deliveryID)
		if err != nil {
			return err
		}
		status = d.Status
		for _, g := range []string{"g1", "g2", "g3"} {
			evs, err := tx.Audit(g, 100)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if e.Kind == "mail_disabled" {
					audits++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestPermanentBounceDisablesEveryHolderOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rp := f.sent(t, "d1", "taro@example.jp")
	out, err := f.handler.Message(ctx, rp, corpusFile(t, "dsn_postfix_511_user_unknown.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Disabled || out.Verdict.Class != Permanent || out.Verdict.Status != "5.1.1" {
		t.Fatalf("outcome %+v", out)
	}
	disabled, status, audits := f.state(t, "taro@example.jp", "d1")
	// taro's administrator e-mail in g1 and g2, and jiro's contact e-mail (g3).
	if !disabled || status != anshin.DeliveryBounced || audits != 3 {
		t.Fatalf("disabled %v, delivery %s, %d audit events; want true, bounced, 3", disabled, status, audits)
	}
	var s *anshin.MailNotificationDisabled
	f.db.View(ctx, func(tx anshin.Tx) error { s, err = tx.MailNotificationDisabledOf("TARO@example.jp"); return err })
	if err != nil || s.Reason != ReasonNoSuchUser || s.Status != "5.1.1" || s.DeliveryID != "d1" || !strings.Contains(s.Diagnostic, "User unknown") {
		t.Fatalf("suppression %+v, %v", s, err)
	}

	// The same bounce again (an MTA retrying its relay) changes nothing.
	out, err = f.handler.Message(ctx, rp, corpusFile(t, "dsn_postfix_511_user_unknown.eml"))
	if err != nil || !out.Duplicate || out.Disabled {
		t.Fatalf("repeat: %+v, %v", out, err)
	}
	if _, _, audits := f.state(t, "taro@example.jp", "d1"); audits != 3 {
		t.Fatalf("a repeated bounce added audit events: %d", audits)
	}
}

func TestNothingChangesForWhatSaysNothingAboutTheAddress(t *testing.T) {
	for _, file := range []string{"dsn_571_spam_rejected.eml", "autoreply_auto_submitted.eml", "arf_abuse_report.eml",
		"dsn_other_recipient_only.eml", "garbage_binary.eml", "dsn_422_delayed_quota.eml", "exim_two_recipients.eml"} {
		t.Run(file, func(t *testing.T) {
			f := newFixture(t)
			rp := f.sent(t, "d1", "taro@example.jp")
			if _, err := f.handler.Message(context.Background(), rp, corpusFile(t, file)); err != nil {
				t.Fatal(err)
			}
			if disabled, _, audits := f.state(t, "taro@example.jp", "d1"); disabled || audits != 0 {
				t.Fatalf("disabled %v with %d audit events", disabled, audits)
			}
		})
	}
}

func TestForgedBouncesChangeNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rp := f.sent(t, "d1", "taro@example.jp")
	raw := corpusFile(t, "dsn_postfix_511_user_unknown.eml")
	other, _ := secret.NewKeyring([]byte("another-secret-key-0123456789abcdef"))
	for _, rcpt := range []string{
		"",
		"postmaster@" + testDomain,
		strings.Replace(rp, "b-d1-", "b-d2-", 1), // another delivery, d1's signature
		rp[:len(rp)-len(testDomain)-2] + "0@" + testDomain,         // signature altered
		delivery.VERPAddress(other, "d1", testDomain),              // signed with another key
		delivery.VERPAddress(f.keys, "d1", "evil.example"),         // another domain
		delivery.VERPAddress(f.keys, "nosuchdelivery", testDomain), // signed, but no such delivery
	} {
		if _, err := f.handler.Message(ctx, rcpt, raw); err != ErrForged {
			t.Errorf("%q: err %v, want ErrForged", rcpt, err)
		}
	}
	if disabled, status, audits := f.state(t, "taro@example.jp", "d1"); disabled || status != anshin.DeliverySent || audits != 0 {
		t.Fatalf("a forged bounce changed state: disabled %v, delivery %s, audits %d", disabled, status, audits)
	}
}

func TestRepeatedTransientFailuresDisable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	raw := corpusFile(t, "dsn_447_expired.eml")
	apply := func(id string) Outcome {
		out, err := f.handler.Message(ctx, f.sent(t, id, "taro@example.jp"), raw)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Two failures, then the window passes: still enabled.
	apply("d1")
	apply("d2")
	f.now = f.now.Add(73 * time.Hour)
	if out := apply("d3"); out.Disabled {
		t.Fatal("failures outside the window counted")
	}
	// The same delivery bouncing twice counts once.
	if out, _ := f.handler.Message(ctx, delivery.VERPAddress(f.keys, "d3", testDomain), raw); !out.Duplicate {
		t.Fatalf("repeat not a duplicate: %+v", out)
	}
	f.now = f.now.Add(time.Hour)
	apply("d4")
	if disabled, _, _ := f.state(t, "taro@example.jp", "d4"); disabled {
		t.Fatal("disabled after two transient failures in the window")
	}
	if out := apply("d5"); !out.Disabled {
		t.Fatalf("third transient failure in the window did not disable: %+v", out)
	}
	var s *anshin.MailNotificationDisabled
	f.db.View(ctx, func(tx anshin.Tx) error { s, _ = tx.MailNotificationDisabledOf("taro@example.jp"); return nil })
	if s == nil || s.Reason != ReasonRepeatedTransient {
		t.Fatalf("suppression %+v", s)
	}

	// Clearing the state starts the count afresh.
	if err := f.db.Update(ctx, func(tx anshin.Tx) error { return tx.ClearMailNotificationDisabled("taro@example.jp") }); err != nil {
		t.Fatal(err)
	}
	if out := apply("d6"); out.Disabled {
		t.Fatal("transient failures from before the clearing still counted")
	}
}

func TestPermanentUpgradesAnEarlierTransientOfTheSameDelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rp := f.sent(t, "d1", "taro@example.jp")
	if out, _ := f.handler.Message(ctx, rp, corpusFile(t, "dsn_422_delayed_quota.eml")); out.Verdict.Class != Transient || out.Disabled {
		t.Fatalf("delay: %+v", out)
	}
	if _, status, _ := f.state(t, "taro@example.jp", "d1"); status != anshin.DeliverySent {
		t.Fatalf("a delay notice changed the delivery to %s", status)
	}
	if out, _ := f.handler.Message(ctx, rp, corpusFile(t, "dsn_522_mailbox_full.eml")); !out.Disabled {
		t.Fatalf("final failure after a delay: %+v", out)
	}
}

func TestBounceOfAnotherRecipientLeavesTheDeliveryAlone(t *testing.T) {
	f := newFixture(t)
	rp := f.sent(t, "d1", "jiro@example.jp")
	out, err := f.handler.Message(context.Background(), rp, corpusFile(t, "dsn_multi_recipient.eml"))
	if err != nil || out.Verdict.Class != Permanent || !out.Disabled {
		// jiro@example.jp is the recipient the multi-recipient DSN reports 5.1.1 for.
		t.Fatalf("%+v %v", out, err)
	}
	if disabled, _, _ := f.state(t, "taro@example.jp", "d1"); disabled {
		t.Fatal("taro, named with 4.2.2 in the same DSN, was disabled")
	}
}

// A bounce that disables nothing still says why the message did not
// arrive: on the delivery (for the key page) and in the audit log of each
// group that mails the address.
func TestBouncedDeliveryKeepsItsReason(t *testing.T) {
	f := newFixture(t)
	rp := f.sent(t, "d2", "taro@example.jp")
	raw := bytes.ReplaceAll(corpusFile(t, "jp_carrier_reject_iso2022jp.eml"), []byte("taro@softbank.example.ne.jp"), []byte("taro@example.jp"))
	if _, err := f.handler.Message(context.Background(), rp, raw); err != nil {
		t.Fatal(err)
	}
	err := f.db.View(context.Background(), func(tx anshin.Tx) error {
		d, err := tx.Delivery("d2")
		if err != nil {
			return err
		}
		if d.Status != anshin.DeliveryBounced || d.BounceReason != ReasonFiltered {
			t.Errorf("delivery %s, reason %q; want bounced, filtered", d.Status, d.BounceReason)
		}
		for _, g := range []string{"g1", "g2"} {
			evs, err := tx.AuditPage(anshin.AuditQuery{GroupID: g, Kind: "mail_bounced", Limit: 10})
			if err != nil {
				return err
			}
			if len(evs) != 1 || !strings.Contains(evs[0].Detail, `"reason":"filtered"`) {
				t.Errorf("group %s: mail_bounced events %+v", g, evs)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if disabled, _, _ := f.state(t, "taro@example.jp", "d2"); disabled {
		t.Error("a filter's refusal disabled the address")
	}
}
