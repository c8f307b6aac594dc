package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	netsmtp "net/smtp"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/secret"
)

const testBounceDomain = "bounces.anshin.example.jp"

var bounceListening = regexp.MustCompile(`anshin bounce receiver listening on smtp://(\S+)\n`)

// bounceFixture is anshin serve --demo sending mail to a sink, with the
// bounce receiver and the webhook on, after demo-rep was sent one e-mail
// key: the VERP return path of that message is what bounces come back to.
type bounceFixture struct {
	srv        *runningServer
	env        map[string]string
	bounceAddr string
	returnPath string
	deliveryID string
	flow       string
}

func newBounceFixture(t *testing.T, extra ...string) *bounceFixture {
	t.Helper()
	sink := newMailSink(t, "")
	env := testEnv(t, append([]string{"ANSHIN_SMTP_URL", "smtp://" + sink.Addr, "ANSHIN_SECRET_KEY", testSecretKey,
		"ANSHIN_BOUNCE_DOMAIN", testBounceDomain, "ANSHIN_BOUNCE_SMTP_ADDR", "127.0.0.1:0",
		"ANSHIN_BOUNCE_WEBHOOK_TOKEN", "bounce-webhook-token-0123456789"}, extra...)...)
	srv := startServe(t, env, "serve", "--demo")
	m := bounceListening.FindStringSubmatch(srv.Stdout.String())
	if m == nil {
		t.Fatalf("no bounce receiver in:\n%s", srv.Stdout)
	}
	f := &bounceFixture{srv: srv, env: env, bounceAddr: m[1]}
	f.flow = apiIssue(t, srv.URL, demo.RepresentativeID, "email")
	f.returnPath = sink.await(t, 1)[0].From
	awaitStatus(t, srv.URL, f.flow, "sent")
	keys, _ := secret.NewKeyring([]byte(testSecretKey))
	id, err := delivery.ParseVERP(keys, f.returnPath, testBounceDomain)
	if err != nil {
		t.Fatal(err)
	}
	f.deliveryID = id
	return f
}

// corpusMessage is a message of the bounce corpus addressed to the demo
// representative's e-mail and returned to returnPath.
func corpusMessage(t *testing.T, name, returnPath string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../internal/bounce/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("taro@example.jp"), []byte("yamada.taro@example.co.jp"))
	return bytes.ReplaceAll(raw, []byte("b-4f3a9c0d2e1b5a6978c0d1e2f3a4b5c6-0a1b2c3d4e5f60718293@bounces.example.jp"), []byte(returnPath))
}

