package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) PutGroup(g *anshin.ContractGroup) error {
	delete(t.groups, g.ID)
	contract, err := json.Marshal(g.Contract)
	if err != nil {
		return err
	}
	n, err := t.execN(`UPDATE contract_groups SET management_number = ?, representative_number = ?, contract = ?, updated_at = ? WHERE id = ?`,
		g.ManagementNumber, g.RepresentativeNumber, string(contract), ms(g.UpdatedAt), g.ID)
	if err != nil || n > 0 {
		return err
	}
	_, err = t.exec(`INSERT INTO contract_groups (id, management_number, representative_number, contract, clomo, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
		g.ID, g.ManagementNumber, g.RepresentativeNumber, string(contract), ms(g.CreatedAt), ms(g.UpdatedAt))
	return err
}

const groupCols = `id, management_number, representative_number, contract, clomo, created_at, updated_at, passkey_required`

// Group reads the group, or answers without a statement when this
// transaction read it already with an administrator of it (and has not
// written it since): the login steps' groups come with their
// administrators, one statement fewer each.
func (t *tx) Group(id string) (*anshin.ContractGroup, error) {
	if r, ok := t.groups[id]; ok {
		return r.group()
	}
	var r groupRow
	if err := t.row(r.dest(), "contract group", `SELECT `+groupCols+` FROM contract_groups WHERE id = ?`, id); err != nil {
		return nil, err
	}
	return r.group()
}

// groupRow is a group's columns as scanned (groupCols).
type groupRow struct {
	g                anshin.ContractGroup
	contract, clomo  string
	created, updated int64
	passkeyRequired  int
}

func (r *groupRow) dest() []any {
	return []any{&r.g.ID, &r.g.ManagementNumber, &r.g.RepresentativeNumber, &r.contract, &r.clomo, &r.created, &r.updated, &r.passkeyRequired}
}

// group makes a new ContractGroup of the row each time: the caller may
// change it.
func (r *groupRow) group() (*anshin.ContractGroup, error) {
	g := r.g
	if err := json.Unmarshal([]byte(r.contract), &g.Contract); err != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "group %s: corrupt contract: %v", g.ID, err)
	}
	if r.clomo != "" {
		g.CLOMO = new(anshin.CLOMOEnvironment)
		if err := json.Unmarshal([]byte(r.clomo), g.CLOMO); err != nil {
			return nil, anshin.Errorf(anshin.ECodeInternal, "group %s: corrupt CLOMO settings: %v", g.ID, err)
		}
	}
	g.CreatedAt, g.UpdatedAt, g.PasskeyRequired = tm(r.created), tm(r.updated), r.passkeyRequired != 0
	return &g, nil
}

func (t *tx) SetPasskeyRequired(groupID string, required bool, at time.Time) error {
	delete(t.groups, groupID)
	v := 0
	if required {
		v = 1
	}
	n, err := t.execN(`UPDATE contract_groups SET passkey_required = ?, updated_at = ? WHERE id = ?`, v, ms(at), groupID)
	if err == nil && n == 0 {
		return anshin.Errorf(anshin.ECodeNotFound, "contract group %s not found", groupID)
	}
	return err
}

func (t *tx) PutCLOMO(groupID string, c *anshin.CLOMOEnvironment, at time.Time) error {
	delete(t.groups, groupID)
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	n, err := t.execN(`UPDATE contract_groups SET clomo = ?, updated_at = ? WHERE id = ?`, string(b), ms(at), groupID)
	if err == nil && n == 0 {
		return anshin.Errorf(anshin.ECodeNotFound, "contract group %s not found", groupID)
	}
	return err
}

const adminCols = `a.group_id, a.account_id, c.login_id, a.role, a.name, a.email, a.initial_password_hash, a.first_login_done, a.initial_password_fails, a.initial_password_locked, a.created_at, a.updated_at`

func (t *tx) PutAdministrator(a *anshin.Administrator) error {
	n, err := t.execN(`UPDATE administrators SET role = ?, name = ?, email = ?, initial_password_hash = ?, first_login_done = ?, initial_password_fails = ?, initial_password_locked = ?, updated_at = ? WHERE group_id = ? AND account_id = ?`,
		a.Role, a.Name, a.Email, a.InitialPasswordHash, b2i(a.FirstLoginDone), a.InitialPasswordFails, ms(a.InitialPasswordLocked), ms(a.UpdatedAt), a.GroupID, a.AccountID)
	if err != nil || n > 0 {
		return err
	}
	_, err = t.exec(`INSERT INTO administrators (group_id, account_id, role, name, email, initial_password_hash, first_login_done, initial_password_fails, initial_password_locked, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.GroupID, a.AccountID, a.Role, a.Name, a.Email, a.InitialPasswordHash, b2i(a.FirstLoginDone), a.InitialPasswordFails, ms(a.InitialPasswordLocked), ms(a.CreatedAt), ms(a.UpdatedAt))
	return err
}

func (t *tx) Administrator(groupID, accountID string) (*anshin.Administrator, error) {
	list, err := t.administrators(true, `WHERE a.group_id = ? AND a.account_id = ?`, groupID, accountID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "administrator not found")
	}
	return list[0], nil
}

