package console

import (
	"context"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
)

// AdminEntry is one row of 管理者設定, with what the viewer may do to it
// (the role rules, decided here once; pages offer only those actions).
type AdminEntry struct {
	LoginID                  string `json:"login_id"`
	Name                     string `json:"name"`
	Role                     string `json:"role"`
	Email                    string `json:"email"`
	MailNotificationDisabled bool   `json:"mail_notification_disabled"`
	// MailNotificationDisabledAddresses are the addresses in that state:
	// the administrator e-mail, or, without one, the account's contact
	// e-mails it is mailed at.
	MailNotificationDisabledAddresses []string `json:"disabled_addresses"`
	FirstLoginDone                    bool     `json:"first_login_done"`
	Self                              bool     `json:"self"`

	CanRename bool `json:"-"` // the viewer may change the name (anyone may change the e-mail)
	CanReset  bool `json:"-"` // the viewer may reset the initial authentication password
	CanDelete bool `json:"-"` // the viewer may delete the administrator
}

func entry(a *anshin.Administrator, disabled []string, viewer *anshin.Administrator) AdminEntry {
	return AdminEntry{LoginID: a.LoginID, Name: a.Name, Role: string(a.Role), Email: a.Email,
		MailNotificationDisabled: len(disabled) > 0, MailNotificationDisabledAddresses: disabled,
		FirstLoginDone: !a.NeedsInitialPassword(), Self: a.AccountID == viewer.AccountID,
		CanRename: mayRename(viewer, a) == nil, CanReset: mayReset(viewer, a) == nil, CanDelete: mayDelete(viewer, a) == nil}
}

// mailNotificationDisabledAddresses lists where the administrator is mailed (as keys and
// notices go: the administrator e-mail, else the contact e-mails) that is
// in the mail notification disabled state.
func mailNotificationDisabledAddresses(tx anshin.Tx, adm *anshin.Administrator) ([]string, error) {
	var acct *anshin.Account
	if adm.Email == "" {
		var err error
		if acct, err = tx.AccountByID(adm.AccountID); err != nil {
			return nil, err
		}
	}
	addrs := reach(adm, acct)
	off, err := tx.MailNotificationDisabled(addrs)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, e := range addrs {
		if off[strings.ToLower(e)] {
			out = append(out, e)
		}
	}
	return out, nil
}

// Administrators lists the actor's group's administrators.
func (s *Service) Administrators(ctx context.Context, a Actor) ([]AdminEntry, error) {
	out := []AdminEntry{}
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		viewer, err := me(tx, a)
		if err != nil {
			return err
		}
		list, err := tx.GroupAdministrators(a.GroupID)
		if err != nil {
			return err
		}
		for _, adm := range list {
			disabled, err := mailNotificationDisabledAddresses(tx, adm)
			if err != nil {
				return err
			}
			out = append(out, entry(adm, disabled, viewer))
		}
		return nil
	})
	return out, err
}

// Administrator returns one administrator of the actor's group.
func (s *Service) Administrator(ctx context.Context, a Actor, loginID string) (AdminEntry, error) {
	var out AdminEntry
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		viewer, err := me(tx, a)
		if err != nil {
			return err
		}
		adm, _, err := target(tx, a.GroupID, loginID)
		if err != nil {
			return err
		}
		disabled, err := mailNotificationDisabledAddresses(tx, adm)
		if err != nil {
			return err
		}
		out = entry(adm, disabled, viewer)
		return nil
	})
	return out, err
}

// NewAdmin is what the representative enters to add an administrator.
type NewAdmin struct {
	LoginID         string `json:"login_id"`
	Name            string `json:"name"`
	Email           string `json:"email"`
	Role            string `json:"role"` // only "admin"; empty means admin
	InitialPassword string `json:"initial_password"`
}

// AdminEdit is what 管理者を編集する changes.
type AdminEdit struct {
	Name  string `json:"name"`
	Email string `json:"email"` // empty: no administrator e-mail
}

