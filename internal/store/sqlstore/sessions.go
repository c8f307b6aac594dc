package sqlstore

import (
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) CreateSession(s *anshin.Session) error {
	return t.later(`INSERT INTO sessions (id, account_id, group_id, scope, factor, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.AccountID, s.GroupID, scope(s.Scope), s.Factor, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt))
}

func (t *tx) Session(id string) (*anshin.Session, error) {
	var s anshin.Session
	var created, seen, expires int64
	var sc string
	err := t.row([]any{&s.ID, &s.AccountID, &s.GroupID, &sc, &s.Factor, &created, &seen, &expires}, "session",
		`SELECT id, account_id, group_id, scope, factor, created_at, last_seen_at, expires_at FROM sessions WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	s.Scope = groups(sc)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = tm(created), tm(seen), tm(expires)
	return &s, nil
}

func (t *tx) TouchSession(id string, at time.Time) error {
	_, err := t.exec(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`, ms(at), id)
	return err
}

func (t *tx) DeleteSession(id string) error {
	_, err := t.exec(`DELETE FROM sessions WHERE id = ?`, id)
	return err
}

func (t *tx) AppendAudit(e *anshin.AuditEvent) error {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	return t.later(`INSERT INTO audit_events (group_id, account_id, kind, detail, client_ip, at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.GroupID, e.AccountID, e.Kind, e.Detail, e.ClientIP, ms(e.At))
}

func (t *tx) Audit(groupID string, limit int) ([]*anshin.AuditEvent, error) {
	rows, err := t.query(`SELECT id, group_id, account_id, kind, detail, client_ip, at FROM audit_events WHERE group_id = ? ORDER BY id DESC LIMIT ?`, groupID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*anshin.AuditEvent
	for rows.Next() {
		var e anshin.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.GroupID, &e.AccountID, &e.Kind, &e.Detail, &e.ClientIP, &at); err != nil {
			return nil, t.fail(err)
		}
		e.At = tm(at)
		list = append(list, &e)
	}
	return list, t.fail(rows.Err())
}