func (t *tx) AdministratorsOfAccount(accountID string) ([]*anshin.Administrator, error) {
	return t.administrators(true, `WHERE a.account_id = ? ORDER BY a.group_id`, accountID)
}

func (t *tx) GroupAdministrators(groupID string) ([]*anshin.Administrator, error) {
	return t.administrators(false, `WHERE a.group_id = ? ORDER BY a.role DESC, c.login_id`, groupID)
}

// adminGroupCols are an administrator's columns and its group's, as the
// join of administrators names them.
var adminGroupCols = adminCols + ", " + prefixed("g.", groupCols)

// administrators reads the administrators where says; withGroups reads
// their groups in the same statement and keeps them for Group to answer.
func (t *tx) administrators(withGroups bool, where string, args ...any) ([]*anshin.Administrator, error) {
	cols, join := adminCols, ``
	if withGroups {
		cols, join = adminGroupCols, `JOIN contract_groups g ON g.id = a.group_id `
	}
	rows, err := t.query(`SELECT `+cols+` FROM administrators a JOIN accounts c ON c.id = a.account_id `+join+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*anshin.Administrator
	for rows.Next() {
		var a anshin.Administrator
		var done int
		var locked, created, updated int64
		dest := []any{&a.GroupID, &a.AccountID, &a.LoginID, &a.Role, &a.Name, &a.Email, &a.InitialPasswordHash, &done, &a.InitialPasswordFails, &locked, &created, &updated}
		var g groupRow
		if withGroups {
			dest = append(dest, g.dest()...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, t.fail(err)
		}
		a.FirstLoginDone = done != 0
		a.InitialPasswordLocked, a.CreatedAt, a.UpdatedAt = tm(locked), tm(created), tm(updated)
		list = append(list, &a)
		if withGroups {
			if t.groups == nil {
				t.groups = map[string]groupRow{}
			}
			t.groups[g.g.ID] = g
		}
	}
	return list, t.fail(rows.Err())
}

func (t *tx) RecordInitialPasswordFailure(groupID, accountID string) (int, error) {
	var n int
	err := t.row([]any{&n}, "administrator",
		`UPDATE administrators SET initial_password_fails = initial_password_fails + 1 WHERE group_id = ? AND account_id = ? RETURNING initial_password_fails`,
		groupID, accountID)
	return n, err
}

func (t *tx) LockInitialPassword(groupID, accountID string, till time.Time) error {
	_, err := t.exec(`UPDATE administrators SET initial_password_locked = ? WHERE group_id = ? AND account_id = ?`, ms(till), groupID, accountID)
	return err
}

func (t *tx) CompleteFirstLogin(groupID, accountID string, at time.Time) error {
	_, err := t.exec(`UPDATE administrators SET first_login_done = 1, initial_password_hash = '', initial_password_fails = 0, initial_password_locked = 0, updated_at = ? WHERE group_id = ? AND account_id = ?`,
		ms(at), groupID, accountID)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
