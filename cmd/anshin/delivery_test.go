package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/secret"
	"github.com/emersion/go-smtp"
)

const testSecretKey = "5ed2789f2adbebcafb6b56ef145a97d6a0511c3e5da3056bc7e515c0b8d4d8e6" // test only: 32 random bytes in hex

// mailSink is a plain SMTP server (go-smtp) that keeps what it receives.
type mailSink struct {
	Addr string
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []sunk
	// accepted gets the time of each accepted message, when it has room.
	accepted chan time.Time
}

type sunk struct {
	From string
	To   []string
	Data string
}

func newMailSink(t testing.TB, addr string) *mailSink {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &mailSink{Addr: ln.Addr().String(), accepted: make(chan time.Time, 16)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

func (s *mailSink) received() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

// await waits until n messages arrived; a failsafe deadline, not a measure.
func (s *mailSink) await(t testing.TB, n int) []sunk {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got := s.received(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d messages arrived, want %d", len(s.received()), n)
	return nil
}

type sinkSession struct {
	sink *mailSink
	msg  sunk
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.msg = sunk{From: from}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = string(b)
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, ss.msg)
	ss.sink.mu.Unlock()
	select {
	case ss.sink.accepted <- time.Now():
	default:
	}
	return nil
}

func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }

// apiIssue logs loginID in through the API up to a key by method and
// returns the flow ID.
func apiIssue(t testing.TB, base, loginID, method string) string {
	t.Helper()
	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	flow, _ := post("/api/v1/login", map[string]string{"login_id": loginID})["flow_id"].(string)
	post("/api/v1/login/"+flow+"/password", map[string]string{"password": demo.Password})
	post("/api/v1/login/"+flow+"/one-time-key", map[string]string{"method": method})
	return flow
}

// deliveryStatuses reads GET /api/v1/login/{flow}/deliveries.
func deliveryStatuses(t testing.TB, base, flow string) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/login/" + flow + "/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Deliveries []struct{ To, Status string } }
	json.NewDecoder(resp.Body).Decode(&out)
	var st []string
	for _, d := range out.Deliveries {
		st = append(st, d.Status)
	}
	return st
}

func awaitStatus(t testing.TB, base, flow, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = deliveryStatuses(t, base, flow); len(got) == 1 && got[0] == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("delivery statuses %v, want [%s]", got, want)
}

func TestServeSendsKeyMailThroughSMTP(t *testing.T) {
	sink := newMailSink(t, "")
	env := testEnv(t, "ANSHIN_SMTP_URL", "smtp://"+sink.Addr, "ANSHIN_SECRET_KEY", testSecretKey,
		"ANSHIN_MAIL_FROM", "no-reply@anshin.example.jp", "ANSHIN_BOUNCE_DOMAIN", "bounces.anshin.example.jp")
	srv := startServe(t, env, "serve", "--demo")
	flow := apiIssue(t, srv.URL, demo.RepresentativeID, "email")
	got := sink.await(t, 1)
	keys, _ := secret.NewKeyring([]byte(testSecretKey))
	if _, err := delivery.ParseVERP(keys, got[0].From, "bounces.anshin.example.jp"); err != nil {
		t.Errorf("envelope sender %q: %v", got[0].From, err)
	}
	if len(got[0].To) != 1 || got[0].To[0] != "yamada.taro@example.co.jp" || !strings.Contains(got[0].Data, "From: <no-reply@anshin.example.jp>") {
		t.Errorf("recipients %v, message:\n%s", got[0].To, got[0].Data)
	}
	awaitStatus(t, srv.URL, flow, "sent")
	if len(sink.received()) != 1 {
		t.Fatalf("%d messages, want 1", len(sink.received()))
	}
}

