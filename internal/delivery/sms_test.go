package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// fakeTwilio speaks the Messages REST API as far as anshin uses it: form
// POST with basic auth, 201 with a message SID.
type fakeTwilio struct {
	t      *testing.T
	sid    string
	token  string
	mu     sync.Mutex
	forms  []url.Values
	answer []int // statuses of the next answers; 201 when empty
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+f.sid+"/Messages.json" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"code": 20404, "message": "The requested resource was not found"}`)
		return
	}
	if !ok || user != f.sid || pass != f.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code": 20003, "message": "Authenticate"}`)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Content-Type %q", ct)
	}
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	status := http.StatusCreated
	if len(f.answer) > 0 {
		status, f.answer = f.answer[0], f.answer[1:]
	}
	w.WriteHeader(status)
	switch status {
	case http.StatusCreated:
		f.forms = append(f.forms, r.PostForm)
		json.NewEncoder(w).Encode(map[string]any{"sid": "SM" + strings.Repeat("0", 30) + string(rune('a'+len(f.forms))), "status": "queued"})
	case http.StatusBadRequest:
		io.WriteString(w, `{"code": 21211, "message": "The 'To' number is not a valid phone number."}`)
	default:
		io.WriteString(w, `{"code": 20500, "message": "Internal Server Error"}`)
	}
}

func (f *fakeTwilio) sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

const callbackURL = "https://anshin.example.jp" + delivery.TwilioStatusPath

func TestTwilioSendsAndReceiptsMarkDelivered(t *testing.T) {
	f := newFixture(t)
	fake := &fakeTwilio{t: t, sid: "AC0123456789abcdef0123456789abcdef", token: "twilio-auth-token"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sender := delivery.NewTwilioSender(delivery.TwilioConfig{AccountSID: fake.sid, AuthToken: fake.token, From: "+815012345678",
		BaseURL: srv.URL + "/", StatusCallback: callbackURL}, srv.Client())
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: sender}, quiet())
	ids := f.enqueueKey(t, anshin.MethodSMS, "55667788", "ja", 10*time.Minute, "+819012345678")
	w.RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-55667788", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("status %s (%s), want sent", d.Status, d.LastError)
	}
	forms := fake.sent()
	if len(forms) != 1 {
		t.Fatalf("Twilio got %d messages", len(forms))
	}
	form := forms[0]
	if form.Get("To") != "+819012345678" || form.Get("From") != "+815012345678" || form.Get("StatusCallback") != callbackURL {
		t.Errorf("form %v", form)
	}
	if body := form.Get("Body"); !strings.Contains(body, "55667788") || utf8.RuneCountInString(body) > delivery.SMSMaxUCS2 {
		t.Errorf("SMS body %q (%d characters)", body, utf8.RuneCountInString(body))
	}
	sid := "SM" + strings.Repeat("0", 30) + "b"

	receipts := delivery.NewTwilioReceipts(f.db, fake.token, callbackURL, f.clock)
	cb := url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}, "AccountSid": {fake.sid}, "To": {"+819012345678"}}
	// A forged receipt: signed with another token, or for another URL.
	for _, sig := range []string{"", delivery.TwilioSignature("wrong-token", callbackURL, cb), delivery.TwilioSignature(fake.token, "https://evil.example/x", cb)} {
		err := receipts.Record(context.Background(), cb, sig)
		if anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
			t.Fatalf("a badly signed receipt: %v", err)
		}
	}
	if d := f.flowStatus(t, "flow-55667788", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("a forged receipt changed the status to %s", d.Status)
	}
	// A signature over other parameters does not carry over.
	tampered := url.Values{"MessageSid": {sid}, "MessageStatus": {"undelivered"}, "AccountSid": {fake.sid}, "To": {"+819012345678"}}
	if err := receipts.Record(context.Background(), tampered, delivery.TwilioSignature(fake.token, callbackURL, cb)); anshin.ErrorCode(err) != anshin.ECodeUnauthorized {
		t.Fatalf("a tampered receipt: %v", err)
	}
	sent := url.Values{"MessageSid": {sid}, "MessageStatus": {"sent"}}
	if err := receipts.Record(context.Background(), sent, delivery.TwilioSignature(fake.token, callbackURL, sent)); err != nil {
		t.Fatal(err)
	}
	if err := receipts.Record(context.Background(), cb, delivery.TwilioSignature(fake.token, callbackURL, cb)); err != nil {
		t.Fatal(err)
	}
	if d := f.flowStatus(t, "flow-55667788", ids[0]); d.Status != anshin.DeliveryDelivered {
		t.Fatalf("after the receipt: %s, want delivered", d.Status)
	}
}

