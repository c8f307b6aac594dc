package console

import (
	"context"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// UpdateAdministrator changes an administrator's name and e-mail. A
// changed e-mail is told at the old address, the new one, every other
// address on the account's routes and by SMS (SPEC §4), so a redirected
// key address cannot go unnoticed.
func (s *Service) UpdateAdministrator(ctx context.Context, a Actor, loginID string, in AdminEdit) error {
	name, err := anshin.CheckText("name", "name", in.Name, true)
	if err != nil {
		return err
	}
	email, err := anshin.CheckOptionalEmail("email", in.Email)
	if err != nil {
		return err
	}
	queued := 0
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		t, acct, err := target(tx, a.GroupID, loginID)
		if err != nil {
			return err
		}
		var changed []string
		if t.Name != name {
			if err := mayRename(m, t); err != nil {
				return err
			}
			changed = append(changed, "name")
		}
		if t.Email != email {
			changed = append(changed, "email")
		}
		if len(changed) == 0 {
			return nil
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		old := t.Email
		t.Name, t.Email, t.UpdatedAt = name, email, s.now()
		if err := tx.PutAdministrator(t); err != nil {
			return err
		}
		what := strings.Join(changed, ", ")
		to := reach(t, acct, old)
		if old != email {
			routes, err := everyRoute(tx, acct)
			if err != nil {
				return err
			}
			to = append(to, routes...)
		}
		if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "admin_updated", ManagementNumber: g.ManagementNumber, Changed: what}, to); err != nil {
			return err
		}
		if old != email {
			n, err := s.sendSMS(tx, a.Lang, "email_changed", acct, g.ManagementNumber)
			if err != nil {
				return err
			}
			queued += n
		}
		return s.audit(tx, a, anshin.AuditAdminUpdated, map[string]any{"login_id": t.LoginID, "changed": changed, "name": name, "email": email, "old_email": old})
	})
	s.wake(err, queued)
	return err
}

// ClearMailNotificationDisabled clears メール通知不可 of the addresses an administrator is
// mailed at: the administrator e-mail, or, without one, the contact e-mails.
func (s *Service) ClearMailNotificationDisabled(ctx context.Context, a Actor, loginID string) error {
	queued := 0
	err := s.store.Update(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		t, _, err := target(tx, a.GroupID, loginID)
		if err != nil {
			return err
		}
		disabled, err := mailNotificationDisabledAddresses(tx, t)
		if err != nil {
			return err
		}
		if len(disabled) == 0 {
			return &anshin.Error{Code: anshin.ECodeConflict, Field: "email", Message: "no address of the administrator is in the mail notification disabled state"}
		}
		for _, addr := range disabled {
			if err := tx.ClearMailNotificationDisabled(addr); err != nil {
				return err
			}
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "mail_state_cleared", ManagementNumber: g.ManagementNumber, Addresses: strings.Join(disabled, ", ")}, disabled); err != nil {
			return err
		}
		detail := map[string]any{"login_id": t.LoginID, "address": disabled[0]}
		if len(disabled) > 1 {
			detail["addresses"] = disabled
		}
		return s.audit(tx, a, anshin.AuditMailNotificationDisabledCleared, detail)
	})
	s.wake(err, queued)
	return err
}

// DeleteAdministrator removes an admin from the actor's group. Their
// sessions in the group end at their next request, when the membership
// check fails.
func (s *Service) DeleteAdministrator(ctx context.Context, a Actor, loginID string) error {
	queued := 0
	err := s.store.Update(ctx, func(tx anshin.Tx) error {
		t, acct, err := representativeOver(tx, a, loginID, "delete administrators", mayDelete)
		if err != nil {
			return err
		}
		if err := tx.DeleteAdministrator(a.GroupID, t.AccountID); err != nil {
			return err
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "admin_deleted", ManagementNumber: g.ManagementNumber}, reach(t, acct)); err != nil {
			return err
		}
		return s.audit(tx, a, anshin.AuditAdminDeleted, map[string]any{"login_id": t.LoginID, "name": t.Name})
	})
	s.wake(err, queued)
	return err
}

// ResetInitialPassword gives an admin a new initial authentication
// password: their first login to the group is pending again and the
// failure count and lock are cleared.
func (s *Service) ResetInitialPassword(ctx context.Context, a Actor, loginID, password string) error {
	if password == "" {
		return anshin.FieldError("initial_password", "the initial authentication password is required")
	}
	if err := anshin.CheckInitialPassword("initial_password", password); err != nil {
		return err
	}
	if err := s.checkRepresentative(ctx, a, "reset initial authentication passwords"); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	queued := 0
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		t, acct, err := representativeOver(tx, a, loginID, "reset initial authentication passwords", mayReset)
		if err != nil {
			return err
		}
		t.ResetInitialPassword(hash, s.now())
		if err := tx.PutAdministrator(t); err != nil {
			return err
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "initial_password_reset", ManagementNumber: g.ManagementNumber}, reach(t, acct)); err != nil {
			return err
		}
		return s.audit(tx, a, anshin.AuditInitialPasswordReset, map[string]any{"login_id": t.LoginID})
	})
	s.wake(err, queued)
	return err
}
