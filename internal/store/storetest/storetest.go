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
	"strings"
	"sync"
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
		{"GroupReadWithItsAdministrators", testGroupWithItsAdministrators},
		{"OneRepresentativePerGroup", testOneRepresentative},
		{"InitialPassword", testInitialPassword},
		{"Flows", testFlows},
		{"FlowWithItsAccount", testFlowAccount},
		{"UpdateFlowAdvancesOnce", testUpdateFlowOnce},
		{"Keys", testKeys},
		{"KeysOfOneIssuance", testIssuance},
		{"CountKeys", testCountKeys},
		{"UseKeyOnceUnderConcurrency", testUseKeyConcurrent},
		{"IssuanceLimitUnderConcurrency", testIssueLimitConcurrent},
		{"IssuanceLimitUnderConcurrencyLockedWithTheFlow", testIssueLimitWithFlowConcurrent},
		{"Throttles", testThrottles},
		{"ThrottleCountsEveryFailureUnderConcurrency", testThrottleConcurrent},
		{"Outbox", testOutbox},
		{"OutboxLeaseExpiry", testOutboxLease},
		{"OutboxStats", testOutboxStats},
		{"OutboxClaimedOnceUnderConcurrency", testOutboxConcurrent},
		{"UpdateOneIsOneStatement", testUpdateOne},
		{"DeliveryReceipts", testDeliveryReceipts},
		{"SMSCountOfTheHour", testSMSCount},
		{"SMSCapUnderConcurrency", testSMSCapConcurrent},
		{"SMSTurns", testSMSTurns},
		{"MailNotificationDisabled", testMailNotificationDisabled},
		{"Bounces", testBounces},
		{"BounceRecordedOnceUnderConcurrency", testBounceConcurrent},
		{"ProviderEvents", testProviderEvents},
		{"ProviderEventNotedOnceUnderConcurrency", testProviderEventConcurrent},
		{"AdministratorsByAddress", testAdministratorsByAddress},
		{"Sessions", testSessions},
		{"Passkeys", testPasskeys},
		{"Challenges", testChallenges},
		{"ChallengeTakenOnceUnderConcurrency", testChallengeOnceConcurrent},
		{"PasskeyPolicy", testPasskeyPolicy},
		{"ChallengeReplacedByTheNext", testChallengeReplaced},
		{"Audit", testAudit},
		{"UpdateRollsBack", testRollback},
		{"WritesNobodyReadsAreInOrderAndAtomic", testWritesNobodyReads},
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

// testWritesNobodyReads: a store may hold back writes whose results are
// not read (a new flow, key, message, session, audit event) and send them
// with the next statement or the commit. A read after such a write sees
// it, and its failure, wherever it shows, fails the whole transaction.
func testWritesNobodyReads(t *testing.T, s anshin.Store) {
	seed(t, s)
	sess := &anshin.Session{ID: "s1", AccountID: "a1", GroupID: "g1", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.CreateFlow(flow("f2", "a1")); err != nil {
			return err
		}
		if _, err := tx.Flow("f2"); err != nil {
			return fmt.Errorf("the flow just created: %w", err)
		}
		return tx.CreateSession(sess)
	})
	// The session exists now: creating it again fails, after or before
	// the transaction's other writes and reads.
	for i, steps := range [][]string{{"flow", "audit", "session"}, {"session", "flow", "audit", "read"}} {
		err := s.Update(context.Background(), func(tx anshin.Tx) error {
			for _, step := range steps {
				var err error
				switch step {
				case "flow":
					err = tx.CreateFlow(flow(fmt.Sprintf("f-%d", i), "a1"))
				case "audit":
					err = tx.AppendAudit(&anshin.AuditEvent{GroupID: "g-rolled-back", Kind: "sign_in", At: t0})
				case "session":
					err = tx.CreateSession(sess)
				case "read":
					_, err = tx.AccountByID("a1")
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		wantCode(t, err, anshin.ECodeConflict)
		view(t, s, func(tx anshin.Tx) error {
			_, err := tx.Flow(fmt.Sprintf("f-%d", i))
			wantCode(t, err, anshin.ECodeNotFound)
			if list, err := tx.Audit("g-rolled-back", 10); err != nil || len(list) != 0 {
				t.Errorf("%v: audit events of a failed transaction: %d, %v", steps, len(list), err)
			}
			return nil
		})
	}
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
