package storetest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func testGroups(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(group("g1")) })
	view(t, s, func(tx anshin.Tx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if g.ManagementNumber != "MN-g1" || g.Contract.Licenses != 10 || g.Contract.StartDate != "2026-01-01" || g.CLOMO != nil {
			t.Errorf("group read back as %+v", g)
		}
		_, err = tx.Group("nope")
		wantCode(t, err, anshin.ECodeNotFound)
		return nil
	})
	c := &anshin.CLOMOEnvironment{OrganizationName: "株式会社アンシン", ContactName: "山田", ContactEmail: "it@example.jp", TimeZone: "Asia/Tokyo"}
	update(t, s, func(tx anshin.Tx) error {
		wantCode(t, tx.PutCLOMO("nope", c, t0), anshin.ECodeNotFound)
		return tx.PutCLOMO("g1", c, t0.Add(time.Minute))
	})
	g2 := group("g1")
	g2.Contract.Status, g2.UpdatedAt = "suspended", t0.Add(2*time.Minute)
	update(t, s, func(tx anshin.Tx) error { return tx.PutGroup(g2) })
	view(t, s, func(tx anshin.Tx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if g.CLOMO == nil || *g.CLOMO != *c || g.Contract.Status != "suspended" {
			t.Errorf("group after CLOMO and replace: %+v %+v", g, g.CLOMO)
		}
		return nil
	})
	dup := group("g2")
	dup.ManagementNumber = "MN-g1"
	wantCode(t, s.Update(context.Background(), func(tx anshin.Tx) error { return tx.PutGroup(dup) }), anshin.ECodeConflict)
}

// testGroupWithItsAdministrators: a group read in the same statement as
// its administrator is the group as read alone, a fresh copy each time,
// and a write to it in the same transaction shows in the next read.
func testGroupWithItsAdministrators(t *testing.T, s anshin.Store) {
	c := &anshin.CLOMOEnvironment{OrganizationName: "株式会社アンシン", ContactName: "山田", ContactEmail: "it@example.jp", TimeZone: "Asia/Tokyo"}
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAccount(account("a1")); err != nil {
			return err
		}
		for _, id := range []string{"g1", "g2"} {
			if err := tx.PutGroup(group(id)); err != nil {
				return err
			}
			if err := tx.PutAdministrator(admin(id, "a1", anshin.RoleRepresentative)); err != nil {
				return err
			}
		}
		return tx.PutCLOMO("g2", c, t0.Add(time.Minute))
	})
	var alone []*anshin.ContractGroup
	view(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"g1", "g2"} {
			g, err := tx.Group(id)
			if err != nil {
				return err
			}
			alone = append(alone, g)
		}
		return nil
	})
	update(t, s, func(tx anshin.Tx) error {
		if _, err := tx.AdministratorsOfAccount("a1"); err != nil {
			return err
		}
		for i, id := range []string{"g1", "g2"} {
			g, err := tx.Group(id)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(g, alone[i]) {
				t.Errorf("%s read with its administrator: %+v, alone: %+v", id, g, alone[i])
			}
			g.ManagementNumber, g.CLOMO = "changed by the caller", nil
			if again, _ := tx.Group(id); !reflect.DeepEqual(again, alone[i]) {
				t.Errorf("%s changed by a caller of Group: %+v", id, again)
			}
		}
		// Each write to a group shows in the next read.
		if _, err := tx.Administrator("g1", "a1"); err != nil {
			return err
		}
		if err := tx.SetPasskeyRequired("g1", true, t0.Add(2*time.Minute)); err != nil {
			return err
		}
		if g, err := tx.Group("g1"); err != nil || !g.PasskeyRequired {
			t.Errorf("g1 after SetPasskeyRequired in the same transaction: %+v, %v", g, err)
		}
		tx.Administrator("g1", "a1")
		g2 := group("g1")
		g2.Contract.Status, g2.UpdatedAt = "suspended", t0.Add(3*time.Minute)
		if err := tx.PutGroup(g2); err != nil {
			return err
		}
		if g, err := tx.Group("g1"); err != nil || g.Contract.Status != "suspended" {
			t.Errorf("g1 after PutGroup in the same transaction: %+v, %v", g, err)
		}
		tx.AdministratorsOfAccount("a1")
		if err := tx.PutCLOMO("g1", c, t0.Add(4*time.Minute)); err != nil {
			return err
		}
		if g, err := tx.Group("g1"); err != nil || g.CLOMO == nil || *g.CLOMO != *c {
			t.Errorf("g1 after PutCLOMO in the same transaction: %+v, %v", g, err)
		}
		return nil
	})
}

