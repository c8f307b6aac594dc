package delivery

import (
	"bytes"
	"fmt"

	"github.com/anshin/anshin/internal/anshin"
)

// Notice is a console notification (お知らせ) before it is written: its
// kind names the texts in templates/notice.<lang>.txt, the rest fills them.
type Notice struct {
	Kind             string // admin_added, admin_updated, admin_deleted, initial_password_reset, mail_state_cleared, clomo_changed, passkey_added, passkey_deleted (Changed: its name); by SMS admin_added, email_changed
	ManagementNumber string
	Organization     string // the organization name, or the management number without one
	Changed          string // admin_updated: what changed
	Addresses        string // mail_state_cleared: the addresses cleared
	By               string // clomo_changed: who set it
}

// NoticeText writes n in lang (Japanese unless "en") for channel: a subject
// and a body by e-mail, a body alone by SMS. It is written when the notice
// is queued, so the sealed payload holds the text as sent.
func NoticeText(lang string, channel anshin.Method, n Notice) (anshin.NotificationPayload, error) {
	if lang != "en" {
		lang = "ja"
	}
	run := func(part string) (string, error) {
		var b bytes.Buffer
		if err := textTemplates.ExecuteTemplate(&b, lang+"."+n.Kind+"."+part, n); err != nil {
			return "", fmt.Errorf("notice %s: %w", n.Kind, err)
		}
		return b.String(), nil
	}
	var p anshin.NotificationPayload
	var err error
	if channel == anshin.MethodSMS {
		p.Body, err = run("sms")
		return p, err
	}
	if p.Subject, err = run("subject"); err != nil {
		return p, err
	}
	p.Body, err = run("body")
	return p, err
}
