package login

import (
	"strings"

	"github.com/anshin/anshin/internal/anshin"
)

// Recipients is where e-mail keys go (SPEC §2 step 4): one key per address
// on the routes of the account's groups, each opening only the groups whose
// route holds that address.
type Recipients struct {
	To      []anshin.AddressScope // addresses a key is sent to, with its scope
	Skipped []string              // addresses in the mail notification disabled state
}

// emailRecipients applies the rule to the account and splits its
// addresses by the disabled state.
func emailRecipients(tx anshin.Tx, acct *anshin.Account, admins []*anshin.Administrator) (Recipients, error) {
	all := anshin.EmailScopes(acct, admins)
	addrs := make([]string, len(all))
	for i, a := range all {
		addrs[i] = a.Address
	}
	disabled, err := tx.MailNotificationDisabled(addrs)
	if err != nil {
		return Recipients{}, err
	}
	r := Recipients{To: []anshin.AddressScope{}, Skipped: []string{}}
	for _, a := range all {
		if disabled[strings.ToLower(a.Address)] {
			r.Skipped = append(r.Skipped, a.Address)
		} else {
			r.To = append(r.To, a)
		}
	}
	return r, nil
}

// problem is the issuance error for e-mail, if any (SPEC §2 step 3).
func (r Recipients) problem(admins []*anshin.Administrator) *anshin.Error {
	switch {
	case len(admins) == 0:
		return anshin.Errorf(anshin.ECodeNotRegistered, "the account administers no contract group")
	case len(r.To) == 0 && len(r.Skipped) == 0:
		return anshin.Errorf(anshin.ECodeEmailNotSet, "no e-mail address is set for the account")
	case len(r.To) == 0:
		return &anshin.Error{Code: anshin.ECodeMailNotificationDisabled, Message: "every address is in the mail notification disabled state", Masked: anshin.MaskEmails(r.Skipped)}
	}
	return nil
}

// smsProblem is the issuance error for SMS, if any.
func smsProblem(acct *anshin.Account, admins []*anshin.Administrator) *anshin.Error {
	switch {
	case len(admins) == 0:
		return anshin.Errorf(anshin.ECodeNotRegistered, "the account administers no contract group")
	case acct.CarrierFree():
		return anshin.Errorf(anshin.ECodeCarrierFree, "the account has no docomo line")
	}
	return nil
}

// groupIDs lists the groups the account administers: an SMS key's scope.
func groupIDs(admins []*anshin.Administrator) []string {
	out := make([]string, len(admins))
	for i, a := range admins {
		out[i] = a.GroupID
	}
	return out
}
