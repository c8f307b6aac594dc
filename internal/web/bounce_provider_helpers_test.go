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

// bounceAppliesOnce posts (with post, signing anew each time) an event
// that says m's address does not exist: it disables the address once; the
// provider's retry of the same event, even after the state was cleared,
// changes nothing.
func (ts *testServer) bounceAppliesOnce(m sentMail, post func() apiResponse) {
	ts.t.Helper()
	res := result(ts, post())
	if res["disabled"] != true || res["delivery_id"] != m.ID {
		ts.t.Fatalf("a bounce: %v", res)
	}
	st := ts.mailState(m.To, m.ID)
	if !st.Disabled || st.Reason != "no_such_user" || st.DeliveryStatus != "bounced" || st.Audit != 1 {
		ts.t.Fatalf("after the bounce: %+v", st)
	}
	ts.clearMailNotificationDisabled(m.To)
	ts.Clock.Advance(time.Minute)
	res = result(ts, post())
	if res["duplicate"] != true || res["disabled"] == true {
		ts.t.Fatalf("a repeat: %v", res)
	}
	if st := ts.mailState(m.To, m.ID); st.Disabled || st.Audit != 1 {
		ts.t.Fatalf("after the repeat: %+v", st)
	}
}

// eventKind is what one provider event about m must do (SPEC §3).
type eventKind struct {
	m             sentMail
	event         map[string]any
	class, reason string
	recorded      bool
	status        string // of the delivery afterwards
	disabled      bool
}

// wantEventKinds posts each event alone and checks its result and the
// store afterwards.
func (ts *testServer) wantEventKinds(post func(event map[string]any) apiResponse, kinds []eventKind) {
	ts.t.Helper()
	for _, tc := range kinds {
		res := result(ts, post(tc.event))
		c, reason := verdictOf(res)
		if c != tc.class || reason != tc.reason || (res["recorded"] == true) != tc.recorded || (res["disabled"] == true) != tc.disabled {
			ts.t.Errorf("%v: %v", tc.event, res)
		}
		if st := ts.mailState(tc.m.To, tc.m.ID); st.Disabled != tc.disabled || st.DeliveryStatus != tc.status {
			ts.t.Errorf("after %v: %+v", tc.event, st)
		}
	}
}

// unknownDeliveries checks that each answer is unknown_delivery and that m
// is as it was.
func (ts *testServer) unknownDeliveries(m sentMail, answers ...apiResponse) {
	ts.t.Helper()
	for i, r := range answers {
		if res := result(ts, r); res["error"] != "unknown_delivery" {
			ts.t.Errorf("event %d: %v", i+1, res)
		}
	}
	ts.wantUnchanged(m, "an unknown recipient")
}

// wantUnchanged checks that what was refused left m's address and
// delivery as they were.
func (ts *testServer) wantUnchanged(m sentMail, what string) {
	ts.t.Helper()
	if st := ts.mailState(m.To, m.ID); st.Disabled || st.DeliveryStatus != "sent" {
		ts.t.Fatalf("%s changed something: %+v", what, st)
	}
}

// strangers are reports about m that must not count for it: another
// address, a Message-ID that is not ours, our Message-ID with a wrong
// stamp.
func strangers(m sentMail) []sentMail {
	otherAddr, notOurs, stale := m, m, m
	otherAddr.To = "someone.else@example.co.jp"
	notOurs.MessageID = "<14c5d75ce93.dfd.64b469@ismtpd-555>"
	stale.MessageID = "<" + m.ID + ".zz@example.jp>"
	return []sentMail{otherAddr, notOurs, stale}
}
