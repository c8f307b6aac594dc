package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

const deliveryCols = `id, kind, channel, recipient, flow_id, key_id, lang, payload, status, attempts, last_error, next_attempt_at, lease_until, created_at, updated_at`

// deliveryReadCols are what deliveries reads: the columns written at
// enqueue and what a bounce added.
const deliveryReadCols = deliveryCols + `, bounce_reason, bounce_status`

// EnqueueDelivery queues d, leased already when d says so (a worker of this
// process sends it without claiming it); an SMS is also counted in its
// minute, for the service's hourly SMS cap (CountSMS) — on PostgreSQL in
// the same statement.
func (t *tx) EnqueueDelivery(d *anshin.Delivery) error {
	insert := `INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`
	args := []any{d.ID, d.Kind, d.Channel, d.Recipient, d.FlowID, d.KeyID, d.Lang, base64.StdEncoding.EncodeToString(d.Payload),
		anshin.DeliveryQueued, d.Attempts, ms(d.NextAttemptAt), ms(d.LeaseUntil), ms(d.CreatedAt), ms(d.UpdatedAt)}
	const count = `INSERT INTO sms_minutes (minute, sent) VALUES (?, 1) ON CONFLICT (minute) DO UPDATE SET sent = sms_minutes.sent + 1`
	switch {
	case d.Channel != anshin.MethodSMS:
		return t.later(insert, args...)
	case t.d.name == "postgres":
		return t.later(`WITH queued AS (`+insert+` RETURNING 1) `+count, append(args, ms(d.CreatedAt)/60000)...)
	}
	if err := t.later(insert, args...); err != nil {
		return err
	}
	return t.later(count, ms(d.CreatedAt)/60000)
}

// ClaimDeliveries leases due messages; a lease that expires (its worker
// died) makes the message due again, so none is stuck. On PostgreSQL the
// subquery locks the rows it picks and skips those another claimer holds;
// a row claimed and committed meanwhile is checked again after the lock
// and, now leased, left out. That needs no more than READ COMMITTED, at
// which the transaction runs when the claim is its first statement.
func (t *tx) ClaimDeliveries(now, leaseUntil time.Time, n int) ([]*anshin.Delivery, error) {
	if _, err := t.on(sql.LevelReadCommitted); err != nil {
		return nil, err
	}
	return t.deliveries(`UPDATE deliveries SET lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE status = 'queued' AND next_attempt_at <= ? AND lease_until <= ?
			ORDER BY next_attempt_at LIMIT ? `+t.d.skipLocked+`)
		RETURNING `+deliveryReadCols, ms(leaseUntil), ms(now), ms(now), ms(now), n)
}

func (t *tx) FinishDelivery(id, status, lastErr string, at time.Time) error {
	_, err := t.exec(`UPDATE deliveries SET status = ?, last_error = ?, payload = '', lease_until = 0, updated_at = ? WHERE id = ?`,
		status, lastErr, ms(at), id)
	return err
}

func (t *tx) RetryDelivery(id, lastErr string, next, at time.Time) error {
	_, err := t.exec(`UPDATE deliveries SET last_error = ?, next_attempt_at = ?, lease_until = 0, updated_at = ? WHERE id = ?`,
		lastErr, ms(next), ms(at), id)
	return err
}

func (t *tx) FlowDeliveries(flowID string) ([]*anshin.Delivery, error) {
	return t.deliveries(`SELECT `+deliveryReadCols+` FROM deliveries WHERE flow_id = ? ORDER BY created_at, id`, flowID)
}

func (t *tx) deliveries(query string, args ...any) ([]*anshin.Delivery, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*anshin.Delivery
	for rows.Next() {
		var d anshin.Delivery
		var payload string
		var next, lease, created, updated int64
		if err := rows.Scan(&d.ID, &d.Kind, &d.Channel, &d.Recipient, &d.FlowID, &d.KeyID, &d.Lang, &payload, &d.Status, &d.Attempts, &d.LastError, &next, &lease, &created, &updated, &d.BounceReason, &d.BounceStatus); err != nil {
			return nil, t.fail(err)
		}
		if d.Payload, err = base64.StdEncoding.DecodeString(payload); err != nil {
			return nil, anshin.Errorf(anshin.ECodeInternal, "delivery %s: corrupt payload", d.ID)
		}
		d.NextAttemptAt, d.LeaseUntil, d.CreatedAt, d.UpdatedAt = tm(next), tm(lease), tm(created), tm(updated)
		list = append(list, &d)
	}
	return list, t.fail(rows.Err())
}

func (t *tx) MailNotificationDisabled(addresses []string) (map[string]bool, error) {
	out := make(map[string]bool, len(addresses))
	if len(addresses) == 0 {
		return out, nil
	}
	args := make([]any, len(addresses))
	for i, a := range addresses {
		args[i] = strings.ToLower(a)
	}
	rows, err := t.query(`SELECT address FROM suppressions WHERE address IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, t.fail(err)
		}
		out[a] = true
	}
	return out, t.fail(rows.Err())
}

func (t *tx) PutMailNotificationDisabled(s *anshin.MailNotificationDisabled) error {
	_, err := t.exec(`INSERT INTO suppressions (address, reason, delivery_id, status, diagnostic, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, delivery_id = excluded.delivery_id,
			status = excluded.status, diagnostic = excluded.diagnostic, at = excluded.at`,
		strings.ToLower(s.Address), s.Reason, s.DeliveryID, s.Status, s.Diagnostic, ms(s.At))
	return err
}

func (t *tx) ClearMailNotificationDisabled(address string) error {
	if _, err := t.exec(`DELETE FROM suppressions WHERE address = ?`, strings.ToLower(address)); err != nil {
		return err
	}
	// Transient failures before the clearing no longer count (bounces.go).
	_, err := t.exec(`UPDATE bounce_events SET counted = 0 WHERE recipient = ? AND counted = 1`, strings.ToLower(address))
	return err
}