func testAdministrators(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"a1", "a2", "a3"} {
			if err := tx.PutAccount(account(id)); err != nil {
				return err
			}
		}
		for _, id := range []string{"g1", "g2"} {
			if err := tx.PutGroup(group(id)); err != nil {
				return err
			}
		}
		for _, a := range []*anshin.Administrator{admin("g1", "a2", anshin.RoleAdmin), admin("g1", "a1", anshin.RoleRepresentative),
			admin("g1", "a3", anshin.RoleAdmin), admin("g2", "a1", anshin.RoleAdmin)} {
			if err := tx.PutAdministrator(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a2")
		if err != nil {
			return err
		}
		if a.LoginID != "login-a2" || a.Role != anshin.RoleAdmin || a.Email != "a2@admin.example.jp" || a.FirstLoginDone || !a.NeedsInitialPassword() {
			t.Errorf("administrator read back as %+v", a)
		}
		_, err = tx.Administrator("g2", "a2")
		wantCode(t, err, anshin.ECodeNotFound)
		list, err := tx.GroupAdministrators("g1")
		if err != nil {
			return err
		}
		// The representative first, then by login ID.
		if got := adminIDs(list); got != "a1,a2,a3" {
			t.Errorf("group administrators %s, want a1,a2,a3", got)
		}
		mine, err := tx.AdministratorsOfAccount("a1")
		if err != nil {
			return err
		}
		if got := groupIDs(mine); got != "g1,g2" {
			t.Errorf("administrators of a1 in %s, want g1,g2", got)
		}
		return nil
	})
	// A registration needs an existing account and group.
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutAdministrator(admin("g1", "ghost", anshin.RoleAdmin))
	})
	wantCode(t, err, anshin.ECodeNotFound)
	update(t, s, func(tx anshin.Tx) error {
		wantCode(t, tx.DeleteAdministrator("g2", "a3"), anshin.ECodeNotFound)
		return tx.DeleteAdministrator("g1", "a3")
	})
	view(t, s, func(tx anshin.Tx) error {
		list, err := tx.GroupAdministrators("g1")
		if got := adminIDs(list); err == nil && got != "a1,a2" {
			t.Errorf("after delete: %s", got)
		}
		return err
	})
}

func adminIDs(list []*anshin.Administrator) string {
	var ids []string
	for _, a := range list {
		ids = append(ids, a.AccountID)
	}
	return strings.Join(ids, ",")
}

func groupIDs(list []*anshin.Administrator) string {
	var ids []string
	for _, a := range list {
		ids = append(ids, a.GroupID)
	}
	return strings.Join(ids, ",")
}

func testOneRepresentative(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		for _, id := range []string{"a1", "a2"} {
			if err := tx.PutAccount(account(id)); err != nil {
				return err
			}
		}
		if err := tx.PutGroup(group("g1")); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a1", anshin.RoleRepresentative))
	})
	err := s.Update(context.Background(), func(tx anshin.Tx) error {
		return tx.PutAdministrator(admin("g1", "a2", anshin.RoleRepresentative))
	})
	wantCode(t, err, anshin.ECodeConflict)
	// Handing the role over in one transaction is fine.
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAdministrator(admin("g1", "a1", anshin.RoleAdmin)); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a2", anshin.RoleRepresentative))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a2")
		if err == nil && a.Role != anshin.RoleRepresentative {
			t.Errorf("a2 is %s after the hand-over", a.Role)
		}
		return err
	})
}

func testInitialPassword(t *testing.T, s anshin.Store) {
	update(t, s, func(tx anshin.Tx) error {
		if err := tx.PutAccount(account("a1")); err != nil {
			return err
		}
		if err := tx.PutGroup(group("g1")); err != nil {
			return err
		}
		return tx.PutAdministrator(admin("g1", "a1", anshin.RoleAdmin))
	})
	update(t, s, func(tx anshin.Tx) error {
		for want := 1; want <= 2; want++ {
			n, err := tx.RecordInitialPasswordFailure("g1", "a1")
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("initial password failure %d counted as %d", want, n)
			}
		}
		_, err := tx.RecordInitialPasswordFailure("g1", "ghost")
		wantCode(t, err, anshin.ECodeNotFound)
		return tx.LockInitialPassword("g1", "a1", t0.Add(time.Minute))
	})
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a1")
		if err == nil && (a.InitialPasswordFails != 2 || !a.InitialPasswordLocked.Equal(t0.Add(time.Minute))) {
			t.Errorf("after failures: %+v", a)
		}
		return err
	})
	update(t, s, func(tx anshin.Tx) error { return tx.CompleteFirstLogin("g1", "a1", t0.Add(time.Hour)) })
	view(t, s, func(tx anshin.Tx) error {
		a, err := tx.Administrator("g1", "a1")
		if err == nil && (!a.FirstLoginDone || a.InitialPasswordHash != "" || a.InitialPasswordFails != 0 ||
			!a.InitialPasswordLocked.IsZero() || a.NeedsInitialPassword()) {
			t.Errorf("after the first login: %+v", a)
		}
		return err
	})
}
