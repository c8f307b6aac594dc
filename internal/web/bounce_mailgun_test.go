package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/bounce"
)

const mailgunPath = "/api/v1/bounces/mailgun"

// mailgunTestKey is the fixture's HTTP webhook signing key.
const mailgunTestKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// mailgunFixture plays Mailgun's webhooks, signed with the key anshin is
// configured with.
type mailgunFixture struct {
	t  *testing.T
	ts *testServer
	n  int // tokens handed out
}

func newMailgunFixture(t *testing.T) *mailgunFixture {
	t.Helper()
	ts := newTestServer(t, withLogin(noCooldown), withMailgun(&bounce.Mailgun{Key: []byte(mailgunTestKey), MaxAge: 10 * time.Minute}))
	return &mailgunFixture{t: t, ts: ts}
}

// signature is Mailgun's signature object for at, with a fresh token.
func (f *mailgunFixture) signature(key string, at time.Time) map[string]any {
	f.n++
	ts, token := strconv.FormatInt(at.Unix(), 10), "0f6d1e2c3b4a5968778695a4b3c2d1e0f"+strconv.Itoa(f.n)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + token))
	return map[string]any{"timestamp": ts, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))}
}

// post signs event with key at the server's present and posts it.
func (f *mailgunFixture) post(event map[string]any, key string) apiResponse {
	f.t.Helper()
	return f.postWith(f.signature(key, f.ts.Clock.Now()), event)
}

func (f *mailgunFixture) postWith(signature, event map[string]any) apiResponse {
	f.t.Helper()
	body, _ := json.Marshal(map[string]any{"signature": signature, "event-data": event})
	return f.ts.request(http.MethodPost, mailgunPath, body)
}

