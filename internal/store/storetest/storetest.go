// Package storetest is the conformance suite every anshin.Store passes: each
// Tx method, and the guarantees the login rules build on (a key used once,
// an outbox message claimed by one worker, limits and throttles counted
// exactly under concurrency). Each store's package runs it against a real
// database:
//
//	storetest.Run(t, func(t *testing.T) anshin.Store { return openFresh(t) })
//
// open must return a migrated, empty store that is closed when t ends.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// Run runs the whole suite, each test on a store of its own.
func Run(t *testing.T, open func(t *testing.T) anshin.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s anshin.Store)
	}{
		{"Accounts", testAccounts},
		{"KeyFailures", testKeyFailures},
		{"Groups", testGroups},
		{"Administrators", testAdministrators},
		{"OneRepresentativePerGroup", testOneRepresentative},
		{"InitialPassword", testInitialPassword},
		{"Flows", testFlows},
		{"UpdateFlowAdvancesOnce", testUpdateFlowOnce},
		{"Keys", testKeys},
		{"KeysOfOneIssuance", testIssuance},
		{"CountKeys", testCountKeys},
		{"UseKeyOnceUnderConcurrency", testUseKeyConcurrent},
		{"IssuanceLimitUnderConcurrency", testIssueLimitConcurrent},
		{"Throttles", testThrottles},
		{"ThrottleCountsEveryFailureUnderConcurrency", testThrottleConcurrent},
		{"Outbox", testOutbox},
		{"OutboxLeaseExpiry", testOutboxLease},
		{"OutboxStats", testOutboxStats},
		{"OutboxClaimedOnceUnderConcurrency", testOutboxConcurrent},
		{"DeliveryReceipts", testDeliveryReceipts},
		{"MailNotificationDisabled", testMailNotificationDisabled},
		{"Bounces", testBounces},
		{"BounceRecordedOnceUnderConcurrency", testBounceConcurrent},
		{"ProviderEvents", testProviderEvents},
		{"ProviderEventNotedOnceUnderConcurrency", testProviderEventConcurrent},
		{"AdministratorsByAddress", testAdministratorsByAddress},
		{"Sessions", testSessions},
		{"Audit", testAudit},
		{"UpdateRollsBack", testRollback},
		{"ViewSeesCommitted", testView},
		{"Purge", testPurge},
		{"RehashPassword", testRehashPassword},
		{"PurgeConcurrently", func(t *testing.T, s anshin.Store) { PurgeConcurrently(t, s, s) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// t0 is the suite's clock: a fixed instant with millisecond precision,
// which is what the stores keep.
var t0 = time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)

func update(t *testing.T, s anshin.Store, fn func(tx anshin.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s anshin.Store, fn func(tx anshin.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// wantCode checks that err is an *anshin.Error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := anshin.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func account(id string) *anshin.Account {
	return &anshin.Account{ID: id, LoginID: "login-" + id, Kind: anshin.KindDAccount, PasswordHash: "$argon2id$hash-" + id,
		DocomoLine: "+819012345678", ContactEmails: []string{id + "@example.jp"}, CreatedAt: t0, UpdatedAt: t0}
}

func group(id string) *anshin.ContractGroup {
	return &anshin.ContractGroup{ID: id, ManagementNumber: "MN-" + id, RepresentativeNumber: "+81312345678",
		Contract: anshin.Contract{Plan: "standard", Licenses: 10, StartDate: "2026-01-01", Status: "active"}, CreatedAt: t0, UpdatedAt: t0}
}

func admin(groupID, accountID string, role anshin.Role) *anshin.Administrator {
	return &anshin.Administrator{GroupID: groupID, AccountID: accountID, Role: role, Name: "Name " + accountID,
		Email: accountID + "@admin.example.jp", InitialPasswordHash: "$argon2id$initial", CreatedAt: t0, UpdatedAt: t0}
}

func flow(id, accountID string) *anshin.Flow {
	return &anshin.Flow{ID: id, SealedLoginID: []byte("sealed-login-" + accountID), AccountID: accountID, Step: anshin.StepOneTimeKey,
		ClientIP: "192.0.2.1", CreatedAt: t0, ExpiresAt: t0.Add(30 * time.Minute)}
}

func key(id, flowID, accountID string, at time.Time) *anshin.OneTimeKey {
	return &anshin.OneTimeKey{ID: id, IssueID: "issue-" + id, FlowID: flowID, AccountID: accountID, Method: anshin.MethodEmail,
		Hash: "mac-" + id, SentTo: "ta***@example.jp", Scope: []string{"g1", "g-2_x"}, CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
}

func delivery(id string, due time.Time) *anshin.Delivery {
	return &anshin.Delivery{ID: id, Kind: anshin.DeliveryKindKey, Channel: anshin.MethodEmail, Recipient: id + "@example.jp",
		FlowID: "flow-" + id, KeyID: "key-" + id, Lang: "ja", Payload: []byte{0, 1, 2, 0xff, 'x'},
		NextAttemptAt: due, CreatedAt: t0, UpdatedAt: t0}
}

// seed stores an account "a1" with a flow "f1" at the key step.
func seed(t *testing.T, s anshin.Store) {
	t.Helper()
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAccount(account("a1")); err != nil {
			return err
		}
		return tx.CreateFlow(flow("f1", "a1"))
	})
}

func testAccounts(t *testing.T, s anshin.Store) {
	a := account("a1")
	update(t, s, func(tx anshin.Tx) error { return tx.PutAccount(a) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.AccountByLoginID("login-a1")
		if err != nil {
			return err
		}
		if got.ID != "a1" || got.Kind != anshin.KindDAccount || got.PasswordHash != a.PasswordHash || got.DocomoLine != a.DocomoLine ||
			strings.Join(got.ContactEmails, ",") != "a1@example.jp" || !got.CreatedAt.Equal(t0) || !got.KeyLockedTill.IsZero() {
			t.Errorf("account read back as %+v", got)
		}
		_, err = tx.AccountByID("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		_, err = tx.AccountByLoginID("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	// Put again replaces what the operator sets, keeps the login ID.
	b := account("a1")
	b.Kind, b.DocomoLine, b.ContactEmails, b.UpdatedAt = anshin.KindBusinessDAccount, "", nil, t0.Add(time.Hour)
	update(t, s, func(tx anshin.Tx) error { return tx.PutAccount(b) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.AccountByID("a1")
		if err != nil {
			return err
		}
		if got.Kind != anshin.KindBusinessDAccount || got.DocomoLine != "" || len(got.ContactEmails) != 0 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("account after replace: %+v", got)
		}
		return nil
	})
	// Another account cannot take the same login ID.
	c := account("a2")
	c.LoginID = "login-a1"
	err := s.Update(context.Background(), func(tx anshin.Tx) error { return tx.PutAccount(c) })
	wantCode(t, err, anshin.ECodeConflict)
	update(t, s, func(tx anshin.Tx) error {
		wantCode(t, tx.LockAccount("nobody"), anshin.ECodeNotFound)
		return tx.LockAccount("a1")
	})
}

func testKeyFailures(t *testing.T, s anshin.Store) {
	seed(t, s)
	update(t, s, func(tx anshin.Tx) error {
		for want := 1; want <= 3; want++ {
			n, err := tx.RecordKeyFailure("a1")
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("failure %d counted as %d", want, n)
			}
		}
		_, err := tx.RecordKeyFailure("nobody")
		wantCode(t, err, anshin.ECodeNotFound)
		return tx.LockKeyEntry("a1", t0.Add(time.Minute))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.AccountByID("a1")
		if err == nil && (a.KeyFailures != 3 || !a.KeyLockedTill.Equal(t0.Add(time.Minute))) {
			t.Errorf("after failures: %d, locked till %v", a.KeyFailures, a.KeyLockedTill)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error { return tx.ResetKeyFailures("a1") })
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.AccountByID("a1")
		if err == nil && (a.KeyFailures != 0 || !a.KeyLockedTill.IsZero()) {
			t.Errorf("after reset: %d, locked till %v", a.KeyFailures, a.KeyLockedTill)
		}
		return err
	})
}

func testGroups(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(group("g1")) })
	view(t, s, func(tx anshin.Tx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if g.ManagementNumber != "MN-g1" || g.Contract.Licenses != 10 || g.Contract.StartDate != "2026-01-01" || g.CLOMO != nil {
			t.Errorf("group read back as %+v", g)
		}
		_, err = tx.Group("nope")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	c := &anshin.CLOMOEnvironment{OrganizationName: "株式会社アンシン", ContactName: "山田", ContactEmail: "it@example.jp", TimeZone: "Asia/Tokyo"}
	update(t, s, func(tx anshin.Tx) error {
		wantCode(t, tx.PutCLOMO("nope", c, t0), anshin.ECodeNotFound)
		return tx.PutCLOMO("g1", c, t0.Add(time.Minute))
	})
	g2 := group("g1")
	g2.Contract.Status, g2.UpdatedAt = "suspended", t0.Add(2*time.Minute)
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(g2) })
	view(t, s, func(tx anshin.Tx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if g.CLOMO == nil || *g.CLOMO != *c || g.Contract.Status != "suspended" {
			t.Errorf("group after CLOMO and replace: %+v %+v", g, g.CLOMO)
		}
		return nil
	})
	dup := group("g2")
	dup.ManagementNumber = "MN-g1"
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.PutGroup(dup) }), anshin.ECodeConflict)
}

