package anshin

import "time"

// PurgeKind names what Tx.Purge removes; it is also the label of the
// purge metric.
type PurgeKind string

const (
	// PurgePayloads erases the sealed payload of deliveries that will not be
	// sent: finished ones, and queued key messages whose key expired or is
	// gone (the worker fails those without opening the payload).
	PurgePayloads PurgeKind = "delivery_payloads"
	// PurgeKeys removes one-time keys of expired flows once they no longer
	// count towards the account's issuance window.
	PurgeKeys PurgeKind = "one_time_keys"
	// PurgeFlows removes login flows expired before FlowsExpiredBefore.
	PurgeFlows PurgeKind = "login_flows"
	// PurgeSessions removes sessions past their absolute or idle timeout.
	PurgeSessions PurgeKind = "sessions"
	// PurgeChallenges removes WebAuthn challenges that expired unanswered.
	PurgeChallenges PurgeKind = "webauthn_challenges"
	// PurgeThrottles removes throttles that expired and lock nothing.
	PurgeThrottles PurgeKind = "throttles"
	// PurgeDeliveries removes finished deliveries created before RetainSince.
	PurgeDeliveries PurgeKind = "deliveries"
	// PurgeBounces removes bounce events recorded before RetainSince.
	PurgeBounces PurgeKind = "bounce_events"
	// PurgeProviderEvents removes the event IDs of sending services noted
	// before RetainSince: no provider repeats an event that late.
	PurgeProviderEvents PurgeKind = "provider_events"
	// PurgeSMSMinutes removes the per-minute SMS counts of minutes before
	// RetainSince: the hourly cap reads only the last hour's.
	PurgeSMSMinutes PurgeKind = "sms_minutes"
	// PurgeAudit removes audit events recorded before RetainSince.
	PurgeAudit PurgeKind = "audit_events"
)

// PurgeKinds lists every kind, in the order a purge run takes them: keys
// before their flows, payloads before their deliveries.
var PurgeKinds = []PurgeKind{PurgePayloads, PurgeKeys, PurgeFlows, PurgeSessions, PurgeChallenges, PurgeThrottles, PurgeDeliveries, PurgeBounces, PurgeProviderEvents, PurgeSMSMinutes, PurgeAudit}

// PurgeCutoffs say what is no longer live. Each is a point in time: rows
// are removed only on its far side, so nothing a rule still reads goes.
type PurgeCutoffs struct {
	Now                time.Time // keys, sessions, challenges and throttles expired by now
	KeysCreatedBefore  time.Time // the account's issuance window (and cooldown) start
	FlowsExpiredBefore time.Time // flows expired before this (a grace so "expired" can still be told)
	SessionIdleSince   time.Time // sessions last seen before this are idle
	RetainSince        time.Time // deliveries, bounces, provider events and audit older than this go
}
