package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestProviderEndpointsFollowTheirVariables: anshin serve turns each
// sending service's endpoint on with its variable, and an unsigned post
// to it is then refused, not applied; without, the endpoint is off.
func TestProviderEndpointsFollowTheirVariables(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	post := func(url, path, body string) int {
		t.Helper()
		resp, err := http.Post(url+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	unsignedMailgun := `{"signature":{"timestamp":"1764064800","token":"t","signature":"00"},"event-data":{"event":"failed","id":"e1"}}`
	postmarkBounce := `{"RecordType":"Bounce","ID":42,"Type":"HardBounce","Email":"a@example.jp"}`
	unsignedSNS := `{"Type":"Notification","MessageId":"m1","TopicArn":"arn:aws:sns:ap-northeast-1:123456789012:anshin-ses","Message":"{}"}`

	off := startServe(t, testEnv(t), "serve", "--demo")
	if post(off.URL, "/api/v1/bounces/ses", unsignedSNS) != 404 || post(off.URL, "/api/v1/bounces/sendgrid", "[]") != 404 ||
		post(off.URL, "/api/v1/bounces/mailgun", unsignedMailgun) != 404 || post(off.URL, "/api/v1/bounces/postmark", postmarkBounce) != 404 {
		t.Error("an endpoint is on without its variable")
	}
	on := startServe(t, testEnv(t, "ANSHIN_SES_SNS_TOPIC_ARN", "arn:aws:sns:ap-northeast-1:123456789012:anshin-ses",
		"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", base64.StdEncoding.EncodeToString(der),
		"ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
		"ANSHIN_POSTMARK_WEBHOOK_USER", "postmark", "ANSHIN_POSTMARK_WEBHOOK_PASSWORD", "7Jq2-pX9s!vR4wLm"), "serve", "--demo")
	if got := post(on.URL, "/api/v1/bounces/ses", unsignedSNS); got != 401 {
		t.Errorf("an unsigned SNS message: %d, want 401", got)
	}
	if got := post(on.URL, "/api/v1/bounces/sendgrid", "[]"); got != 401 {
		t.Errorf("an unsigned SendGrid post: %d, want 401", got)
	}
	if got := post(on.URL, "/api/v1/bounces/mailgun", unsignedMailgun); got != 401 {
		t.Errorf("a Mailgun post with a wrong signature: %d, want 401", got)
	}
	if got := post(on.URL, "/api/v1/bounces/postmark", postmarkBounce); got != 401 {
		t.Errorf("a Postmark post without credentials: %d, want 401", got)
	}
}