func TestTwilioUndeliveredReceiptMarksFailed(t *testing.T) {
	f := newFixture(t)
	fake := &fakeTwilio{t: t, sid: "AC1", token: "tok"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sender := delivery.NewTwilioSender(delivery.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "anshin", BaseURL: srv.URL}, nil)
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: sender}, quiet())
	ids := f.enqueueKey(t, anshin.MethodSMS, "10203040", "en", 10*time.Minute, "+819087654321")
	w.RunOnce(context.Background())
	if got := fake.sent(); len(got) != 1 || got[0].Has("StatusCallback") {
		t.Fatalf("without a public URL no StatusCallback is asked for: %v", got)
	}
	cb := url.Values{"MessageSid": {"SM" + strings.Repeat("0", 30) + "b"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
	r := delivery.NewTwilioReceipts(f.db, "tok", callbackURL, f.clock)
	if err := r.Record(context.Background(), cb, delivery.TwilioSignature("tok", callbackURL, cb)); err != nil {
		t.Fatal(err)
	}
	if d := f.flowStatus(t, "flow-10203040", ids[0]); d.Status != anshin.DeliveryFailed || !strings.Contains(d.LastError, "30003") {
		t.Fatalf("after undelivered: %s %q", d.Status, d.LastError)
	}
}

func TestTwilioErrorsAndCredentials(t *testing.T) {
	f := newFixture(t)
	fake := &fakeTwilio{t: t, sid: "AC1", token: "tok", answer: []int{503, 400}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	send := func(token string) *delivery.Worker {
		s := delivery.NewTwilioSender(delivery.TwilioConfig{AccountSID: "AC1", AuthToken: token, From: "+815012345678", BaseURL: srv.URL}, nil)
		return delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: s}, quiet())
	}
	ids := f.enqueueKey(t, anshin.MethodSMS, "99887766", "ja", 10*time.Minute, "+819011112222", "+819033334444")
	send("tok").RunOnce(context.Background())
	a, b := f.flowStatus(t, "flow-99887766", ids[0]), f.flowStatus(t, "flow-99887766", ids[1])
	if a.Status != anshin.DeliveryQueued || b.Status != anshin.DeliveryFailed || !strings.Contains(b.LastError, "21211") {
		t.Fatalf("503 → %s %q; 400 → %s %q; want queued and failed", a.Status, a.LastError, b.Status, b.LastError)
	}
	f.now = a.NextAttemptAt
	send("wrong").RunOnce(context.Background())
	if a := f.flowStatus(t, "flow-99887766", ids[0]); a.Status != anshin.DeliveryFailed || !strings.Contains(a.LastError, "401") || strings.Contains(a.LastError, "wrong") {
		t.Fatalf("bad credentials: %s %q", a.Status, a.LastError)
	}
}

func TestSMSGoesOnlyToJapaneseNumbers(t *testing.T) {
	f := newFixture(t)
	fake := &fakeTwilio{t: t, sid: "AC1", token: "tok"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s := delivery.NewTwilioSender(delivery.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "x", BaseURL: srv.URL}, nil)
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: s}, quiet())
	ids := f.enqueueKey(t, anshin.MethodSMS, "12121212", "ja", 10*time.Minute, "+8819012345678", "09012345678", "+81901234567890")
	w.RunOnce(context.Background())
	for _, id := range ids {
		if d := f.flowStatus(t, "flow-12121212", id); d.Status != anshin.DeliveryFailed {
			t.Errorf("%s to %s: %s", id, d.Recipient, d.Status)
		}
	}
	if len(fake.sent()) != 0 {
		t.Fatal("an SMS went to a number that is not a Japanese E.164 number")
	}
}

