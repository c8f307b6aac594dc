package console

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
)

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

// sendSMS queues the notice of kind by SMS to the account's docomo line,
// if it has one; it reports how many were queued.
func (s *Service) sendSMS(tx anshin.Tx, lang, kind string, acct *anshin.Account, managementNumber string) (int, error) {
	if acct.CarrierFree() {
		return 0, nil
	}
	text, err := delivery.NoticeText(lang, anshin.MethodSMS, delivery.Notice{Kind: kind, ManagementNumber: managementNumber})
	if err != nil {
		return 0, err
	}
	return 1, s.enqueue(tx, lang, anshin.MethodSMS, acct.DocomoLine, text)
}

// send queues notice n by e-mail to each address of to, once each, skipping
// empty and メール通知不可 addresses. It reports how many were queued.
func (s *Service) send(tx anshin.Tx, lang string, n delivery.Notice, to []string) (int, error) {
	var addrs []string
	for _, a := range to {
		if a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return 0, nil
	}
	off, err := tx.MailNotificationDisabled(addrs)
	if err != nil {
		return 0, err
	}
	text, err := delivery.NoticeText(lang, anshin.MethodEmail, n)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	queued := 0
	for _, a := range addrs {
		k := strings.ToLower(a)
		if seen[k] || off[a] || off[k] {
			continue
		}
		seen[k] = true
		if err := s.enqueue(tx, lang, anshin.MethodEmail, a, text); err != nil {
			return queued, err
		}
		queued++
	}
	return queued, nil
}

// enqueue seals a notification's text into the outbox.
func (s *Service) enqueue(tx anshin.Tx, lang string, channel anshin.Method, to string, text anshin.NotificationPayload) error {
	if lang != "en" {
		lang = "ja"
	}
	payload, err := json.Marshal(text)
	if err != nil {
		return err
	}
	now := s.now()
	return tx.EnqueueDelivery(&anshin.Delivery{ID: secret.NewID(), Kind: anshin.DeliveryKindNotification, Channel: channel, Recipient: to,
		Lang: lang, Payload: s.keys.Seal(payload), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
}