func testAdministrators(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"a1", "a2", "a3"} {
			if err := tx.PutAccount(account(id)); err != nil {
				return err
			}
		}
		for _, id := range []string{"g1", "g2"} {
			if err := tx.PutGroup(group(id)); err != nil {
				return err
			}
		}
		for _, a := range []*anshin.Administrator{admin("g1", "a2", anshin.RoleAdmin), admin("g1", "a1", anshin.RoleRepresentative),
			admin("g1", "a3", anshin.RoleAdmin), admin("g2", "a1", anshin.RoleAdmin)} {
			if err := tx.PutAdministrator(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a2")
		if err != nil {
			return err
		}
		if a.LoginID != "login-a2" || a.Role != anshin.RoleAdmin || a.Email != "a2@admin.example.jp" || a.FirstLoginDone || !a.NeedsInitialPassword() {
			t.Errorf("administrator read back as %+v", a)
		}
		_, err = tx.Administrator("g2", "a2")
		wantCode(t, err, anshin.ECodeNotFound)
		list, err := tx.GroupAdministrators("g1")
		if err != nil {
			return err
		}
		// The representative first, then by login ID.
		if got := adminIDs(list); got != "a1,a2,a3" {
			t.Errorf("group administrators %s, want a1,a2,a3", got)
		}
		mine, err := tx.AdministratorsOfAccount("a1")
		if err != nil {
			return err
		}
		if got := groupIDs(mine); got != "g1,g2" {
			t.Errorf("administrators of a1 in %s, want g1,g2", got)
		}
		return nil
	})
	// A registration needs an existing account and group.
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutAdministrator(admin("g1", "ghost", anshin.RoleAdmin))
	})
	wantCode(t, err, anshin.ECodeNotFound)
	update(t, s, func(tx anshin.Tx) error {
		wantCode(t, tx.DeleteAdministrator("g2", "a3"), anshin.ECodeNotFound)
		return tx.DeleteAdministrator("g1", "a3")
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.GroupAdministrators("g1")
		if got := adminIDs(list); err == nil && got != "a1,a2" {
			t.Errorf("after delete: %s", got)
		}
		return err
	})
}

