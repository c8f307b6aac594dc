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
		c.Total, c.OldestTotal, err = t.countSince(`SELECT created_at FROM deliveries
			WHERE channel = 'sms' AND created_at > ? ORDER BY created_at LIMIT ?`, ms(since), caps.Total)
	}
	return c, err
}

// countSince counts the rows of a bounded, ordered query of created_at
// values and returns the first.
func (t *tx) countSince(query string, args ...any) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := t.row([]any{&n, &oldest}, "count", `SELECT COUNT(*), MIN(created_at) FROM (`+query+`) w`, args...)
	return n, tm(oldest.Int64), err
}
