package console

import (
	"context"

	"github.com/anshin/anshin/internal/anshin"
)

// The role rules (SPEC §4): each says why the viewer may not, or nil.

// MayAdd reports whether the viewer may add administrators to the group.
func MayAdd(viewer *anshin.Administrator) bool {
	return representativeOnly(viewer, "add administrators") == nil
}

func representativeOnly(viewer *anshin.Administrator, what string) error {
	if viewer.Role != anshin.RoleRepresentative {
		return forbidden("only the representative administrator may %s", what)
	}
	return nil
}

// mayRename: SPEC §3 lets any administrator of the group fix another's
// e-mail (the remedy for メール通知不可); names stay with the
// representative and the administrator themselves.
func mayRename(viewer, target *anshin.Administrator) error {
	if viewer.Role != anshin.RoleRepresentative && target.AccountID != viewer.AccountID {
		return forbidden("an admin may change another administrator's e-mail, not their name")
	}
	return nil
}

func mayDelete(viewer, target *anshin.Administrator) error {
	if err := representativeOnly(viewer, "delete administrators"); err != nil {
		return err
	}
	switch {
	case target.AccountID == viewer.AccountID:
		return forbidden("you cannot delete yourself")
	case target.Role == anshin.RoleRepresentative:
		return forbidden("the representative administrator cannot be deleted")
	}
	return nil
}

func mayReset(viewer, target *anshin.Administrator) error {
	if err := representativeOnly(viewer, "reset initial authentication passwords"); err != nil {
		return err
	}
	if target.Role == anshin.RoleRepresentative {
		return forbidden("the representative administrator has no initial authentication password")
	}
	return nil
}

// checkRepresentative checks the actor's role before a hash is spent on a
// request that must fail (the transaction checks again).
func (s *Service) checkRepresentative(ctx context.Context, a Actor, what string) error {
	return s.store.View(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		return representativeOnly(m, what)
	})
}

// representativeOver loads the administrator loginID for a change only the
// representative may make (what), and which may allows on them.
func representativeOver(tx anshin.Tx, a Actor, loginID, what string, may func(viewer, target *anshin.Administrator) error) (*anshin.Administrator, *anshin.Account, error) {
	m, err := me(tx, a)
	if err != nil {
		return nil, nil, err
	}
	if err := representativeOnly(m, what); err != nil {
		return nil, nil, err
	}
	t, acct, err := target(tx, a.GroupID, loginID)
	if err != nil {
		return nil, nil, err
	}
	if err := may(m, t); err != nil {
		return nil, nil, err
	}
	return t, acct, nil
}
