package console_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

var t0 = time.Date(2025, time.April, 1, 9, 0, 0, 0, time.UTC)

// fixture is the console on a real SQLite file with the demo data.
type fixture struct {
	db   *sqlstore.DB
	svc  *console.Service
	keys *secret.Keyring
}

func newFixture(t *testing.T) *fixture {
	f, _ := newFixtureAt(t, func() time.Time { return t0 })
	return f
}

// newFixtureAt is the demo data in a fresh database and a console service
// on the clock now, with the cheap hasher both use.
func newFixtureAt(t *testing.T, now func() time.Time) (*fixture, *secret.Hasher) {
	t.Helper()
	db := anshintest.MustOpenDB(t)
	keys, err := secret.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	hasher := anshintest.CheapHasher()
	if _, err := demo.Load(context.Background(), operator.New(db, hasher, now), db); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, svc: console.New(db, hasher, keys, now, nil), keys: keys}, hasher
}

// actor is the demo account loginID acting in group.
func (f *fixture) actor(t *testing.T, loginID, group string) console.Actor {
	t.Helper()
	var id string
	err := f.db.View(context.Background(), func(tx anshin.Tx) error {
		a, err := tx.AccountByLoginID(loginID)
		if err == nil {
			id = a.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return console.Actor{AccountID: id, GroupID: group, ClientIP: "192.0.2.7", Lang: "ja"}
}

// queued returns the opened notifications waiting in the outbox.
func (f *fixture) queued(t *testing.T) []string {
	t.Helper()
	var out []string
	err := f.db.Update(context.Background(), func(tx anshin.Tx) error {
		ds, err := tx.ClaimDeliveries(t0.Add(time.Hour), t0.Add(2*time.Hour), 100)
		for _, d := range ds {
			if d.Kind != anshin.DeliveryKindNotification {
				continue
			}
			p, err := f.keys.Open(d.Payload)
			if err != nil {
				return err
			}
			out = append(out, d.Recipient+" "+string(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Adding the same account concurrently registers it once and tells it once.
func TestAddAdministratorConcurrently(t *testing.T) {
	f := newFixture(t)
	rep := f.actor(t, demo.MultiGroupID, demo.GroupSakura)
	f.queued(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			errs[i] = f.svc.AddAdministrator(context.Background(), rep, console.NewAdmin{LoginID: demo.NoGroupID, Name: "田中 次郎",
				Email: "tanaka@example.co.jp", InitialPassword: "Tanaka2025"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch anshin.ErrorCode(err) {
		case "":
			ok++
		case anshin.ECodeConflict:
		default:
			t.Errorf("concurrent add: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d adds succeeded, want 1", ok)
	}
	// One e-mail on the account's routes and one SMS to its docomo line,
	// neither with the password.
	q := f.queued(t)
	slices.Sort(q)
	if len(q) != 2 || !strings.HasPrefix(q[0], "+819034567890 ") || !strings.HasPrefix(q[1], "tanaka@example.co.jp ") ||
		strings.Contains(strings.Join(q, " "), "Tanaka2025") {
		t.Fatalf("notifications %q, want one e-mail to the new administrator and one SMS, without the password", q)
	}
}

// An actor who is no longer an administrator changes nothing, even with a
// request that started before the removal.
func TestRemovedActorChangesNothing(t *testing.T) {
	f := newFixture(t)
	rep := f.actor(t, demo.MultiGroupID, demo.GroupSakura)
	admin := f.actor(t, demo.CarrierFreeID, demo.GroupSakura)
	ctx := context.Background()
	if err := f.svc.DeleteAdministrator(ctx, rep, demo.CarrierFreeID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"clomo": func() error {
			_, err := f.svc.PutCLOMO(ctx, admin, anshin.CLOMOEnvironment{OrganizationName: "x"})
			return err
		}(),
		"edit":   f.svc.UpdateAdministrator(ctx, admin, demo.CarrierFreeID, console.AdminEdit{Name: "x"}),
		"clear":  f.svc.ClearMailNotificationDisabled(ctx, admin, demo.MultiGroupID),
		"list":   func() error { _, err := f.svc.Administrators(ctx, admin); return err }(),
		"audit":  func() error { _, err := f.svc.Audit(ctx, admin, console.AuditFilter{}); return err }(),
		"groups": func() error { _, err := f.svc.Groups(ctx, admin); return err }(),
	} {
		if anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
			t.Errorf("%s by a removed administrator: %v, want unauthorized", name, err)
		}
	}
	g, err := f.svc.Group(ctx, rep)
	if err != nil || g.CLOMO.OrganizationName != "さくら物流株式会社" {
		t.Errorf("the group changed: %+v %v", g.CLOMO, err)
	}
}

// The audit log is append-only: the store offers no way to change or
// remove an event.
func TestAuditIsAppendOnly(t *testing.T) {
	tx := reflect.TypeFor[anshin.Tx]()
	for i := range tx.NumMethod() {
		m := tx.Method(i).Name
		if strings.Contains(m, "Audit") && m != "AppendAudit" && m != "Audit" && m != "AuditPage" {
			t.Errorf("anshin.Tx has %s: the audit log must only be appended to and read", m)
		}
	}
}

// Notification texts exist in both languages for every kind.
func TestNotificationsInBothLanguages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rep := f.actor(t, demo.MultiGroupID, demo.GroupSakura)
	rep.Lang = "en"
	f.queued(t)
	if err := f.svc.ResetInitialPassword(ctx, rep, demo.CarrierFreeID, "Reset2026x"); err != nil {
		t.Fatal(err)
	}
	q := f.queued(t)
	if len(q) != 1 || !strings.Contains(q[0], "initial authentication password was reset") || strings.Contains(q[0], "Reset2026x") {
		t.Fatalf("English notification %q", q)
	}
}

// An administrator without an administrator e-mail is mailed at the
// account's contact e-mails; when those bounced, they are what 管理者設定
// shows in the disabled state and what clearing restores.
func TestClearMailStateOfContactEmails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.db.Update(ctx, func(tx anshin.Tx) error {
		return tx.PutMailNotificationDisabled(&anshin.MailNotificationDisabled{Address: "k.watanabe@example.jp", Reason: "5.1.1 user unknown", At: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := f.actor(t, demo.NoEmailID, demo.GroupMidori)
	row, err := f.svc.Administrator(ctx, rep, demo.MultiGroupID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Email != "" || !row.MailNotificationDisabled || len(row.MailNotificationDisabledAddresses) != 1 || row.MailNotificationDisabledAddresses[0] != "k.watanabe@example.jp" {
		t.Fatalf("row %+v: want the bounced contact e-mail in the disabled state", row)
	}
	if err := f.svc.ClearMailNotificationDisabled(ctx, rep, demo.MultiGroupID); err != nil {
		t.Fatal(err)
	}
	var still map[string]bool
	f.db.View(ctx, func(tx anshin.Tx) (err error) {
		still, err = tx.MailNotificationDisabled([]string{"k.watanabe@example.jp"})
		return err
	})
	if still["k.watanabe@example.jp"] {
		t.Fatal("the contact e-mail is still in the disabled state")
	}
	if row, _ = f.svc.Administrator(ctx, rep, demo.MultiGroupID); row.MailNotificationDisabled {
		t.Fatalf("after clearing: %+v", row)
	}
	if err := f.svc.ClearMailNotificationDisabled(ctx, rep, demo.MultiGroupID); anshin.ErrorCode(err) != anshin.ECodeConflict {
		t.Fatalf("clearing again: %v, want conflict", err)
	}
}

// A group adds at most console.AddsPerGroupHour administrators an hour,
// counted in the store (so across instances), whatever was deleted since.
func TestAddingAdministratorsIsLimitedPerGroup(t *testing.T) {
	f := newFixture(t)
	rep := f.actor(t, demo.MultiGroupID, demo.GroupSakura)
	in := console.NewAdmin{LoginID: demo.NoGroupID, Name: "田中 次郎", InitialPassword: "Tanaka2025"}
	for i := range console.AddsPerGroupHour {
		if err := f.svc.AddAdministrator(context.Background(), rep, in); err != nil {
			t.Fatalf("add %d: %v", i+1, err)
		}
		if err := f.svc.DeleteAdministrator(context.Background(), rep, demo.NoGroupID); err != nil {
			t.Fatal(err)
		}
	}
	err := f.svc.AddAdministrator(context.Background(), rep, in)
	if e := anshin.AsError(err); e == nil || e.Code != anshin.ECodeRateLimited || e.RetryAt.IsZero() {
		t.Fatalf("add past the limit: %v, want rate_limited with a retry time", err)
	}
	// Another group is not affected.
	other := f.actor(t, demo.NoEmailID, demo.GroupMidori)
	if err := f.svc.AddAdministrator(context.Background(), other, in); err != nil {
		t.Fatalf("another group's add: %v", err)
	}
}
