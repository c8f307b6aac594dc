package sqlstore

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) Delivery(id string) (*anshin.Delivery, error) {
	list, err := t.deliveries(`SELECT `+deliveryReadCols+` FROM deliveries WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "delivery not found")
	}
	return list[0], nil
}

func severity(class string) int {
	switch class {
	case "permanent":
		return 2
	case "transient":
		return 1
	}
	return 0
}

// RecordBounce inserts the event, or upgrades a less severe one: the one
// conditional statement makes a bounce apply once even when two instances
// receive copies of it at the same time.
func (t *tx) RecordBounce(b *anshin.BounceEvent) (bool, error) {
	n, err := t.execN(`INSERT INTO bounce_events (delivery_id, recipient, class, severity, reason, status, diagnostic, counted, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
		ON CONFLICT (delivery_id, recipient) DO UPDATE SET class = excluded.class, severity = excluded.severity,
			reason = excluded.reason, status = excluded.status, diagnostic = excluded.diagnostic, at = excluded.at
		WHERE bounce_events.severity < excluded.severity`,
		b.DeliveryID, strings.ToLower(b.Recipient), b.Class, severity(b.Class), b.Reason, b.Status, b.Diagnostic, ms(b.At))
	return n > 0, err
}

func (t *tx) CountTransientBounces(address string, since time.Time) (int, error) {
	var n int
	err := t.row([]any{&n}, "bounce count",
		`SELECT COUNT(DISTINCT delivery_id) FROM bounce_events WHERE recipient = ? AND class = 'transient' AND counted = 1 AND at >= ?`,
		strings.ToLower(address), ms(since))
	return n, err
}

func (t *tx) MarkDeliveryBounced(id, reason, status string, at time.Time) error {
	_, err := t.exec(`UPDATE deliveries SET status = ?, last_error = ?, bounce_reason = ?, bounce_status = ?, payload = '', lease_until = 0, updated_at = ?
		WHERE id = ? AND status <> ?`,
		anshin.DeliveryBounced, "bounced: "+reason, reason, status, ms(at), id, anshin.DeliveryBounced)
	return err
}

func (t *tx) MailNotificationDisabledOf(address string) (*anshin.MailNotificationDisabled, error) {
	var s anshin.MailNotificationDisabled
	var at int64
	err := t.row([]any{&s.Address, &s.Reason, &s.DeliveryID, &s.Status, &s.Diagnostic, &at}, "mail notification disabled state",
		`SELECT address, reason, delivery_id, status, diagnostic, at FROM suppressions WHERE address = ?`, strings.ToLower(address))
	if err != nil {
		return nil, err
	}
	s.At = tm(at)
	return &s, nil
}

// AdministratorsByAddress matches administrator e-mails exactly (ignoring
// case) and contact e-mails through a coarse LIKE on their JSON list,
// refined here: LIKE treats _ and % as wildcards, which only widens it.
func (t *tx) AdministratorsByAddress(address string) ([]*anshin.Administrator, error) {
	address = strings.ToLower(address)
	byEmail, err := t.administrators(false, `WHERE LOWER(a.email) = ? ORDER BY a.group_id, a.account_id`, address)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(`SELECT id, contact_emails FROM accounts WHERE LOWER(contact_emails) LIKE ?`, `%"`+address+`"%`)
	if err != nil {
		return nil, err
	}
	var holders []string
	for rows.Next() {
		var id, emails string
		if err := rows.Scan(&id, &emails); err != nil {
			rows.Close()
			return nil, t.fail(err)
		}
		var list []string
		json.Unmarshal([]byte(emails), &list)
		for _, e := range list {
			if strings.EqualFold(e, address) {
				holders = append(holders, id)
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, t.fail(err)
	}
	seen := map[[2]string]bool{}
	var out []*anshin.Administrator
	add := func(list []*anshin.Administrator) {
		for _, a := range list {
			if k := [2]string{a.GroupID, a.AccountID}; !seen[k] {
				seen[k] = true
				out = append(out, a)
			}
		}
	}
	add(byEmail)
	for _, id := range holders {
		list, err := t.AdministratorsOfAccount(id)
		if err != nil {
			return nil, err
		}
		add(list)
	}
	return out, nil
}

// RecordProviderEvent is one conditional INSERT: of two instances given
// the same event at once, one inserts and the other, waiting on the key,
// inserts nothing.
func (t *tx) RecordProviderEvent(provider, eventID, deliveryID string, at time.Time) (bool, error) {
	n, err := t.execN(`INSERT INTO provider_events (provider, event_id, delivery_id, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, deliveryID, ms(at))
	return n > 0, err
}
