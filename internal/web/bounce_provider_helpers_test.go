package web_test

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
)

// repEmail is the demo representative's administrator e-mail, where an
// e-mail key for demo-rep goes.
const repEmail = "yamada.taro@example.co.jp"

// sentMail is one e-mail key message as the mail server saw it: what a
// sending service reports back about.
type sentMail struct {
	ID         string // the delivery
	To         string
	ReturnPath string // the VERP envelope sender
	MessageID  string // the Message-ID header, <id.stamp@from-domain>
}

// emailDelivery logs demo-rep in up to an e-mail key, sends it and returns
// the message. The clock moves on afterwards, so that a test can send
// several without meeting the issuance limits.
func (ts *testServer) emailDelivery() sentMail {
	ts.t.Helper()
	flow := ts.toKeyStep(demo.RepresentativeID)
	wantStatus(ts.t, ts.issue(flow, "email"), http.StatusOK)
	var m *delivery.Message
	for _, msg := range ts.deliver() {
		if msg.Channel == "email" && msg.To == repEmail {
			m = &msg
		}
	}
	if m == nil {
		ts.t.Fatalf("no e-mail key went to %s", repEmail)
	}
	ts.Clock.Advance(7 * time.Minute)
	return sentMail{ID: m.ID, To: m.To, ReturnPath: delivery.VERPAddress(ts.Keys, m.ID, testBounceDomain),
		MessageID: "<" + m.ID + "." + strconv.FormatInt(m.CreatedAt.Unix(), 36) + "@example.jp>"}
}

// mailState is what the store says of an address and a delivery.
type mailState struct {
	Disabled       bool
	Reason         string
	DeliveryStatus string
	Audit          int // mail_disabled events in the address's group
}

func (ts *testServer) mailState(addr, deliveryID string) mailState {
	ts.t.Helper()
	var st mailState
	err := ts.DB.View(context.Background(), func(tx anshin.Tx) error {
		s, err := tx.MailNotificationDisabledOf(addr)
		switch {
		case err == nil:
			st.Disabled, st.Reason = true, s.Reason
		case anshin.ErrorCode(err) != anshin.ECodeNotFound:
			return err
		}
		d, err := tx.Delivery(deliveryID)
		if err != nil {
			return err
		}
		st.DeliveryStatus = d.Status
		events, err := tx.Audit(demo.GroupAnshin, 100)
		for _, e := range events {
			if e.Kind == "mail_disabled" {
				st.Audit++
			}
		}
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return st
}

// clearMailNotificationDisabled is an administrator clearing メール通知不可.
func (ts *testServer) clearMailNotificationDisabled(addr string) {
	ts.t.Helper()
	if err := ts.DB.Update(context.Background(), func(tx anshin.Tx) error { return tx.ClearMailNotificationDisabled(addr) }); err != nil {
		ts.t.Fatal(err)
	}
}

// result is the one result of a provider post's answer.
func result(ts *testServer, r apiResponse) map[string]any {
	ts.t.Helper()
	wantStatus(ts.t, r, http.StatusOK)
	list, _ := r.JSON["results"].([]any)
	if len(list) != 1 {
		ts.t.Fatalf("want one result: %s", r.Raw)
	}
	m, _ := list[0].(map[string]any)
	return m
}

// verdictOf is a result's class and reason.
func verdictOf(res map[string]any) (string, string) {
	v, _ := res["verdict"].(map[string]any)
	c, _ := v["class"].(string)
	reason, _ := v["reason"].(string)
	return c, reason
}
