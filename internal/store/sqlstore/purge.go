package sqlstore

import (
	"database/sql"

	"github.com/anshin/anshin/internal/anshin"
)

// purgeRule is one kind's statement: the rows of table, named by key,
// that cond selects, with cond's arguments taken from the cutoffs.
type purgeRule struct {
	table, key, cond string
	args             func(c anshin.PurgeCutoffs) []any
	erase            string // SET clause: the rows stay and lose a column instead
}

var purgeRules = map[anshin.PurgeKind]purgeRule{
	// A queued key message whose key expired (or is gone) is failed by the
	// worker before it opens the payload, so erasing it changes nothing
	// but what rests in the database.
	anshin.PurgePayloads: {table: "deliveries", key: "id", erase: "payload = ''",
		cond: `payload <> '' AND (status <> 'queued' OR (kind = 'one_time_key' AND NOT EXISTS
			(SELECT 1 FROM one_time_keys k WHERE k.id = deliveries.key_id AND k.expires_at > ?)))`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.Now)} }},
	// Keys count towards the account's issuance window after their flow
	// ended, so only keys older than the window go.
	anshin.PurgeKeys: {table: "one_time_keys", key: "id",
		cond: `created_at < ? AND expires_at <= ? AND NOT EXISTS
			(SELECT 1 FROM login_flows f WHERE f.id = one_time_keys.flow_id AND f.expires_at > ?)`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.KeysCreatedBefore), ms(c.Now), ms(c.Now)} }},
	anshin.PurgeFlows: {table: "login_flows", key: "id", cond: `expires_at < ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.FlowsExpiredBefore)} }},
	anshin.PurgeSessions: {table: "sessions", key: "id", cond: `(expires_at <= ? OR last_seen_at < ?)`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.Now), ms(c.SessionIdleSince)} }},
	anshin.PurgeChallenges: {table: "webauthn_challenges", key: "id", cond: `expires_at <= ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.Now)} }},
	anshin.PurgeThrottles: {table: "throttles", key: "name", cond: `expires_at <= ? AND locked_till <= ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.Now), ms(c.Now)} }},
	anshin.PurgeDeliveries: {table: "deliveries", key: "id", cond: `created_at < ? AND status <> 'queued'`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.RetainSince)} }},
	anshin.PurgeBounces: {table: "bounce_events", key: "delivery_id, recipient", cond: `at < ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.RetainSince)} }},
	anshin.PurgeProviderEvents: {table: "provider_events", key: "provider, event_id", cond: `at < ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.RetainSince)} }},
	anshin.PurgeSMSMinutes: {table: "sms_minutes", key: "minute", cond: `minute < ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.RetainSince) / 60000} }},
	anshin.PurgeAudit: {table: "audit_events", key: "id", cond: `at < ?`,
		args: func(c anshin.PurgeCutoffs) []any { return []any{ms(c.RetainSince)} }},
}

// Purge picks at most n rows in a subquery and removes them only if they
// still match: the condition is repeated outside the subquery, so that a
// row changed meanwhile (a session touched, a throttle locked again) is
// re-checked as it is now. On PostgreSQL the statement runs at READ
// COMMITTED, its own transaction's first, and the subquery skips rows other
// transactions hold: two instances purging at once wait for nothing, and a
// row one of them removed is not removed, nor counted, by the other.
func (t *tx) Purge(kind anshin.PurgeKind, c anshin.PurgeCutoffs, n int) (int, error) {
	r, ok := purgeRules[kind]
	if !ok {
		return 0, anshin.Errorf(anshin.ECodeInvalidRequest, "no purge of %q", kind)
	}
	if n <= 0 {
		return 0, nil
	}
	if _, err := t.on(sql.LevelReadCommitted); err != nil {
		return 0, err
	}
	pick := `(` + r.key + `) IN (SELECT ` + r.key + ` FROM ` + r.table + ` WHERE ` + r.cond + ` LIMIT ? ` + t.d.skipLocked + `) AND ` + r.cond
	stmt := `DELETE FROM ` + r.table + ` WHERE ` + pick
	if r.erase != "" {
		stmt = `UPDATE ` + r.table + ` SET ` + r.erase + ` WHERE ` + pick
	}
	args := append(append(r.args(c), n), r.args(c)...)
	removed, err := t.execN(stmt, args...)
	return int(removed), err
}