func TestWebhookPostsSignedJSON(t *testing.T) {
	f := newFixture(t)
	secret := []byte("webhook-secret-0123456789")
	var mu sync.Mutex
	var got []map[string]string
	fails := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !delivery.VerifyWebhookSignature(secret, r.Header.Get(delivery.WebhookSignatureHeader), body, f.now, 5*time.Minute) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		got = append(got, m)
	}))
	defer srv.Close()
	s := delivery.NewWebhookSender(srv.URL+"/sms", string(secret), nil, f.clock)
	w := delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: s}, quiet())
	ids := f.enqueueKey(t, anshin.MethodSMS, "76543210", "ja", 10*time.Minute, "+819055556666")
	w.RunOnce(context.Background())
	d := f.flowStatus(t, "flow-76543210", ids[0])
	if d.Status != anshin.DeliveryQueued || !strings.Contains(d.LastError, "503") {
		t.Fatalf("after 503: %s %q", d.Status, d.LastError)
	}
	f.now = d.NextAttemptAt
	w.RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-76543210", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("after 200: %s %q", d.Status, d.LastError)
	}
	if len(got) != 1 || got[0]["to"] != "+819055556666" || got[0]["message_id"] != ids[0] || !strings.Contains(got[0]["body"], "76543210") {
		t.Fatalf("webhook got %v", got)
	}
	// A wrong secret is refused by the gateway: the message fails, unretried.
	ids = f.enqueueKey(t, anshin.MethodSMS, "76543211", "ja", 10*time.Minute, "+819055556666")
	bad := delivery.NewWebhookSender(srv.URL+"/sms", "another secret", nil, f.clock)
	delivery.NewWorker(f.db, f.keys, f.clock, map[anshin.Method]delivery.Sender{anshin.MethodSMS: bad}, quiet()).RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-76543211", ids[0]); d.Status != anshin.DeliveryFailed {
		t.Fatalf("with a wrong secret: %s", d.Status)
	}
	if delivery.VerifyWebhookSignature(secret, delivery.WebhookSignature(secret, f.now.Add(-time.Hour), []byte("{}")), []byte("{}"), f.now, 5*time.Minute) {
		t.Fatal("an hour-old signature verified")
	}
}

func TestJapaneseSMSFitsOneMessage(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, lang := range []string{"ja", "en"} {
		d := &anshin.Delivery{ID: "d1", Kind: anshin.DeliveryKindKey, Channel: anshin.MethodSMS, Recipient: "+819012345678", Lang: lang, CreatedAt: now}
		payload, _ := json.Marshal(map[string]any{"key": "123456789012", "expires_at": now.Add(30 * time.Minute)})
		m, err := delivery.Render(d, payload)
		if err != nil {
			t.Fatal(err)
		}
		limit := delivery.SMSMaxUCS2
		if lang == "en" {
			limit = 160 // GSM 7-bit
		}
		if n := utf8.RuneCountInString(m.Body); n > limit || !strings.Contains(m.Body, "123456789012") {
			t.Errorf("%s SMS %q has %d characters, more than %d", lang, m.Body, n, limit)
		}
	}
}

// With a public URL, the key SMS ends with the origin-bound code line
// ("@host #key") and still fits one message; a host too long for it leaves
// the line out rather than split the message.
func TestKeySMSBoundToTheSite(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang, host string
		bound      bool
	}{
		{"ja", "anshin.example.jp", true},
		{"en", "anshin.example.jp", true},
		{"ja", "console.anshin-manager-next.example.co.jp", true},
		{"ja", strings.Repeat("a", 60) + ".example.jp", false},
	} {
		d := &anshin.Delivery{ID: "d1", Kind: anshin.DeliveryKindKey, Channel: anshin.MethodSMS, Recipient: "+819012345678", Lang: tc.lang, CreatedAt: now}
		payload, _ := json.Marshal(map[string]any{"key": "12345678", "expires_at": now.Add(10 * time.Minute)})
		m, err := delivery.RenderFor(d, payload, tc.host)
		if err != nil {
			t.Fatal(err)
		}
		limit := delivery.SMSMaxUCS2
		if tc.lang == "en" {
			limit = delivery.SMSMaxGSM7
		}
		if n := utf8.RuneCountInString(m.Body); n > limit || !strings.Contains(m.Body, "12345678") {
			t.Errorf("%s %s: SMS %q has %d characters, more than %d", tc.lang, tc.host, m.Body, n, limit)
		}
		if got := strings.HasSuffix(m.Body, "\n\n@"+tc.host+" #12345678"); got != tc.bound {
			t.Errorf("%s %s: SMS %q ends with the origin-bound line: %v, want %v", tc.lang, tc.host, m.Body, got, tc.bound)
		}
	}
}
