package console

import (
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