func adminIDs(list []*anshin.Administrator) string {
	var ids []string
	for _, a := range list {
		ids = append(ids, a.AccountID)
	}
	return strings.Join(ids, ",")
}

func groupIDs(list []*anshin.Administrator) string {
	var ids []string
	for _, a := range list {
		ids = append(ids, a.GroupID)
	}
	return strings.Join(ids, ",")
}

func testOneRepresentative(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"a1", "a2"} {
			if err := tx.PutAccount(account(id)); err != nil {
				return err
			}
		}
		if err := tx.PutGroup(group("g1")); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a1", anshin.RoleRepresentative))
	})
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutAdministrator(admin("g1", "a2", anshin.RoleRepresentative))
	})
	wantCode(t, err, anshin.ECodeConflict)
	// Handing the role over in one transaction is fine.
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAdministrator(admin("g1", "a1", anshin.RoleAdmin)); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a2", anshin.RoleRepresentative))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a2")
		if err == nil && a.Role != anshin.RoleRepresentative {
			t.Errorf("a2 is %s after the hand-over", a.Role)
		}
		return err
	})
}

func testInitialPassword(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAccount(account("a1")); err != nil {
			return err
		}
		if err := tx.PutGroup(group("g1")); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a1", anshin.RoleAdmin))
	})
	update(t, s, func(tx anshin.Tx) error {
		for want := 1; want <= 2; want++ {
			n, err := tx.RecordInitialPasswordFailure("g1", "a1")
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("initial password failure %d counted as %d", want, n)
			}
		}
		_, err := tx.RecordInitialPasswordFailure("g1", "ghost")
		wantCode(t, err, anshin.ECodeNotFound)
		return tx.LockInitialPassword("g1", "a1", t0.Add(time.Minute))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a1")
		if err == nil && (a.InitialPasswordFails != 2 || !a.InitialPasswordLocked.Equal(t0.Add(time.Minute))) {
			t.Errorf("after failures: %+v", a)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error { return tx.CompleteFirstLogin("g1", "a1", t0.Add(time.Hour)) })
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a1")
		if err == nil && (!a.FirstLoginDone || a.InitialPasswordHash != "" || a.InitialPasswordFails != 0 ||
			!a.InitialPasswordLocked.IsZero() || a.NeedsInitialPassword()) {
			t.Errorf("after the first login: %+v", a)
		}
		return err
	})
}

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
	update(t, s, func(tx anshin.Tx) error {
		ok, err := tx.UpdateFlow(&next, anshin.StepPassword)
		if err == nil && !ok {
			t.Error("UpdateFlow from the stored step did not apply")
		}
		// From a step the flow has left: nothing happens.
		again := next
		again.Step, again.GroupID = anshin.StepDone, "g9"
		ok, err2 := tx.UpdateFlow(&again, anshin.StepPassword)
		if err2 == nil && ok {
			t.Error("UpdateFlow from a step the flow left applied")
		}
		return errors.Join(err, err2)
	})
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Flow("f1")
		if err == nil && (got.Step != anshin.StepOneTimeKey || got.AccountID != "a1" || got.GroupID != "" || !reflect.DeepEqual(got.Scope, []string{"g1", "g2"})) {
			t.Errorf("flow after update: %+v", got)
		}
		return err
	})
}

