package delivery_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// Every notice has its texts in both languages, filled in; an SMS notice
// fits one message.
func TestNoticeTexts(t *testing.T) {
	n := delivery.Notice{ManagementNumber: "N0000001", Organization: "株式会社アンシン", Changed: "email", Addresses: "a@example.jp", By: "山田 太郎"}
	for _, lang := range []string{"ja", "en"} {
		for _, kind := range []string{"admin_added", "admin_updated", "admin_deleted", "initial_password_reset", "mail_state_cleared", "clomo_changed", "passkey_added", "passkey_deleted"} {
			n.Kind = kind
			p, err := delivery.NoticeText(lang, anshin.MethodEmail, n)
			if err != nil || p.Subject == "" || !strings.Contains(p.Body, "N0000001") || strings.Contains(p.Body, "<no value>") {
				t.Errorf("%s %s: %+v, %v", lang, kind, p, err)
			}
		}
		limit := delivery.SMSMaxUCS2 // Japanese needs UCS-2
		if lang == "en" {
			limit = 160 // GSM 7-bit
		}
		for _, kind := range []string{"admin_added", "email_changed"} {
			n.Kind = kind
			p, err := delivery.NoticeText(lang, anshin.MethodSMS, n)
			if err != nil || p.Subject != "" || !strings.Contains(p.Body, "N0000001") || utf8.RuneCountInString(p.Body) > limit {
				t.Errorf("sms %s %s: %+v, %v", lang, kind, p, err)
			}
		}
	}
	if _, err := delivery.NoticeText("ja", anshin.MethodEmail, delivery.Notice{Kind: "no_such_notice"}); err == nil {
		t.Error("an unknown notice has a text")
	}
}
