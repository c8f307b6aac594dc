package console

import (
	"context"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
)

// CLOMOInput is what CLOMO 情報設定 sets: the same fields and rules as the
// operator API's.
type CLOMOInput = anshin.CLOMOEnvironment

// PutCLOMO creates or edits the CLOMO environment of the actor's group and
// reports whether it created it. Any administrator of the group may; the
// representative is told by e-mail.
func (s *Service) PutCLOMO(ctx context.Context, a Actor, in anshin.CLOMOEnvironment) (created bool, err error) {
	env, err := in.Normalize()
	if err != nil {
		return false, err
	}
	queued := 0
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		g, err := tx.Group(a.GroupID)
		if err != nil {
			return err
		}
		created = g.CLOMO == nil
		if !created && *g.CLOMO == env {
			return nil
		}
		if err := tx.PutCLOMO(a.GroupID, &env, s.now()); err != nil {
			return err
		}
		admins, err := tx.GroupAdministrators(a.GroupID)
		if err != nil {
			return err
		}
		for _, adm := range admins {
			if adm.Role == anshin.RoleRepresentative {
				acct, err := tx.AccountByID(adm.AccountID)
				if err != nil {
					return err
				}
				if queued, err = s.send(tx, a.Lang, delivery.Notice{Kind: "clomo_changed", ManagementNumber: g.ManagementNumber, Organization: env.OrganizationName, By: m.Name}, reach(adm, acct)); err != nil {
					return err
				}
			}
		}
		kind := anshin.AuditCLOMOUpdated
		if created {
			kind = anshin.AuditCLOMOCreated
		}
		return s.audit(tx, a, kind, map[string]any{"organization_name": env.OrganizationName, "contact_name": env.ContactName,
			"contact_email": env.ContactEmail, "time_zone": env.TimeZone})
	})
	s.wake(err, queued)
	return created && err == nil, err
}