func (in NewAdmin) validate() (NewAdmin, error) {
	out := in
	var errs [4]error
	out.LoginID, errs[0] = login.CheckLoginID(in.LoginID)
	out.Name, errs[1] = anshin.CheckText("name", "name", in.Name, true)
	out.Email, errs[2] = anshin.CheckOptionalEmail("email", in.Email)
	switch in.Role {
	case "", string(anshin.RoleAdmin):
		out.Role = string(anshin.RoleAdmin)
	default:
		return out, anshin.FieldError("role", `the role must be "admin": a group has exactly one representative`)
	}
	if in.InitialPassword == "" {
		e := anshin.FieldError("initial_password", "the initial authentication password is required")
		e.Missing = true
		errs[3] = e
	} else {
		errs[3] = anshin.CheckInitialPassword("initial_password", in.InitialPassword)
	}
	return out, anshin.FieldErrors(errs[:]...)
}

// AddAdministrator registers an existing account as an admin of the
// actor's group with an initial authentication password; the first login
// stays pending until that password is given.
func (s *Service) AddAdministrator(ctx context.Context, a Actor, in NewAdmin) error {
	in, err := in.validate()
	if err != nil {
		return err
	}
	if err := s.checkRepresentative(ctx, a, "add administrators"); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.InitialPassword)
	if err != nil {
		return err
	}
	queued := 0
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		if err := representativeOnly(m, "add administrators"); err != nil {
			return err
		}
		acct, err := tx.AccountByLoginID(in.LoginID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return anshin.FieldError("login_id", "no account has this login ID")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Administrator(a.GroupID, acct.ID); err == nil {
			return &anshin.Error{Code: anshin.ECodeConflict, Field: "login_id", Message: "this account already administers the group"}
		} else if anshin.ErrorCode(err) != anshin.ECodeNotFound {
			return err
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.countAdd(tx, a.GroupID, now); err != nil {
			return err
		}
		adm := &anshin.Administrator{GroupID: a.GroupID, AccountID: acct.ID, Role: anshin.RoleAdmin, Name: in.Name, Email: in.Email,
			InitialPasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if err := tx.PutAdministrator(adm); err != nil {
			return err
		}
		// Told on every route of the account, not only at the address the
		// adder typed, and by SMS: the account's owner learns of a
		// registration they did not expect.
		to, err := everyRoute(tx, acct)
		if err != nil {
			return err
		}
		if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "admin_added", Organization: orgName(g), ManagementNumber: g.ManagementNumber}, to); err != nil {
			return err
		}
		n, err := s.sendSMS(tx, a.Lang, "admin_added", acct, g.ManagementNumber)
		if err != nil {
			return err
		}
		queued += n
		return s.audit(tx, a, anshin.AuditAdminAdded, map[string]any{"login_id": in.LoginID, "name": in.Name, "email": in.Email, "role": adm.Role})
	})
	s.wake(err, queued)
	return err
}

// AddsPerGroupHour bounds how many administrators one group may add in an
// hour: a stolen representative session cannot register accounts in bulk.
const AddsPerGroupHour = 20

// countAdd counts one addition to the group in the current hour's window,
// refusing past AddsPerGroupHour. The window is a throttle whose lock time
// is the window's end, so every instance shares the count.
func (s *Service) countAdd(tx anshin.Tx, groupID string, now time.Time) error {
	name := "admin-add:" + groupID
	n, end, err := tx.Throttle(name, now)
	if err != nil {
		return err
	}
	if n == 0 || !now.Before(end) {
		n, end = 0, now.Add(time.Hour)
	}
	if n >= AddsPerGroupHour {
		return &anshin.Error{Code: anshin.ECodeRateLimited, Message: "too many administrators added to this group in the last hour", RetryAt: end, Limit: "admin_adds_per_group"}
	}
	return tx.PutThrottle(name, n+1, end, end)
}

func (s *Service) wake(err error, queued int) {
	if err == nil && queued > 0 {
		s.notify()
	}
}

func orgName(g *anshin.ContractGroup) string {
	if g.CLOMO != nil {
		return g.CLOMO.OrganizationName
	}
	return g.ManagementNumber
}
