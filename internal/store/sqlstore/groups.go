package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) PutGroup(g *anshin.ContractGroup) error {
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

func (t *tx) Group(id string) (*anshin.ContractGroup, error) {
	var g anshin.ContractGroup
	var contract, clomo string
	var created, updated int64
	var required int
	err := t.row([]any{&g.ID, &g.ManagementNumber, &g.RepresentativeNumber, &contract, &clomo, &created, &updated, &required},
		"contract group",
		`SELECT id, management_number, representative_number, contract, clomo, created_at, updated_at, passkey_required FROM contract_groups WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(contract), &g.Contract); err != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "group %s: corrupt contract: %v", id, err)
	}
	if clomo != "" {
		g.CLOMO = new(anshin.CLOMOEnvironment)
		if err := json.Unmarshal([]byte(clomo), g.CLOMO); err != nil {
			return nil, anshin.Errorf(anshin.ECodeInternal, "group %s: corrupt CLOMO settings: %v", id, err)
		}
	}
	g.CreatedAt, g.UpdatedAt, g.PasskeyRequired = tm(created), tm(updated), required != 0
	return &g, nil
}

func (t *tx) SetPasskeyRequired(groupID string, required bool, at time.Time) error {
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
	list, err := t.administrators(`WHERE a.group_id = ? AND a.account_id = ?`, groupID, accountID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "administrator not found")
	}
	return list[0], nil
}

func (t *tx) AdministratorsOfAccount(accountID string) ([]*anshin.Administrator, error) {
	return t.administrators(`WHERE a.account_id = ? ORDER BY a.group_id`, accountID)
}

func (t *tx) GroupAdministrators(groupID string) ([]*anshin.Administrator, error) {
	return t.administrators(`WHERE a.group_id = ? ORDER BY a.role DESC, c.login_id`, groupID)
}

func (t *tx) administrators(where string, args ...any) ([]*anshin.Administrator, error) {
	rows, err := t.query(`SELECT `+adminCols+` FROM administrators a JOIN accounts c ON c.id = a.account_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*anshin.Administrator
	for rows.Next() {
		var a anshin.Administrator
		var done int
		var locked, created, updated int64
		if err := rows.Scan(&a.GroupID, &a.AccountID, &a.LoginID, &a.Role, &a.Name, &a.Email, &a.InitialPasswordHash, &done, &a.InitialPasswordFails, &locked, &created, &updated); err != nil {
			return nil, t.fail(err)
		}
		a.FirstLoginDone = done != 0
		a.InitialPasswordLocked, a.CreatedAt, a.UpdatedAt = tm(locked), tm(created), tm(updated)
		list = append(list, &a)
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
