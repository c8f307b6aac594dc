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

func (t *tx) CountSMS(accountID, number string, since time.Time) (anshin.SMSCounts, error) {
	var c anshin.SMSCounts
	var perAccount, perNumber, total int64
	var oldAccount, oldNumber, oldTotal sql.NullInt64
	err := t.row([]any{&perAccount, &oldAccount, &perNumber, &oldNumber, &total, &oldTotal}, "sms counts",
		`SELECT COALESCE(SUM(CASE WHEN k.account_id = ? THEN 1 ELSE 0 END), 0),
			MIN(CASE WHEN k.account_id = ? THEN d.created_at END),
			COALESCE(SUM(CASE WHEN d.recipient = ? THEN 1 ELSE 0 END), 0),
			MIN(CASE WHEN d.recipient = ? THEN d.created_at END),
			COUNT(*), MIN(d.created_at)
		FROM deliveries d LEFT JOIN one_time_keys k ON k.id = d.key_id
		WHERE d.channel = 'sms' AND d.created_at >= ?`,
		accountID, accountID, number, number, ms(since))
	if err != nil {
		return c, err
	}
	c.PerAccount, c.PerNumber, c.Total = int(perAccount), int(perNumber), int(total)
	c.OldestAccount, c.OldestNumber, c.OldestTotal = tm(oldAccount.Int64), tm(oldNumber.Int64), tm(oldTotal.Int64)
	return c, nil
}
