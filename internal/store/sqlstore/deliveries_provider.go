package sqlstore

import (
	"database/sql"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) SetDeliveryProviderID(id, providerID string) error {
	_, err := t.exec(`UPDATE deliveries SET provider_id = ? WHERE id = ?`, providerID, id)
	return err
}

// RecordDeliveryReceipt only moves a sent message: a receipt never undoes a
// bounce, and a late or repeated one changes nothing.
func (t *tx) RecordDeliveryReceipt(providerID, status, lastErr string, at time.Time) (bool, error) {
	if providerID == "" {
		return false, nil
	}
	n, err := t.execN(`UPDATE deliveries SET status = ?, last_error = ?, updated_at = ? WHERE provider_id = ? AND status = 'sent'`,
		status, lastErr, ms(at), providerID)
	return n > 0, err
}

func (t *tx) CountSMS(accountID, number string, since time.Time, caps anshin.SMSCaps) (anshin.SMSCounts, error) {
	var c anshin.SMSCounts
	var err error
	// Each count reads at most its cap of rows from an index, so checking
	// the limits costs the same however much SMS traffic there is.
	if caps.PerAccount > 0 {
		c.PerAccount, c.OldestAccount, err = t.countSince(`SELECT created_at FROM one_time_keys
			WHERE account_id = ? AND method = 'sms' AND created_at > ? ORDER BY created_at LIMIT ?`, accountID, ms(since), caps.PerAccount)
		if err != nil {
			return c, err
		}
	}
	if caps.PerNumber > 0 {
		c.PerNumber, c.OldestNumber, err = t.countSince(`SELECT created_at FROM deliveries
			WHERE recipient = ? AND channel = 'sms' AND created_at > ? ORDER BY created_at LIMIT ?`, number, ms(since), caps.PerNumber)
		if err != nil {
			return c, err
		}
	}
	if caps.Total > 0 {
		c.Total, c.OldestTotal, err = t.smsSince(since)
		c.Total = min(c.Total, caps.Total)
	}
	return c, err
}

// smsSince counts the SMS queued after since in the whole service: the
// whole minutes from sms_minutes (at most 61 rows), the first, partial one
// from its deliveries; and finds the oldest of them. Its cost does not grow
// with the SMS traffic of the hour.
func (t *tx) smsSince(since time.Time) (int, time.Time, error) {
	firstWhole := ms(since)/60000 + 1
	var whole, partial int
	var oldest sql.NullInt64
	err := t.row([]any{&whole}, "count", `SELECT COALESCE(SUM(sent), 0) FROM sms_minutes WHERE minute >= ?`, firstWhole)
	if err == nil {
		err = t.row([]any{&partial}, "count", `SELECT COUNT(*) FROM deliveries
			WHERE channel = 'sms' AND created_at > ? AND created_at < ?`, ms(since), firstWhole*60000)
	}
	if err == nil && whole+partial > 0 {
		err = t.row([]any{&oldest}, "oldest SMS", `SELECT created_at FROM deliveries
			WHERE channel = 'sms' AND created_at > ? ORDER BY created_at LIMIT 1`, ms(since))
	}
	return whole + partial, tm(oldest.Int64), err
}

// countSince counts the rows of a bounded, ordered query of created_at
// values and returns the first.
func (t *tx) countSince(query string, args ...any) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := t.row([]any{&n, &oldest}, "count", `SELECT COUNT(*), MIN(created_at) FROM (`+query+`) w`, args...)
	return n, tm(oldest.Int64), err
}