// testUpdateFlowOnce: of many transactions moving a flow on from one step,
// exactly one does.
func testUpdateFlowOnce(t *testing.T, s anshin.Store) {
	seed(t, s)
	var won atomic.Int32
	concurrently(t, 20, func(i int) error {
		var ok bool // what the committed attempt did
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			f, err := tx.Flow("f1")
			if err != nil {
				return err
			}
			f.Step, f.GroupID = anshin.StepDone, fmt.Sprintf("g%d", i)
			ok, err = tx.UpdateFlow(f, anshin.StepOneTimeKey)
			return err
		})
		if ok && err == nil {
			won.Add(1)
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
	update(t, s, func(tx anshin.Tx) error {
		if ok, err := tx.UseKey("k1", t0); err != nil || ok {
			t.Errorf("an invalidated key was used: %v %v", ok, err)
		}
		if ok, err := tx.UseKey("k0", t0.Add(time.Second)); err != nil || !ok {
			t.Errorf("the current key was not used: %v %v", ok, err)
		}
		if ok, err := tx.UseKey("k0", t0.Add(2*time.Second)); err != nil || ok {
			t.Errorf("a used key was used again: %v %v", ok, err)
		}
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
		if ok, err := tx.UseKey("b", t0.Add(time.Second)); err != nil || !ok {
			t.Errorf("use b: %v %v", ok, err)
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
		var ok bool
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			ks, err := tx.CurrentKeys("f1")
			if err != nil {
				return err
			}
			if ok, err = tx.UseKey(ks[0].ID, t0.Add(time.Duration(i)*time.Millisecond)); ok {
				return tx.CreateSession(&anshin.Session{ID: fmt.Sprintf("s%d", i), AccountID: "a1", GroupID: "g1", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
			}
			return err
		})
		if ok && err == nil {
			won.Add(1)
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
// issue if under the limit. However many race, the limit holds exactly.
func testIssueLimitConcurrent(t *testing.T, s anshin.Store) {
	seed(t, s)
	const limit = 5
	var issued atomic.Int32
	concurrently(t, 20, func(i int) error {
		did := false
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			did = false
			if err := tx.LockAccount("a1"); err != nil {
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
	concurrently(t, 8, func(int) error {
		for {
			var batch []*anshin.Delivery
			err := s.Update(context.Background(), func(tx anshin.Tx) error {
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

func testSessions(t *testing.T, s anshin.Store) {
	sess := &anshin.Session{ID: "s1", AccountID: "a1", GroupID: "g1", Scope: []string{"g1", "g3"}, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	update(t, s, func(tx anshin.Tx) error { return tx.CreateSession(sess) })
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.CreateSession(sess) }), anshin.ECodeConflict)
	update(t, s, func(tx anshin.Tx) error { return tx.TouchSession("s1", t0.Add(5*time.Minute)) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Session("s1")
		if err != nil {
			return err
		}
		want := *sess
		want.LastSeenAt = t0.Add(5 * time.Minute)
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("session %+v, want %+v", got, want)
		}
		return nil
	})
	update(t, s, func(tx anshin.Tx) error { return tx.DeleteSession("s1") })
	view(t, s, func(tx anshin.Tx) error {
		_, err := tx.Session("s1")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
}

func testAudit(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for i, kind := range []string{"sign_in", "key_issued", "key_failed", "sign_in"} {
			e := &anshin.AuditEvent{GroupID: "g1", AccountID: "a1", Kind: kind, ClientIP: "192.0.2.1", At: t0.Add(time.Duration(i) * time.Minute)}
			if i == 1 {
				e.Detail = `{"method":"email"}`
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return tx.AppendAudit(&anshin.AuditEvent{GroupID: "g2", Kind: "sign_in", At: t0})
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.Audit("g1", 3)
		if err != nil {
			return err
		}
		if len(list) != 3 || list[0].Kind != "sign_in" || list[1].Kind != "key_failed" || list[2].Kind != "key_issued" ||
			list[2].Detail != `{"method":"email"}` || list[1].Detail != "{}" || !list[0].At.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("audit, newest first: %+v", list)
		}
		if !(list[0].ID > list[1].ID && list[1].ID > list[2].ID) {
			t.Errorf("audit IDs not in append order: %d %d %d", list[0].ID, list[1].ID, list[2].ID)
		}
		page, err := tx.AuditPage(anshin.AuditQuery{GroupID: "g1", Kind: "sign_in", Limit: 10})
		if err != nil {
			return err
		}
		if len(page) != 2 {
			t.Errorf("audit page of sign_in: %d events", len(page))
		}
		page, err = tx.AuditPage(anshin.AuditQuery{GroupID: "g1", BeforeID: list[1].ID, Since: t0.Add(time.Minute), Limit: 10})
		if err != nil {
			return err
		}
		if len(page) != 1 || page[0].Kind != "key_issued" {
			t.Errorf("audit page before %d since t0+1m: %+v", list[1].ID, page)
		}
		return nil
	})
}

func testRollback(t *testing.T, s anshin.Store) {
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		if err := tx.PutAccount(account("a1")); err != nil {
			return err
		}
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: "g1", Kind: "sign_in", At: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update returned %v, want fn's error", err)
	}
	// A failed statement rolls back what came before it, too.
	err = s.Update(context.Background(), func(tx anshin.Tx) error {
		if err := tx.PutGroup(group("g1")); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "ghost", anshin.RoleAdmin))
	})
	wantCode(t, err, anshin.ECodeNotFound)
	view(t, s, func(tx anshin.Tx) error {
		_, err := tx.AccountByID("a1")
		wantCode(t, err, anshin.ECodeNotFound)
		_, err = tx.Group("g1")
		wantCode(t, err, anshin.ECodeNotFound)
		list, err := tx.Audit("g1", 10)
		if err == nil && len(list) != 0 {
			t.Errorf("rolled-back audit events remain: %d", len(list))
		}
		return err
	})
}

func testView(t *testing.T, s anshin.Store) {
	seed(t, s)
	// An Update that never touches the store commits nothing and fails nothing.
	update(t, s, func(tx anshin.Tx) error { return nil })
	view(t, s, func(tx anshin.Tx) error {
		_, err := tx.Flow("f1")
		return err
	})
	// Many readers and writers at once.
	concurrently(t, 10, func(i int) error {
		if i%2 == 0 {
			return s.View(context.Background(), func(tx anshin.Tx) error {
				_, err := tx.AccountByID("a1")
				return err
			})
		}
		return s.Update(context.Background(), func(tx anshin.Tx) error {
			return tx.AppendAudit(&anshin.AuditEvent{GroupID: "g1", Kind: "sign_in", At: t0})
		})
	})
}

func deliveryIDs(list []*anshin.Delivery) string {
	var ids []string
	for _, d := range list {
		ids = append(ids, d.ID)
	}
	return strings.Join(ids, ",")
}

// concurrently runs fn(0) … fn(n-1) at once and fails t on any error.
func concurrently(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs <- fn(i)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent transaction: %v", err)
		}
	}
}