// issueEmailKey runs a new login of demo-rep up to an e-mail key and
// returns the HTTP status and error code of the issuance.
func issueEmailKey(t *testing.T, base string) (int, string) {
	t.Helper()
	post := func(path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	_, start := post("/api/v1/login", map[string]string{"login_id": demo.RepresentativeID})
	flow, _ := start["flow_id"].(string)
	post("/api/v1/login/"+flow+"/password", map[string]string{"password": demo.Password})
	status, out := post("/api/v1/login/"+flow+"/one-time-key", map[string]string{"method": "email"})
	code := ""
	if e, ok := out["error"].(map[string]any); ok {
		code, _ = e["code"].(string)
	}
	return status, code
}

func sendBounce(t *testing.T, addr, rcpt string, raw []byte) error {
	t.Helper()
	c, err := netsmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(""); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	w.Write(raw)
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestServeBounceReceiverDisablesTheAddress(t *testing.T) {
	f := newBounceFixture(t)
	// A forged return path is refused at RCPT and changes nothing.
	// Another delivery ID under the same signature: change its last digit.
	last := f.deliveryID[len(f.deliveryID)-1]
	other := "0"
	if last == '0' {
		other = "1"
	}
	forged := strings.Replace(f.returnPath, "b-"+f.deliveryID, "b-"+f.deliveryID[:len(f.deliveryID)-1]+other, 1)
	if err := sendBounce(t, f.bounceAddr, forged, corpusMessage(t, "dsn_postfix_511_user_unknown.eml", forged)); err == nil || !strings.HasPrefix(err.Error(), "550") {
		t.Fatalf("forged return path: %v, want 550", err)
	}
	// An auto-reply is accepted but is no bounce.
	if err := sendBounce(t, f.bounceAddr, f.returnPath, corpusMessage(t, "autoreply_auto_submitted.eml", f.returnPath)); err != nil {
		t.Fatal(err)
	}
	if status, code := issueEmailKey(t, f.srv.URL); status != http.StatusOK {
		t.Fatalf("after an auto-reply the key was refused: %d %s", status, code)
	}
	// A DSN saying 5.1.1 for the recipient disables the address.
	if err := sendBounce(t, f.bounceAddr, f.returnPath, corpusMessage(t, "dsn_postfix_511_user_unknown.eml", f.returnPath)); err != nil {
		t.Fatal(err)
	}
	awaitStatus(t, f.srv.URL, f.flow, "bounced")
	if status, code := issueEmailKey(t, f.srv.URL); status != http.StatusUnprocessableEntity || code != "mail_notification_disabled" {
		t.Fatalf("e-mail key after the bounce: %d %s, want 422 mail_notification_disabled", status, code)
	}
}

func TestBounceIngestExitStatus(t *testing.T) {
	f := newBounceFixture(t)
	ingest := func(stdin []byte, args ...string) (string, int) {
		t.Helper()
		out, _, err := runCommand(t, f.env, string(stdin), append([]string{"bounce", "ingest"}, args...)...)
		if err == nil {
			return out, 0
		}
		return out, exitCode(err)
	}
	if _, code := ingest(corpusMessage(t, "autoreply_vacation_jp_iso2022jp.eml", f.returnPath)); code != exitBounceNotBounce {
		t.Errorf("auto-reply: exit %d, want %d", code, exitBounceNotBounce)
	}
	forged := "b-" + f.deliveryID + "-00000000000000000000@" + testBounceDomain
	if _, code := ingest(corpusMessage(t, "dsn_postfix_511_user_unknown.eml", forged)); code != exitBounceForged {
		t.Errorf("forged, from the headers: exit %d, want %d", code, exitBounceForged)
	}
	if _, code := ingest(corpusMessage(t, "dsn_postfix_511_user_unknown.eml", f.returnPath), "--rcpt", forged); code != exitBounceForged {
		t.Errorf("forged --rcpt: exit %d, want %d", code, exitBounceForged)
	}
	if status, _ := issueEmailKey(t, f.srv.URL); status != http.StatusOK {
		t.Fatalf("an auto-reply or a forged bounce disabled the address: %d", status)
	}
	out, code := ingest(corpusMessage(t, "exim_user_unknown.eml", f.returnPath), "--rcpt", f.returnPath)
	if code != 0 || !strings.Contains(out, `"disabled":true`) {
		t.Fatalf("exim bounce: exit %d, output %s", code, out)
	}
	// Again, the recipient found in the headers: a duplicate, still 0.
	out, code = ingest(corpusMessage(t, "exim_user_unknown.eml", f.returnPath))
	if code != 0 || !strings.Contains(out, `"duplicate":true`) {
		t.Fatalf("repeat: exit %d, output %s", code, out)
	}
	if status, code := issueEmailKey(t, f.srv.URL); status != http.StatusUnprocessableEntity || code != "mail_notification_disabled" {
		t.Fatalf("e-mail key after ingest: %d %s", status, code)
	}
	if _, _, err := runCommand(t, f.env, "", "bounce", "digest"); exitCode(err) != 2 {
		t.Errorf("unknown subcommand: %v", err)
	}
}

func TestBounceWebhook(t *testing.T) {
	f := newBounceFixture(t)
	call := func(token string, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v1/bounces", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	const token = "bounce-webhook-token-0123456789"
	event := func(fields string) string { return `{"events": [` + fields + `]}` }
	permanent := `{"return_path": "` + f.returnPath + `", "recipient": "yamada.taro@example.co.jp", "type": "bounce", "bounce_class": "permanent", "status": "5.1.1", "diagnostic": "550 5.1.1 user unknown"}`

	if status, _ := call("", event(permanent)); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, _ := call("wrong-token-wrong-token", event(permanent)); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", status)
	}
	// A bad event anywhere in the batch: nothing of it applies.
	if status, _ := call(token, `{"events": [`+permanent+`, {"delivery_id": "x", "type": "exploded"}]}`); status != http.StatusUnprocessableEntity {
		t.Errorf("bad type: %d", status)
	}
	for _, bad := range []string{`{}`, `{"events": []}`, `{"events": "x"}`, `not json`, event(`{"type": "bounce"}`)} {
		if status, out := call(token, bad); status/100 != 4 {
			t.Errorf("%s: %d %v", bad, status, out)
		}
	}
	if status, _ := issueEmailKey(t, f.srv.URL); status != http.StatusOK {
		t.Fatal("a refused batch changed state")
	}
	// Policy says nothing about the address; another recipient neither;
	// an unknown delivery is reported, not applied.
	status, out := call(token, event(`{"delivery_id": "`+f.deliveryID+`", "type": "bounce", "bounce_class": "permanent", "status": "5.7.1", "diagnostic": "rejected as spam"},
		{"delivery_id": "`+f.deliveryID+`", "recipient": "someone.else@example.co.jp", "type": "bounce", "status": "5.1.1"},
		{"delivery_id": "nosuchdelivery", "type": "bounce", "status": "5.1.1"},
		{"return_path": "b-`+f.deliveryID+`-00000000000000000000@`+testBounceDomain+`", "type": "bounce", "status": "5.1.1"}`))
	results, _ := out["results"].([]any)
	if status != http.StatusOK || len(results) != 4 {
		t.Fatalf("%d %v", status, out)
	}
	for i, want := range []string{`"reason":"policy"`, `"reason":"other_recipient"`, `"error":"unknown_delivery"`, `"error":"unknown_delivery"`} {
		b, _ := json.Marshal(results[i])
		if !strings.Contains(string(b), want) || strings.Contains(string(b), `"disabled":true`) {
			t.Errorf("result %d: %s, want %s", i, b, want)
		}
	}
	if status, _ := issueEmailKey(t, f.srv.URL); status != http.StatusOK {
		t.Fatal("a policy rejection or a forged event disabled the address")
	}
	status, out = call(token, event(permanent))
	b, _ := json.Marshal(out)
	if status != http.StatusOK || !strings.Contains(string(b), `"disabled":true`) {
		t.Fatalf("permanent: %d %s", status, b)
	}
	if status, code := issueEmailKey(t, f.srv.URL); code != "mail_notification_disabled" {
		t.Fatalf("e-mail key after the webhook: %d %s", status, code)
	}
}

// A key mail refused by the recipient's receiving settings: the address
// stays usable, and the key page and the API say why the mail bounced and
// what to do.
func TestBouncedKeyMailSaysWhy(t *testing.T) {
	f := newBounceFixture(t)
	raw := bytes.ReplaceAll(corpusMessage(t, "jp_carrier_reject_iso2022jp.eml", f.returnPath),
		[]byte("taro@softbank.example.ne.jp"), []byte("yamada.taro@example.co.jp"))
	if err := sendBounce(t, f.bounceAddr, f.returnPath, raw); err != nil {
		t.Fatal(err)
	}
	awaitStatus(t, f.srv.URL, f.flow, "bounced")
	resp, err := http.Get(f.srv.URL + "/api/v1/login/" + f.flow + "/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Deliveries []map[string]string `json:"deliveries"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if len(out.Deliveries) != 1 || out.Deliveries[0]["bounce_reason"] != "filtered" {
		t.Fatalf("deliveries %v, want one bounced with bounce_reason filtered", out.Deliveries)
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/login/key", nil)
	req.AddCookie(&http.Cookie{Name: "anshin_flow", Value: f.flow})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"配信不能: 受信側の設定", "受信設定（指定受信・迷惑メールフィルター）を変更"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the key page lacks %q", want)
		}
	}
	if status, code := issueEmailKey(t, f.srv.URL); status != http.StatusOK {
		t.Errorf("a receiving-setting refusal disabled the address: %d %s", status, code)
	}
}