// mgEvent is one event about m as Mailgun's webhooks post it.
func mgEvent(m sentMail, event, id string, extra map[string]any) map[string]any {
	e := map[string]any{"event": event, "id": id, "timestamp": 1521472262.908181, "log-level": "error", "recipient": m.To,
		"recipient-domain": "example.co.jp", "tags": []string{}, "user-variables": map[string]any{}, "flags": map[string]any{"is-test-mode": false},
		"envelope": map[string]any{"sender": "anshin@example.jp", "transport": "smtp", "targets": m.To},
		"message": map[string]any{"headers": map[string]any{"to": m.To, "message-id": m.MessageID[1 : len(m.MessageID)-1],
			"from": "anshin@example.jp", "subject": "【anshin】ワンタイムキーのお知らせ"}, "attachments": []any{}, "size": 4200}}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// mgStatus is a delivery-status object.
func mgStatus(code int, enhanced, message string) map[string]any {
	return map[string]any{"code": code, "enhanced-code": enhanced, "message": message, "description": "", "attempt-no": 1,
		"mx-host": "mx.example.co.jp", "tls": true, "certificate-verified": true}
}

func mgPermanent(m sentMail, id string) map[string]any {
	return mgEvent(m, "failed", id, map[string]any{"severity": "permanent", "reason": "bounce",
		"delivery-status": mgStatus(550, "5.1.1", "5.1.1 The email account that you tried to reach does not exist.")})
}

func TestMailgunBounceDisablesOnceAndRepeatsChangeNothing(t *testing.T) {
	f := newMailgunFixture(t)
	m := f.ts.emailDelivery()
	f.ts.bounceAppliesOnce(m, func() apiResponse { return f.post(mgPermanent(m, "mg-b1"), mailgunTestKey) })
}

// TestMailgunRefusesWhatMailgunDidNotSign: the signature covers the
// timestamp and the token, not the body, so a signature is taken once and
// recently: a changed token or timestamp, another key, no signature, an
// old or future timestamp, and a captured signature carrying another
// event: 401 and nothing changes.
func TestMailgunRefusesWhatMailgunDidNotSign(t *testing.T) {
	f := newMailgunFixture(t)
	m := f.ts.emailDelivery()
	now := f.ts.Clock.Now()
	ev := mgPermanent(m, "mg-r1")
	changed := func(field, value string) map[string]any {
		s := f.signature(mailgunTestKey, now)
		s[field] = value
		return s
	}
	for name, sig := range map[string]map[string]any{
		"token changed":         changed("token", "attacker-chosen-token-0123456789abcdef"),
		"timestamp changed":     changed("timestamp", strconv.FormatInt(now.Unix()+1, 10)),
		"signature not hex":     changed("signature", "not hex!"),
		"no signature":          changed("signature", ""),
		"no token":              changed("token", ""),
		"signed by another key": f.signature("key-another0another0another0another", now),
		"too old":               f.signature(mailgunTestKey, now.Add(-11*time.Minute)),
		"from the future":       f.signature(mailgunTestKey, now.Add(11*time.Minute)),
		"no signature object":   nil,
	} {
		t.Run(name, func(t *testing.T) { wantError(t, f.postWith(sig, ev), 401, "unauthorized") })
	}
	f.ts.wantUnchanged(m, "a refused post")

	// Mailgun signs each attempt anew. A signature it made for a delivery
	// report, for an event anshin ignores, or for a message that is not
	// anshin's, replayed with a bounce: refused. So is the same post again.
	delivered := mgEvent(m, "delivered", "mg-r2", map[string]any{"delivery-status": mgStatus(250, "", "OK")})
	foreign := mgPermanent(m, "mg-r3")
	foreign["message"] = map[string]any{"headers": map[string]any{"message-id": "20261130.1.ABCDEF@mg.example.jp"}}
	for _, first := range []map[string]any{delivered, mgEvent(m, "opened", "mg-r4", nil), foreign} {
		sig := f.signature(mailgunTestKey, now)
		wantStatus(t, f.postWith(sig, first), http.StatusOK)
		wantError(t, f.postWith(sig, ev), 401, "unauthorized")
		wantError(t, f.postWith(sig, first), 401, "unauthorized")
	}
	f.ts.wantUnchanged(m, "a replayed signature")

	// Not JSON: 400 with its code, never 500; signed JSON without an event
	// ID: 400 too.
	for _, body := range []string{`{"signature":`, `[]`, `"x"`, ``, "\xff\xfe{}", `{"signature":"x"}`,
		`{"signature":{"timestamp":1},"event-data":{}}`, `{"event-data":{"delivery-status":{"code":"550"}}}`} {
		wantError(t, f.ts.request(http.MethodPost, mailgunPath, []byte(body)), 400, "invalid_request")
	}
	wantError(t, f.ts.request(http.MethodPost, mailgunPath, strings.Repeat(" ", 1<<20+1)), 413, "body_too_large")
	noID := mgPermanent(m, "")
	wantError(t, f.post(noID, mailgunTestKey), 400, "invalid_request")
	wantError(t, f.postWith(f.signature(mailgunTestKey, now), nil), 400, "invalid_request")
}

func TestMailgunUnknownRecipientsChangeNothing(t *testing.T) {
	f := newMailgunFixture(t)
	m := f.ts.emailDelivery()
	var answers []apiResponse
	for i, x := range strangers(m) {
		answers = append(answers, f.post(mgPermanent(x, "mg-u"+strconv.Itoa(i)), mailgunTestKey))
	}
	f.ts.unknownDeliveries(m, answers...)
}

// TestMailgunEventKinds follows SPEC §3: a temporary failure is counted
// without marking the delivery bounced, a complaint and a delivery are
// not failures, a policy refusal never disables, a suppressed address
// does, and events about opens or clicks are taken with no result.
func TestMailgunEventKinds(t *testing.T) {
	f := newMailgunFixture(t)
	m, m2 := f.ts.emailDelivery(), f.ts.emailDelivery()
	f.ts.wantEventKinds(func(ev map[string]any) apiResponse { return f.post(ev, mailgunTestKey) }, []eventKind{
		{m, mgEvent(m, "delivered", "mg-k1", map[string]any{"delivery-status": mgStatus(250, "", "OK")}), "none", "delivered", false, "sent", false},
		{m, mgEvent(m, "complained", "mg-k2", nil), "none", "feedback_report", false, "sent", false},
		{m2, mgEvent(m2, "failed", "mg-k3", map[string]any{"severity": "temporary", "reason": "generic",
			"delivery-status": mgStatus(452, "4.2.2", "4.2.2 The email account that you tried to reach is over quota.")}), "transient", "delayed", true, "sent", false},
		{m, mgEvent(m, "failed", "mg-k4", map[string]any{"severity": "permanent", "reason": "bounce",
			"delivery-status": mgStatus(550, "5.7.1", "5.7.1 Message rejected due to local policy")}), "none", "policy", true, "bounced", false},
		{m2, mgEvent(m2, "failed", "mg-k5", map[string]any{"severity": "permanent", "reason": "suppress-bounce",
			"delivery-status": map[string]any{"code": 605, "message": "", "description": "Not delivering to previously bounced address"}}), "permanent", "provider_suppressed", true, "bounced", true},
	})
	r := f.post(mgEvent(m, "opened", "mg-k6", nil), mailgunTestKey)
	wantStatus(t, r, http.StatusOK)
	if list, _ := r.JSON["results"].([]any); list == nil || len(list) != 0 {
		t.Errorf("an open event: %s", r.Raw)
	}
}
