package anshin

import (
	"context"
	"time"
)

// Store is the persistence of anshin. Every rule that must hold once (a key
// used, a limit counted, a message claimed) is expressed as a single
// conditional statement inside Update, so the database, not the process,
// guarantees it.
type Store interface {
	// Update runs fn in a write transaction, retried on serialization
	// failures. fn must touch the database only through tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// UpdateOne is Update for an fn that makes one write statement, atomic
	// by itself: it runs as its own transaction, without BEGIN and COMMIT
	// around it (on PostgreSQL two round trips fewer), retried alike; a
	// second statement is refused.
	UpdateOne(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only context.
	View(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Tx is the set of operations available inside a transaction. Methods
// return an *Error with code not_found when a row is missing.
type Tx interface {
	// Accounts.
	PutAccount(a *Account) error
	AccountByLoginID(loginID string) (*Account, error)
	AccountByID(id string) (*Account, error)
	// LockAccount serializes writers working on one account, and returns
	// it as it is under the lock.
	LockAccount(id string) (*Account, error)
	RecordKeyFailure(accountID string) (failures int, err error)
	LockKeyEntry(accountID string, till time.Time) error
	ResetKeyFailures(accountID string) error
	// RehashPassword replaces the account's password hash with newHash if
	// it is still oldHash (a password changed meanwhile stays), and
	// reports whether it did.
	RehashPassword(accountID, oldHash, newHash string) (bool, error)
	// PasswordHashParams counts the accounts' password hashes by their
	// parameter part (a PHC string up to its salt: "$argon2id$v=19$m=…").
	PasswordHashParams() (map[string]int, error)

	// Contract groups and administrators.
	PutGroup(g *ContractGroup) error
	Group(id string) (*ContractGroup, error)
	PutCLOMO(groupID string, c *CLOMOEnvironment, at time.Time) error
	// SetPasskeyRequired sets the group's passkey policy (PutGroup keeps it).
	SetPasskeyRequired(groupID string, required bool, at time.Time) error
	PutAdministrator(a *Administrator) error
	Administrator(groupID, accountID string) (*Administrator, error)
	AdministratorsOfAccount(accountID string) ([]*Administrator, error)
	GroupAdministrators(groupID string) ([]*Administrator, error)
	RecordInitialPasswordFailure(groupID, accountID string) (failures int, err error)
	LockInitialPassword(groupID, accountID string, till time.Time) error
	CompleteFirstLogin(groupID, accountID string, at time.Time) error
	// DeleteAdministrator removes an account's registration in a group.
	DeleteAdministrator(groupID, accountID string) error

	// Login flows.
	CreateFlow(f *Flow) error
	Flow(id string) (*Flow, error)
	// FlowAccount reads the flow and its account together, in one
	// statement where it can: a step's first two reads. The account is
	// nil when the flow has none (a federated subject without one); with
	// lock it is held as LockAccount holds it. When the flow exists it is
	// returned even if its account cannot be read, with that error, so
	// the caller judges the flow first.
	FlowAccount(flowID string, lock bool) (*Flow, *Account, error)
	// UpdateFlow writes f if the stored flow is still at step from, and
	// fails the transaction with FlowMoved if it is not: steps advance
	// once even under concurrency. A flow's expiry is its start's:
	// UpdateFlow leaves it as it is. In a PostgreSQL transaction the write
	// and its check may go out with the next statement or the COMMIT
	// (one round trip), and the failure show there.
	UpdateFlow(f *Flow, from Step) error

	// One-time keys.
	CreateKey(k *OneTimeKey) error
	// CurrentKeys returns the keys of the flow's latest issuance (none when
	// no key was issued).
	CurrentKeys(flowID string) ([]*OneTimeKey, error)
	Key(id string) (*OneTimeKey, error)
	// CountKeys counts keys issued for the flow, and for the account since
	// (counting no further than upTo).
	CountKeys(flowID, accountID string, since time.Time, upTo int) (KeyCounts, error)
	// UseKey marks the key used if, and only if, nobody used or invalidated
	// it before, and fails the transaction with KeyUsed if somebody did;
	// like UpdateFlow, perhaps at the next statement or the COMMIT.
	UseKey(id string, at time.Time) error
	// InvalidateFlowKeys invalidates every key of the flow that is neither
	// used nor invalidated.
	InvalidateFlowKeys(flowID string, at time.Time) error

	// Throttles count failures under a name (per account, per client).
	Throttle(name string, now time.Time) (failures int, lockedTill time.Time, err error)
	// Throttles reads several in one statement, in the order named.
	Throttles(now time.Time, names ...string) ([]ThrottleState, error)
	PutThrottle(name string, failures int, lockedTill, expires time.Time) error
	DeleteThrottle(name string) error

	// Outbox.
	EnqueueDelivery(d *Delivery) error
	// ClaimDeliveries leases up to n due deliveries until leaseUntil.
	ClaimDeliveries(now, leaseUntil time.Time, n int) ([]*Delivery, error)
	FinishDelivery(id, status, lastErr string, at time.Time) error
	RetryDelivery(id, lastErr string, next, at time.Time) error
	FlowDeliveries(flowID string) ([]*Delivery, error)
	// SetDeliveryProviderID records the gateway's name of a sent message
	// (a Twilio message SID).
	SetDeliveryProviderID(id, providerID string) error
	// RecordDeliveryReceipt moves the sent delivery the gateway names
	// providerID to status (delivered or failed); it reports whether one was.
	RecordDeliveryReceipt(providerID, status, lastErr string, at time.Time) (bool, error)
	// TakeSMSTurn makes the transactions that issue SMS take turns, from
	// here to their end, on every instance: each then counts the others'
	// SMS (CountSMS) instead of losing to them at commit and running
	// again. It must be the transaction's first statement; it may go out
	// with the next.
	TakeSMSTurn() error
	// CountSMS counts SMS queued after since, per account, per number and
	// in all, for the limits against SMS pumping: each count stops at its
	// cap, and a cap of 0 skips it.
	CountSMS(accountID, number string, since time.Time, caps SMSCaps) (SMSCounts, error)
	// OutboxStats counts the queued deliveries and finds when the oldest of
	// them was created (zero when none is queued), for metrics.
	OutboxStats() (queued int, oldest time.Time, err error)

	// The mail notification disabled state (メール通知不可) of addresses.
	MailNotificationDisabled(addresses []string) (map[string]bool, error)
	PutMailNotificationDisabled(s *MailNotificationDisabled) error
	// ClearMailNotificationDisabled clears the state; transient bounces recorded before
	// no longer count towards disabling the address again.
	ClearMailNotificationDisabled(address string) error
	// MailNotificationDisabledOf returns why and since when an address is disabled.
	MailNotificationDisabledOf(address string) (*MailNotificationDisabled, error)

	// Bounces.
	// Delivery returns one delivery.
	Delivery(id string) (*Delivery, error)
	// RecordBounce stores what a bounce said about a delivery's recipient,
	// once: it reports false for a repeat that says no more than the bounce
	// already recorded for that delivery and recipient (a permanent failure
	// still upgrades a transient one).
	RecordBounce(b *BounceEvent) (bool, error)
	// CountTransientBounces counts the distinct deliveries to address with a
	// transient failure since, not counting those before a clearing.
	CountTransientBounces(address string, since time.Time) (int, error)
	// MarkDeliveryBounced moves a delivery to bounced with the bounce's
	// reason and enhanced status code (once: a later bounce of the same
	// delivery changes nothing).
	MarkDeliveryBounced(id, reason, status string, at time.Time) error
	// AdministratorsByAddress lists the administrator records that receive
	// mail at address: as administrator e-mail, or as a contact e-mail of
	// their account.
	AdministratorsByAddress(address string) ([]*Administrator, error)
	// RecordProviderEvent notes that a sending service's event (an SNS
	// MessageId, a SendGrid sg_event_id) about a delivery was applied, and
	// reports false when that provider's event was noted before: a
	// provider's repeat then changes nothing.
	RecordProviderEvent(provider, eventID, deliveryID string, at time.Time) (bool, error)

	// Sessions.
	CreateSession(s *Session) error
	Session(id string) (*Session, error)
	TouchSession(id string, at time.Time) error
	DeleteSession(id string) error

	// Passkeys.
	// CreatePasskey stores a new passkey (conflict when its credential ID
	// is taken, by whatever account).
	CreatePasskey(p *Passkey) error
	Passkey(id []byte) (*Passkey, error)
	// PasskeysOfAccount lists the account's passkeys, oldest first.
	PasskeysOfAccount(accountID string) ([]*Passkey, error)
	// RenamePasskey and DeletePasskey act on the account's own passkey
	// only (not_found otherwise).
	RenamePasskey(accountID string, id []byte, name string) error
	DeletePasskey(accountID string, id []byte) error
	// UsePasskey records a sign-in with the passkey if, and only if, its
	// sign count is still from (two answers racing, one wins); it reports
	// whether this call did.
	UsePasskey(id []byte, from, to uint32, flags byte, at time.Time) (bool, error)
	// CreateChallenge stores a ceremony begun, replacing any earlier one
	// of the same flow or session; TakeChallenge removes and returns it,
	// once, if it has not expired at now (not_found otherwise).
	CreateChallenge(c *WebAuthnChallenge) error
	TakeChallenge(id string, now time.Time) (*WebAuthnChallenge, error)

	// Audit log, append-only.
	AppendAudit(e *AuditEvent) error
	Audit(groupID string, limit int) ([]*AuditEvent, error)
	// AuditPage returns a group's events matching q, newest first.
	AuditPage(q AuditQuery) ([]*AuditEvent, error)

	// Purge removes at most n rows of kind that nothing live needs any
	// more, as c says, and reports how many it removed. Each call is one
	// conditional DELETE (or UPDATE), so instances purging the same
	// database at once neither fail nor count a row twice.
	Purge(kind PurgeKind, c PurgeCutoffs, n int) (int, error)
}

// AuditQuery selects a page of a group's audit log. Zero values do not
// filter; BeforeID pages backwards from an event.
type AuditQuery struct {
	GroupID  string
	Kind     string
	Since    time.Time // inclusive
	Until    time.Time // exclusive
	BeforeID int64
	Limit    int
}

// ThrottleState is a throttle as Throttles reads it: zero when there is
// none, or it expired.
type ThrottleState struct {
	Failures   int
	LockedTill time.Time
}

// SMSCaps bound the counts of CountSMS (0: not counted).
type SMSCaps struct{ PerAccount, PerNumber, Total int }

// SMSCounts are what the limits against SMS pumping are checked against:
// counts since the window start, and the oldest of each (zero when none).
type SMSCounts struct {
	PerAccount, PerNumber, Total             int
	OldestAccount, OldestNumber, OldestTotal time.Time
}

// KeyCounts are what the issuance limits are checked against.
type KeyCounts struct {
	PerFlow        int       // keys ever issued in the flow
	PerAccount     int       // keys issued to the account since the window start
	OldestInWindow time.Time // the first of those
	Last           time.Time // the account's latest key, ever
}

// Clock tells the time; tests inject their own.
type Clock func() time.Time
