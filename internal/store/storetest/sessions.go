package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testSessions(t *testing.T, s anshin.Store) {
	sess := &anshin.Session{ID: "s1", AccountID: "a1", GroupID: "g1", Scope: []string{"g1", "g3"}, Factor: anshin.MethodEmail, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	update(t, s, func(tx anshin.Tx) error { return tx.CreateSession(sess) })
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.CreateSession(sess) }), anshin.ECodeConflict)
	update(t, s, func(tx anshin.Tx) error { return tx.TouchSession("s1", t0.Add(5*time.Minute)) })
	view(t, s, func(tx anshin.Tx) error {
		got, err := tx.Session("s1")
		if err != nil {
			return err
		}
		want := *sess
		want.LastSeenAt = t0.Add(5 * time.Minute)
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("session %+v, want %+v", got, want)
		}
		return nil
	})
	update(t, s, func(tx anshin.Tx) error { return tx.DeleteSession("s1") })
	view(t, s, func(tx anshin.Tx) error {
		_, err := tx.Session("s1")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
}

func testAudit(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for i, kind := range []string{"sign_in", "key_issued", "key_failed", "sign_in"} {
			e := &anshin.AuditEvent{GroupID: "g1", AccountID: "a1", Kind: kind, ClientIP: "192.0.2.1", At: t0.Add(time.Duration(i) * time.Minute)}
			if i == 1 {
				e.Detail = `{"method":"email"}`
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return tx.AppendAudit(&anshin.AuditEvent{GroupID: "g2", Kind: "sign_in", At: t0})
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.Audit("g1", 3)
		if err != nil {
			return err
		}
		if len(list) != 3 || list[0].Kind != "sign_in" || list[1].Kind != "key_failed" || list[2].Kind != "key_issued" ||
			list[2].Detail != `{"method":"email"}` || list[1].Detail != "{}" || !list[0].At.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("audit, newest first: %+v", list)
		}
		if !(list[0].ID > list[1].ID && list[1].ID > list[2].ID) {
			t.Errorf("audit IDs not in append order: %d %d %d", list[0].ID, list[1].ID, list[2].ID)
		}
		page, err := tx.AuditPage(anshin.AuditQuery{GroupID: "g1", Kind: "sign_in", Limit: 10})
		if err != nil {
			return err
		}
		if len(page) != 2 {
			t.Errorf("audit page of sign_in: %d events", len(page))
		}
		page, err = tx.AuditPage(anshin.AuditQuery{GroupID: "g1", BeforeID: list[1].ID, Since: t0.Add(time.Minute), Limit: 10})
		if err != nil {
			return err
		}
		if len(page) != 1 || page[0].Kind != "key_issued" {
			t.Errorf("audit page before %d since t0+1m: %+v", list[1].ID, page)
		}
		return nil
	})
}
