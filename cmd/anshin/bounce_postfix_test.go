package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/testenv"
)

// End to end with a real Postfix (scripts/services/postfix.sh): the key
// mail goes to an address of a local domain that has no such user, so
// Postfix itself bounces it with a DSN to the VERP return path and relays
// that to anshin's bounce receiver; the address is then disabled and the
// next e-mail key answers mail_notification_disabled.
func TestPostfixBounceDisablesTheAddress(t *testing.T) {
	relay := testenv.Require(t, testenv.PostfixAddr)
	receiver := testenv.Require(t, testenv.PostfixBounceAddr)
	const token = "operator-token-0123456789"
	env := testEnv(t, "ANSHIN_SMTP_URL", "smtp://"+relay, "ANSHIN_SECRET_KEY", testSecretKey,
		"ANSHIN_BOUNCE_DOMAIN", "bounces.anshin.test", "ANSHIN_BOUNCE_SMTP_ADDR", receiver,
		"ANSHIN_OPERATOR_TOKEN", token, "ANSHIN_MAIL_FROM", "anshin@anshin.test")
	srv := startServe(t, env, "serve", "--demo")

	// demo-rep's only address becomes one that does not exist.
	nobody := "nobody-" + secret.NewID()[:10] + "@nouser.anshin.test"
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/v1/operator/groups/"+demo.GroupAnshin+"/admins/"+demo.RepresentativeID,
		bytes.NewReader([]byte(`{"role": "representative", "name": "山田 太郎", "email": "`+nobody+`"}`)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("operator PUT admin: %d", resp.StatusCode)
	}

	flow := apiIssue(t, srv.URL, demo.RepresentativeID, "email")
	// Postfix accepts, bounces and relays the DSN; the delivery then turns
	// bounced. The wait is a failsafe, not a measurement.
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := deliveryStatuses(t, srv.URL, flow)
		if len(st) == 1 && st[0] == "bounced" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery statuses %v, want [bounced]\nstderr:\n%s", st, srv.Stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, code := issueEmailKey(t, srv.URL); status != http.StatusUnprocessableEntity || code != "mail_notification_disabled" {
		t.Fatalf("e-mail key after Postfix's bounce: %d %s, want 422 mail_notification_disabled", status, code)
	}
}
