package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

const accountCols = `id, login_id, kind, password_hash, docomo_line, contact_emails, key_failures, key_locked_till, created_at, updated_at`

// PutAccount inserts the account or replaces the fields an operator sets.
func (t *tx) PutAccount(a *anshin.Account) error {
	emails, err := json.Marshal(nonNil(a.ContactEmails))
	if err != nil {
		return err
	}
	n, err := t.execN(`UPDATE accounts SET kind = ?, password_hash = ?, docomo_line = ?, contact_emails = ?, updated_at = ? WHERE id = ?`,
		a.Kind, a.PasswordHash, a.DocomoLine, string(emails), ms(a.UpdatedAt), a.ID)
	if err != nil || n > 0 {
		return err
	}
	_, err = t.exec(`INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)`,
		a.ID, a.LoginID, a.Kind, a.PasswordHash, a.DocomoLine, string(emails), ms(a.CreatedAt), ms(a.UpdatedAt))
	return err
}

func (t *tx) AccountByLoginID(loginID string) (*anshin.Account, error) {
	return t.account(`SELECT `+accountCols+` FROM accounts WHERE login_id = ?`, loginID)
}

func (t *tx) AccountByID(id string) (*anshin.Account, error) {
	return t.account(`SELECT `+accountCols+` FROM accounts WHERE id = ?`, id)
}

func (t *tx) account(query string, arg string) (*anshin.Account, error) {
	var r accountRow
	if err := t.row(r.dest(), "account", query, arg); err != nil {
		return nil, err
	}
	return r.account()
}

// accountRow is an account's columns as scanned (accountCols).
type accountRow struct {
	a                        anshin.Account
	emails                   string
	locked, created, updated int64
}

func (r *accountRow) dest() []any {
	return []any{&r.a.ID, &r.a.LoginID, &r.a.Kind, &r.a.PasswordHash, &r.a.DocomoLine, &r.emails, &r.a.KeyFailures, &r.locked, &r.created, &r.updated}
}

func (r *accountRow) account() (*anshin.Account, error) {
	a := r.a
	if err := json.Unmarshal([]byte(r.emails), &a.ContactEmails); err != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "account %s: corrupt contact e-mails: %v", a.ID, err)
	}
	a.KeyLockedTill, a.CreatedAt, a.UpdatedAt = tm(r.locked), tm(r.created), tm(r.updated)
	return &a, nil
}

// LockAccount holds the account's row until the transaction ends
// (PostgreSQL); SQLite's one writer at a time holds everything already.
func (t *tx) LockAccount(id string) (*anshin.Account, error) {
	return t.account(`SELECT `+accountCols+` FROM accounts WHERE id = ? `+t.d.forUpdate, id)
}

func (t *tx) RecordKeyFailure(accountID string) (int, error) {
	var n int
	err := t.row([]any{&n}, "account",
		`UPDATE accounts SET key_failures = key_failures + 1 WHERE id = ? RETURNING key_failures`, accountID)
	return n, err
}

func (t *tx) LockKeyEntry(accountID string, till time.Time) error {
	_, err := t.exec(`UPDATE accounts SET key_locked_till = ? WHERE id = ?`, ms(till), accountID)
	return err
}

func (t *tx) ResetKeyFailures(accountID string) error {
	_, err := t.exec(`UPDATE accounts SET key_failures = 0, key_locked_till = 0 WHERE id = ? AND key_failures <> 0`, accountID)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
