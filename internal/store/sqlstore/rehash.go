package sqlstore

import "strings"

func (t *tx) RehashPassword(accountID, oldHash, newHash string) (bool, error) {
	n, err := t.execN(`UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, accountID, oldHash)
	return n == 1, err
}

// PasswordHashParams reads every hash once and keeps only its parameter
// part: the store need not know PHC, only where its fields end.
func (t *tx) PasswordHashParams() (map[string]int, error) {
	rows, err := t.query(`SELECT password_hash FROM accounts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, t.fail(err)
		}
		// "$argon2id$v=19$m=…,t=…,p=…$salt$sum": the first four fields.
		if parts := strings.SplitN(h, "$", 5); len(parts) == 5 {
			out[strings.Join(parts[:4], "$")]++
		}
	}
	return out, t.fail(rows.Err())
}
