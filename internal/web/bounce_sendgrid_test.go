package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/bounce"
)

const sendGridPath = "/api/v1/bounces/sendgrid"

// sendGridFixture plays SendGrid's signed Event Webhook with a P-256 key
// whose public half anshin is configured with, as SendGrid shows it.
type sendGridFixture struct {
	t   *testing.T
	ts  *testServer
	key *ecdsa.PrivateKey
}

func newSendGridFixture(t *testing.T) *sendGridFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := bounce.ParseSendGridKey(base64.StdEncoding.EncodeToString(der))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, withLogin(noCooldown), withSendGrid(&bounce.SendGrid{Key: pub, MaxAge: 10 * time.Minute}))
	return &sendGridFixture{t: t, ts: ts, key: key}
}

// post signs events with key at the server's present and posts them.
func (f *sendGridFixture) post(events []map[string]any, key *ecdsa.PrivateKey) apiResponse {
	f.t.Helper()
	body, _ := json.Marshal(events)
	return f.postSigned(body, f.signature(key, f.ts.Clock.Now(), body), f.ts.Clock.Now())
}

func (f *sendGridFixture) signature(key *ecdsa.PrivateKey, at time.Time, body []byte) string {
	f.t.Helper()
	d := sha256.Sum256(append([]byte(strconv.FormatInt(at.Unix(), 10)), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
	if err != nil {
		f.t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (f *sendGridFixture) postSigned(body []byte, signature string, at time.Time) apiResponse {
	f.t.Helper()
	return f.ts.request(http.MethodPost, sendGridPath, body,
		bounce.SendGridSignatureHeader, signature, bounce.SendGridTimestampHeader, strconv.FormatInt(at.Unix(), 10))
}

// sgEvent is one event of the Event Webhook about m, as SendGrid posts it.
func sgEvent(m sentMail, event, id string, extra map[string]any) map[string]any {
	e := map[string]any{"email": m.To, "timestamp": 1743498000, "smtp-id": m.MessageID, "event": event,
		"category": []string{"one_time_key"}, "sg_event_id": id, "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func TestSendGridBounceDisablesOnceAndRepeatsChangeNothing(t *testing.T) {
	f := newSendGridFixture(t)
	m := f.ts.emailDelivery()
	events := []map[string]any{
		sgEvent(m, "processed", "sg-p1", nil),
		sgEvent(m, "bounce", "sg-b1", map[string]any{"type": "bounce", "status": "5.1.1",
			"reason": "550 5.1.1 The email account that you tried to reach does not exist.", "bounce_classification": "Invalid Address"}),
	}
	f.ts.bounceAppliesOnce(m, func() apiResponse { return f.post(events, f.key) })

	// The event ID is what a repeat is known by: an event ID seen before
	// changes nothing, whatever the post now says of it.
	m2 := f.ts.emailDelivery()
	result(f.ts, f.post([]map[string]any{sgEvent(m2, "deferred", "sg-d1", map[string]any{"response": "421 try again later"})}, f.key))
	res := result(f.ts, f.post([]map[string]any{sgEvent(m2, "bounce", "sg-d1", map[string]any{"type": "bounce", "status": "5.1.1", "reason": "user unknown"})}, f.key))
	if st := f.ts.mailState(m2.To, m2.ID); res["duplicate"] != true || st.Disabled || st.DeliveryStatus != "sent" {
		t.Fatalf("an event ID seen before: %v, %+v", res, st)
	}
}

// TestSendGridRefusesWhatSendGridDidNotSign: a changed body, another key,
// no signature, an old or future timestamp: 401 and nothing changes.
func TestSendGridRefusesWhatSendGridDidNotSign(t *testing.T) {
	f := newSendGridFixture(t)
	m := f.ts.emailDelivery()
	body, _ := json.Marshal([]map[string]any{sgEvent(m, "bounce", "sg-r1", map[string]any{"type": "bounce", "status": "5.1.1", "reason": "user unknown"})})
	now := f.ts.Clock.Now()
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-3] ^= 1
	for name, r := range map[string]apiResponse{
		"tampered body":         f.postSigned(tampered, f.signature(f.key, now, body), now),
		"signed by another key": f.postSigned(body, f.signature(other, now, body), now),
		"no signature":          f.ts.request(http.MethodPost, sendGridPath, body),
		"signature not base64":  f.postSigned(body, "not base64!", now),
		"timestamp changed":     f.postSigned(body, f.signature(f.key, now, body), now.Add(time.Second)),
		"too old":               f.postSigned(body, f.signature(f.key, now.Add(-11*time.Minute), body), now.Add(-11*time.Minute)),
		"from the future":       f.postSigned(body, f.signature(f.key, now.Add(11*time.Minute), body), now.Add(11*time.Minute)),
	} {
		t.Run(name, func(t *testing.T) { wantError(t, r, 401, "unauthorized") })
	}
	f.ts.wantUnchanged(m, "a refused post")
	// Signed but not a list of events: a clear 4xx.
	bad := []byte(`{"event":"bounce"}`)
	wantError(t, f.postSigned(bad, f.signature(f.key, now, bad), now), 400, "invalid_request")
}

func TestSendGridUnknownRecipientsChangeNothing(t *testing.T) {
	f := newSendGridFixture(t)
	m := f.ts.emailDelivery()
	var events []map[string]any
	for i, x := range strangers(m) {
		events = append(events, sgEvent(x, "bounce", "sg-u"+strconv.Itoa(i), map[string]any{"type": "bounce", "status": "5.1.1", "reason": "user unknown"}))
	}
	r := f.post(events, f.key)
	wantStatus(t, r, http.StatusOK)
	list, _ := r.JSON["results"].([]any)
	if len(list) != 3 {
		t.Fatalf("results: %s", r.Raw)
	}
	for i, x := range list {
		if res, _ := x.(map[string]any); res["error"] != "unknown_delivery" {
			t.Errorf("event %d: %v", i+1, res)
		}
	}
	f.ts.wantUnchanged(m, "an unknown recipient")
}

// TestSendGridEventKinds follows SPEC §3: blocked never disables, a
// deferral is counted without marking the delivery bounced, a spam report
// and a delivery are not failures.
func TestSendGridEventKinds(t *testing.T) {
	f := newSendGridFixture(t)
	m, m2 := f.ts.emailDelivery(), f.ts.emailDelivery()
	f.ts.wantEventKinds(func(ev map[string]any) apiResponse { return f.post([]map[string]any{ev}, f.key) }, []eventKind{
		{m, sgEvent(m, "delivered", "sg-k1", map[string]any{"response": "250 OK"}), "none", "delivered", false, "sent", false},
		{m, sgEvent(m, "spamreport", "sg-k2", nil), "none", "feedback_report", false, "sent", false},
		{m, sgEvent(m, "bounce", "sg-k3", map[string]any{"type": "blocked", "status": "5.7.1", "reason": "550 5.7.1 blocked by the recipient's filter"}), "none", "policy", true, "bounced", false},
		{m2, sgEvent(m2, "deferred", "sg-k4", map[string]any{"response": "400 try again later", "attempt": "5"}), "transient", "delayed", true, "sent", false},
	})
}
