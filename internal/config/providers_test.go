package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestProvidersOffByDefault(t *testing.T) {
	c, err := Load(env(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Providers
	if len(p.SESTopicARNs) != 0 || p.SendGridKey != nil || strings.Join(p.SESCertHosts, ",") != "sns.*.amazonaws.com" || p.SendGridMaxAge != 10*time.Minute ||
		p.MailgunKey != nil || p.MailgunMaxAge != 10*time.Minute || p.PostmarkUser != "" || p.PostmarkPassword != "" {
		t.Errorf("provider defaults: %+v", p)
	}
}

func TestProvidersConfigured(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	for _, encoded := range []string{base64.StdEncoding.EncodeToString(der), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))} {
		c, err := Load(env(map[string]string{
			"ANSHIN_SES_SNS_TOPIC_ARN":           "arn:aws:sns:ap-northeast-1:123456789012:anshin-ses, arn:aws-cn:sns:cn-north-1:123456789012:b",
			"ANSHIN_SES_SNS_CERT_HOST":           "sns.*.amazonaws.com,SNS.*.amazonaws.com.cn",
			"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY": encoded,
			"ANSHIN_SENDGRID_WEBHOOK_MAX_AGE":    "5m",
			"ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY": " key-3ax6xnjp29jd6fds4gc373sgvjxteol0 ",
			"ANSHIN_MAILGUN_WEBHOOK_MAX_AGE":     "2m",
			"ANSHIN_POSTMARK_WEBHOOK_USER":       "postmark",
			"ANSHIN_POSTMARK_WEBHOOK_PASSWORD":   "7Jq2-pX9s!vR4wLm",
		}), false)
		if err != nil {
			t.Fatal(err)
		}
		p := c.Providers
		if len(p.SESTopicARNs) != 2 || p.SESCertHosts[1] != "sns.*.amazonaws.com.cn" || p.SendGridKey == nil || !p.SendGridKey.Equal(&key.PublicKey) || p.SendGridMaxAge != 5*time.Minute ||
			string(p.MailgunKey) != "key-3ax6xnjp29jd6fds4gc373sgvjxteol0" || p.MailgunMaxAge != 2*time.Minute ||
			p.PostmarkUser != "postmark" || p.PostmarkPassword != "7Jq2-pX9s!vR4wLm" {
			t.Errorf("providers: %+v", p)
		}
	}
}

func TestProvidersBadValuesNameTheirVariable(t *testing.T) {
	rsaLike := base64.StdEncoding.EncodeToString([]byte("not a key"))
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for _, tc := range []struct{ name, value string }{
		{"ANSHIN_SES_SNS_TOPIC_ARN", "anshin-ses"},
		{"ANSHIN_SES_SNS_TOPIC_ARN", "arn:aws:sqs:ap-northeast-1:123456789012:q"},
		{"ANSHIN_SES_SNS_CERT_HOST", "*"},
		{"ANSHIN_SES_SNS_CERT_HOST", "sns.*.*"},
		{"ANSHIN_SES_SNS_CERT_HOST", "sns.amazonaws.*"},
		{"ANSHIN_SES_SNS_CERT_HOST", "https://sns.us-east-1.amazonaws.com"},
		{"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", rsaLike},
		{"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", "%%%"},
		{"ANSHIN_SENDGRID_WEBHOOK_PUBLIC_KEY", base64.StdEncoding.EncodeToString(der384)},
		{"ANSHIN_SENDGRID_WEBHOOK_MAX_AGE", "10s"},
		{"ANSHIN_SENDGRID_WEBHOOK_MAX_AGE", "soon"},
		{"ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY", "short"},
		{"ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY", "key-3ax6xnjp29 jd6fds4gc373sgvjxteol0"},
		{"ANSHIN_MAILGUN_WEBHOOK_MAX_AGE", "73h"},
		{"ANSHIN_MAILGUN_WEBHOOK_MAX_AGE", "10"},
		{"ANSHIN_POSTMARK_WEBHOOK_USER", "postmark"}, // without a password
		{"ANSHIN_POSTMARK_WEBHOOK_PASSWORD", "7Jq2-pX9s!vR4wLm"},
	} {
		_, err := Load(env(map[string]string{tc.name: tc.value}), false)
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%s: %v", tc.name, tc.value, err)
		}
	}
	_, err := Load(env(map[string]string{"ANSHIN_MAILGUN_WEBHOOK_SIGNING_KEY": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
		"ANSHIN_MAILGUN_WEBHOOK_MAX_AGE": "72h", "ANSHIN_RETENTION": "100h"}), false)
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_MAILGUN_WEBHOOK_MAX_AGE") {
		t.Errorf("tokens purged within their window: %v", err)
	}
	for _, tc := range []struct{ user, password, bad string }{
		{"post:mark", "7Jq2-pX9s!vR4wLm", "ANSHIN_POSTMARK_WEBHOOK_USER"},
		{"post mark", "7Jq2-pX9s!vR4wLm", "ANSHIN_POSTMARK_WEBHOOK_USER"},
		{"postmark", "short-password", "ANSHIN_POSTMARK_WEBHOOK_PASSWORD"},
		{"postmark", "7Jq2-pX9s vR4wLm-more", "ANSHIN_POSTMARK_WEBHOOK_PASSWORD"},
		{"postmark", "パスワードパスワードパスワードパスワード", "ANSHIN_POSTMARK_WEBHOOK_PASSWORD"},
	} {
		_, err := Load(env(map[string]string{"ANSHIN_POSTMARK_WEBHOOK_USER": tc.user, "ANSHIN_POSTMARK_WEBHOOK_PASSWORD": tc.password}), false)
		if err == nil || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%q %q: %v", tc.user, tc.password, err)
		}
	}
}
