package sqlstore

import (
	"math"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) DeleteAdministrator(groupID, accountID string) error {
	n, err := t.execN(`DELETE FROM administrators WHERE group_id = ? AND account_id = ?`, groupID, accountID)
	if err == nil && n == 0 {
		return anshin.Errorf(anshin.ECodeNotFound, "administrator not found")
	}
	return err
}

// AuditPage uses one statement for every filter combination, so the
// statement cache holds a single entry: an empty filter value matches all.
func (t *tx) AuditPage(q anshin.AuditQuery) ([]*anshin.AuditEvent, error) {
	until, before := int64(math.MaxInt64), int64(math.MaxInt64)
	if !q.Until.IsZero() {
		until = ms(q.Until)
	}
	if q.BeforeID > 0 {
		before = q.BeforeID
	}
	rows, err := t.query(`SELECT id, group_id, account_id, kind, detail, client_ip, at FROM audit_events
		WHERE group_id = ? AND (kind = ? OR ? = '') AND at >= ? AND at < ? AND id < ?
		ORDER BY id DESC LIMIT ?`,
		q.GroupID, q.Kind, q.Kind, ms(q.Since), until, before, q.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*anshin.AuditEvent{}
	for rows.Next() {
		var e anshin.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.GroupID, &e.AccountID, &e.Kind, &e.Detail, &e.ClientIP, &at); err != nil {
			return nil, t.d.translate(err)
		}
		e.At = tm(at)
		list = append(list, &e)
	}
	return list, t.d.translate(rows.Err())
}