func TestServeTwilioDriverAndReceipts(t *testing.T) {
	const sid, token = "AC00000000000000000000000000000001", "twilio-token-never-logged"
	var mu sync.Mutex
	var forms []url.Values
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" || user != sid || pass != token {
			http.Error(w, `{"code": 20003}`, http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid": "SM11111111111111111111111111111111", "status": "queued"}`)
	}))
	defer fake.Close()
	const public = "https://anshin.example.jp"
	env := testEnv(t, "ANSHIN_SMS_DRIVER", "twilio", "ANSHIN_TWILIO_ACCOUNT_SID", sid, "ANSHIN_TWILIO_AUTH_TOKEN", token,
		"ANSHIN_TWILIO_FROM", "+815011112222", "ANSHIN_TWILIO_BASE_URL", fake.URL, "ANSHIN_PUBLIC_URL", public,
		"ANSHIN_SECRET_KEY", testSecretKey)
	srv := startServe(t, env, "serve", "--demo")
	flow := apiIssue(t, srv.URL, demo.RepresentativeID, "sms")
	awaitStatus(t, srv.URL, flow, "sent")
	mu.Lock()
	if len(forms) != 1 || forms[0].Get("To") != "+819012345678" || forms[0].Get("StatusCallback") != public+delivery.TwilioStatusPath {
		t.Errorf("Twilio got %v", forms)
	} else if body := forms[0].Get("Body"); !regexp.MustCompile(`\n\n@anshin\.example\.jp #\d{8}$`).MatchString(body) || utf8.RuneCountInString(body) > delivery.SMSMaxUCS2 {
		t.Errorf("the key SMS %q does not end with the origin-bound line in one message", body)
	}
	mu.Unlock()

	callback := func(form url.Values, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+delivery.TwilioStatusPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	receipt := url.Values{"MessageSid": {"SM11111111111111111111111111111111"}, "MessageStatus": {"delivered"}, "AccountSid": {sid}}
	if code := callback(receipt, delivery.TwilioSignature("not-the-token", public+delivery.TwilioStatusPath, receipt)); code != http.StatusUnauthorized {
		t.Fatalf("a forged receipt: HTTP %d, want 401", code)
	}
	if st := deliveryStatuses(t, srv.URL, flow); st[0] != "sent" {
		t.Fatalf("a forged receipt changed the status to %s", st[0])
	}
	if code := callback(receipt, delivery.TwilioSignature(token, public+delivery.TwilioStatusPath, receipt)); code != http.StatusNoContent {
		t.Fatalf("a signed receipt: HTTP %d, want 204", code)
	}
	awaitStatus(t, srv.URL, flow, "delivered")
	if err := srv.Stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(srv.Stderr.String(), token) || strings.Contains(srv.Stdout.String(), token) {
		t.Fatal("the Twilio token is in the log")
	}
}

func TestServeRefusesBadDeliveryConfiguration(t *testing.T) {
	for _, c := range []struct {
		env    []string
		name   string
		secret string
	}{
		{[]string{"ANSHIN_SMTP_URL", "smtp://user:hunter2-secret@"}, "ANSHIN_SMTP_URL", "hunter2-secret"},
		{[]string{"ANSHIN_SMTP_URL", "imap://user:hunter2-secret@mail.example.jp"}, "ANSHIN_SMTP_URL", "hunter2-secret"},
		{[]string{"ANSHIN_SMS_DRIVER", "carrier-pigeon"}, "ANSHIN_SMS_DRIVER", ""},
		{[]string{"ANSHIN_SMS_DRIVER", "twilio", "ANSHIN_TWILIO_ACCOUNT_SID", "AC1", "ANSHIN_TWILIO_FROM", "+815011112222"}, "ANSHIN_TWILIO_AUTH_TOKEN", ""},
		{[]string{"ANSHIN_SMS_DRIVER", "twilio", "ANSHIN_TWILIO_AUTH_TOKEN", "tw-secret-token"}, "ANSHIN_TWILIO_ACCOUNT_SID", "tw-secret-token"},
		{[]string{"ANSHIN_SMS_DRIVER", "webhook", "ANSHIN_SMS_WEBHOOK_URL", "https://sms.example.jp/send", "ANSHIN_SMS_WEBHOOK_SECRET", "short"}, "ANSHIN_SMS_WEBHOOK_SECRET", ""},
		{[]string{"ANSHIN_SMS_DRIVER", "webhook"}, "ANSHIN_SMS_WEBHOOK_URL", ""},
		{[]string{"ANSHIN_PUBLIC_URL", "anshin.example.jp"}, "ANSHIN_PUBLIC_URL", ""},
	} {
		env := testEnv(t, append(c.env, "ANSHIN_SECRET_KEY", testSecretKey)...)
		_, stderr, err := runCommand(t, env, "", "serve")
		if err == nil || !strings.Contains(err.Error(), c.name+":") {
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.name)
			continue
		}
		if c.secret != "" && (strings.Contains(err.Error(), c.secret) || strings.Contains(stderr, c.secret)) {
			t.Errorf("%v: the error shows the secret: %v", c.env, err)
		}
	}
}

// A password in ANSHIN_SMTP_URL appears neither in the start-up log nor in
// the log of a failed attempt (this server offers no AUTH at all).
func TestServeNeverLogsTheSMTPPassword(t *testing.T) {
	sink := newMailSink(t, "")
	const password = "pw-never-logged-4711"
	env := testEnv(t, "ANSHIN_SMTP_URL", "smtp://anshin:"+password+"@"+sink.Addr, "ANSHIN_SECRET_KEY", testSecretKey)
	srv := startServe(t, env, "serve", "--demo")
	apiIssue(t, srv.URL, demo.RepresentativeID, "email")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(srv.Stderr.String(), "outbox: delivery") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatal(err)
	}
	log := srv.Stderr.String() + srv.Stdout.String()
	if !strings.Contains(log, "outbox: delivery") || !strings.Contains(log, "smtp://anshin:xxxxx@") {
		t.Fatalf("the log lacks the attempt or the redacted URL:\n%s", log)
	}
	if strings.Contains(log, password) {
		t.Fatalf("the SMTP password is in the log:\n%s", log)
	}
	if len(sink.received()) != 0 {
		t.Fatal("mail went out without the AUTH the URL asks for")
	}
}
