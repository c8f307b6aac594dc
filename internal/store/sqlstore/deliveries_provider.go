package sqlstore

import (
	"database/sql"
	"errors"
	"strings"
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

// TakeSMSTurn locks sms_minutes against the other writers of SMS counts
// on PostgreSQL. As the transaction's first statement the lock comes
// before its snapshot, which therefore holds the SMS committed by the
// one before (a SERIALIZABLE transaction's snapshot is taken at its first
// SELECT or write, LOCK TABLE excepted). Without it every two SMS issued at
// once read the count the other writes, and one of them failed
// serialization and ran again, a fraction of a second later at busy
// times. The LOCK goes out with the next statement, in its round trip
// (tx.later). SQLite writers take turns anyway.
func (t *tx) TakeSMSTurn() error {
	if t.d.name != "postgres" {
		return nil
	}
	if t.r != nil {
		return errors.New("sqlstore: TakeSMSTurn must be the first statement of its transaction")
	}
	return t.later(`LOCK TABLE sms_minutes IN SHARE ROW EXCLUSIVE MODE`)
}

// CountSMS reads the three counts in one statement (one round trip on
// PostgreSQL). The account's and the number's read at most their cap of
// index entries; the service's is kept per minute (sms_minutes): at most
// 61 of those rows, and the deliveries of the window's first, partial
// minute. None costs more as the SMS traffic of the hour grows.
func (t *tx) CountSMS(accountID, number string, since time.Time, caps anshin.SMSCaps) (anshin.SMSCounts, error) {
	var c anshin.SMSCounts
	var cols []string
	var args, dest []any
	var oldest [3]sql.NullInt64
	window := func(cap int, rows string, n *int, old *sql.NullInt64, where ...any) {
		if cap <= 0 {
			return
		}
		cols = append(cols, `(SELECT COUNT(*) FROM (SELECT 1 FROM `+rows+` LIMIT ?) w)`,
			`(SELECT created_at FROM `+rows+` ORDER BY created_at LIMIT 1)`)
		args = append(append(append(args, where...), cap), where...)
		dest = append(dest, n, old)
	}
	window(caps.PerAccount, `one_time_keys WHERE account_id = ? AND method = 'sms' AND created_at > ?`,
		&c.PerAccount, &oldest[0], accountID, ms(since))
	window(caps.PerNumber, `deliveries WHERE recipient = ? AND channel = 'sms' AND created_at > ?`,
		&c.PerNumber, &oldest[1], number, ms(since))
	var whole, partial int
	if caps.Total > 0 {
		firstWhole := ms(since)/60000 + 1
		cols = append(cols, `(SELECT COALESCE(SUM(sent), 0) FROM sms_minutes WHERE minute >= ?)`,
			`(SELECT COUNT(*) FROM deliveries WHERE channel = 'sms' AND created_at > ? AND created_at < ?)`,
			`(SELECT created_at FROM deliveries WHERE channel = 'sms' AND created_at > ? ORDER BY created_at LIMIT 1)`)
		args = append(args, firstWhole, ms(since), firstWhole*60000, ms(since))
		dest = append(dest, &whole, &partial, &oldest[2])
	}
	if len(cols) == 0 {
		return c, nil
	}
	err := t.row(dest, "count", `SELECT `+strings.Join(cols, ", "), args...)
	c.Total = min(whole+partial, caps.Total)
	c.OldestAccount, c.OldestNumber, c.OldestTotal = tm(oldest[0].Int64), tm(oldest[1].Int64), tm(oldest[2].Int64)
	return c, err
}
