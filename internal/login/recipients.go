package login

import (
	"strings"

	"github.com/anshin/anshin/internal/anshin"
)

// Recipients is where an e-mail key goes (SPEC §2 step 4).
type Recipients struct {
	To      []string // addresses the key is sent to
	Skipped []string // addresses in the mail notification disabled state
}

// EmailRecipients applies the rule of SPEC §2 step 4: the administrator
// e-mail of every group the account administers; when no group has one,
// every contact e-mail of the account. Duplicates (ignoring case) count
// once.
func EmailRecipients(acct *anshin.Account, admins []*anshin.Administrator) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		k := strings.ToLower(a)
		if a != "" && !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, a := range admins {
		add(a.Email)
	}
	if len(out) == 0 {
		for _, a := range acct.ContactEmails {
			add(a)
		}
	}
	return out
}

// emailRecipients splits the rule's addresses by the disabled state.
func emailRecipients(tx anshin.Tx, acct *anshin.Account, admins []*anshin.Administrator) (Recipients, error) {
	all := EmailRecipients(acct, admins)
	disabled, err := tx.Suppressed(all)
	if err != nil {
		return Recipients{}, err
	}
	r := Recipients{To: []string{}, Skipped: []string{}}
	for _, a := range all {
		if disabled[strings.ToLower(a)] {
			r.Skipped = append(r.Skipped, a)
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
		return &anshin.Error{Code: anshin.ECodeMailDisabled, Message: "every address is in the mail notification disabled state", Masked: maskAll(r.Skipped)}
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
