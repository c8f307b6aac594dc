package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// notice is one お知らせメール before it is sealed into the outbox.
type notice struct {
	to      string // administrator e-mail; empty: nobody to tell
	subject string
	body    string
}

// notices are the texts of the notification e-mails, per language; %s
// placeholders are filled in the order of the call.
var notices = map[string]map[string][2]string{
	"ja": {
		"admin_added":            {"【anshin】管理者に登録されました", "%s の管理者として登録されました（管理番号 %s）。\n初回ログインでは、登録した管理者から伝えられた初回認証パスワードを入力してください。\n"},
		"admin_updated":          {"【anshin】管理者情報が変更されました", "管理番号 %s のあなたの管理者情報（%s）が変更されました。\nお心当たりのない場合は代表管理者にお知らせください。\n"},
		"admin_deleted":          {"【anshin】管理者の登録が削除されました", "管理番号 %s の管理者からあなたの登録が削除されました。\nこのグループの管理画面にはログインできなくなります。\n"},
		"initial_password_reset": {"【anshin】初回認証パスワードが再設定されました", "管理番号 %s のあなたの初回認証パスワードが代表管理者により再設定されました。\n次回ログイン時に、新しい初回認証パスワードを入力してください。\n"},
		"mail_state_cleared":     {"【anshin】メール通知不可が解除されました", "管理番号 %s で、このアドレス（%s）のメール通知不可が解除されました。\nこのアドレスに再びワンタイムキーとお知らせメールが届きます。\n"},
		"clomo_changed":          {"【anshin】CLOMO 情報が変更されました", "管理番号 %s の CLOMO 情報（組織名: %s）が%sにより設定されました。\n"},
	},
	"en": {
		"admin_added":            {"[anshin] You were registered as an administrator", "You were registered as an administrator of %s (management number %s).\nAt your first login, enter the initial authentication password the registering administrator gave you.\n"},
		"admin_updated":          {"[anshin] Your administrator details changed", "Your administrator details in management number %s changed (%s).\nIf you did not expect this, tell your representative administrator.\n"},
		"admin_deleted":          {"[anshin] Your administrator registration was removed", "Your registration as an administrator of management number %s was removed.\nYou can no longer log in to this group's console.\n"},
		"initial_password_reset": {"[anshin] Your initial authentication password was reset", "The representative administrator reset your initial authentication password for management number %s.\nAt your next login, enter the new initial authentication password.\n"},
		"mail_state_cleared":     {"[anshin] Mail notification re-enabled", "In management number %s, the mail notification disabled state of this address (%s) was cleared.\nOne-time keys and notifications will be sent to it again.\n"},
		"clomo_changed":          {"[anshin] CLOMO settings changed", "The CLOMO settings of management number %s (organization: %s) were set by %s.\n"},
	},
}

// smsNotices are the texts of the notices also sent by SMS to the
// account's docomo line, for the changes that could redirect its one-time
// keys: each fits one SMS (70 characters in UCS-2). %s is the management
// number.
var smsNotices = map[string]map[string]string{
	"ja": {
		"admin_added":   "【anshin】管理番号%sの管理者に登録されました。心当たりがない場合は代表管理者にご連絡ください",
		"email_changed": "【anshin】管理番号%sで管理者メールアドレスが変更されました。心当たりがない場合は代表管理者にご連絡ください",
	},
	"en": {
		"admin_added":   "anshin: you were made an administrator of %s. Not you? Tell its representative.",
		"email_changed": "anshin: your admin e-mail in %s changed. Not you? Tell its representative.",
	},
}

// newNotices is one notice of kind per address.
func newNotices(lang, kind string, to []string, args ...any) []notice {
	if lang != "en" {
		lang = "ja"
	}
	t := notices[lang][kind]
	out := make([]notice, 0, len(to))
	for _, a := range to {
		out = append(out, notice{to: a, subject: t[0], body: fmt.Sprintf(t[1], args...)})
	}
	return out
}

// reach is where an administrator is told of a change in a group: the
// group's route (the administrator e-mail, or, when none is set, the
// account's contact e-mails), and any further addresses given.
func reach(adm *anshin.Administrator, acct *anshin.Account, emails ...string) []string {
	return append(slices.Clone(adm.Route(acct)), emails...)
}

// everyRoute is every address on the routes of the account's groups
// (SPEC §2 step 4): where a change that could redirect the account's keys
// is told, so that the account's own addresses hear of it, not only the
// address someone typed.
func everyRoute(tx anshin.Tx, acct *anshin.Account) ([]string, error) {
	admins, err := tx.AdministratorsOfAccount(acct.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range anshin.EmailScopes(acct, admins) {
		out = append(out, a.Address)
	}
	return out, nil
}

// sendSMS queues a notice by SMS to the account's docomo line, if it has
// one; it reports how many were queued.
func (s *Service) sendSMS(tx anshin.Tx, lang, kind string, acct *anshin.Account, managementNumber string) (int, error) {
	if acct.CarrierFree() {
		return 0, nil
	}
	if lang != "en" {
		lang = "ja"
	}
	payload, err := json.Marshal(anshin.NotificationPayload{Body: fmt.Sprintf(smsNotices[lang][kind], managementNumber)})
	if err != nil {
		return 0, err
	}
	now := s.now()
	return 1, tx.EnqueueDelivery(&anshin.Delivery{ID: secret.NewID(), Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodSMS, Recipient: acct.DocomoLine,
		Lang: lang, Payload: s.keys.Seal(payload), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
}

// send queues the notices in tx, skipping empty and メール通知不可 addresses
// and sending one message per address. It reports how many were queued.
func (s *Service) send(tx anshin.Tx, lang string, list ...notice) (int, error) {
	var addrs []string
	for _, n := range list {
		if n.to != "" {
			addrs = append(addrs, n.to)
		}
	}
	if len(addrs) == 0 {
		return 0, nil
	}
	off, err := tx.MailNotificationDisabled(addrs)
	if err != nil {
		return 0, err
	}
	now := s.now()
	seen := map[string]bool{}
	queued := 0
	for _, n := range list {
		k := strings.ToLower(n.to)
		if n.to == "" || seen[k] || off[n.to] || off[k] {
			continue
		}
		seen[k] = true
		payload, err := json.Marshal(anshin.NotificationPayload{Subject: n.subject, Body: n.body})
		if err != nil {
			return queued, err
		}
		d := &anshin.Delivery{ID: secret.NewID(), Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail, Recipient: n.to,
			Lang: lang, Payload: s.keys.Seal(payload), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.EnqueueDelivery(d); err != nil {
			return queued, err
		}
		queued++
	}
	return queued, nil
}
