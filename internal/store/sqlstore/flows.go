package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) CreateFlow(f *anshin.Flow) error {
	_, err := t.exec(`INSERT INTO login_flows (id, login_id, account_id, step, group_id, client_ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, base64.StdEncoding.EncodeToString(f.SealedLoginID), f.AccountID, f.Step, f.GroupID, f.ClientIP, ms(f.CreatedAt), ms(f.ExpiresAt))
	return err
}

func (t *tx) Flow(id string) (*anshin.Flow, error) {
	var f anshin.Flow
	var created, expires int64
	var sealed string
	err := t.row([]any{&f.ID, &sealed, &f.AccountID, &f.Step, &f.GroupID, &f.ClientIP, &created, &expires}, "login flow",
		`SELECT id, login_id, account_id, step, group_id, client_ip, created_at, expires_at FROM login_flows WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if f.SealedLoginID, err = base64.StdEncoding.DecodeString(sealed); err != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "login flow: corrupt login ID")
	}
	if len(f.SealedLoginID) == 0 {
		f.SealedLoginID = nil
	}
	f.CreatedAt, f.ExpiresAt = tm(created), tm(expires)
	return &f, nil
}

func (t *tx) UpdateFlow(f *anshin.Flow, from anshin.Step) (bool, error) {
	n, err := t.execN(`UPDATE login_flows SET account_id = ?, step = ?, group_id = ?, expires_at = ? WHERE id = ? AND step = ?`,
		f.AccountID, f.Step, f.GroupID, ms(f.ExpiresAt), f.ID, from)
	return n == 1, err
}

const keyCols = `id, flow_id, account_id, method, key_hash, created_at, expires_at, used_at, invalidated_at`

func (t *tx) CreateKey(k *anshin.OneTimeKey) error {
	_, err := t.exec(`INSERT INTO one_time_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)`,
		k.ID, k.FlowID, k.AccountID, k.Method, k.Hash, ms(k.CreatedAt), ms(k.ExpiresAt))
	return err
}

// LatestKey returns the flow's current key. Issuing a key invalidates the
// one before, so a flow has at most one key that is not invalidated, and
// that one comes first: two keys issued in the same millisecond (no
// cooldown) or across a backward step of the clock would otherwise be told
// apart by their random IDs, and the replaced key could come back.
func (t *tx) LatestKey(flowID string) (*anshin.OneTimeKey, error) {
	return t.key(`SELECT `+keyCols+` FROM one_time_keys WHERE flow_id = ?
		ORDER BY CASE WHEN invalidated_at = 0 THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1`, flowID)
}

func (t *tx) Key(id string) (*anshin.OneTimeKey, error) {
	return t.key(`SELECT `+keyCols+` FROM one_time_keys WHERE id = ?`, id)
}

func (t *tx) key(query, arg string) (*anshin.OneTimeKey, error) {
	var k anshin.OneTimeKey
	var created, expires, used, invalidated int64
	err := t.row([]any{&k.ID, &k.FlowID, &k.AccountID, &k.Method, &k.Hash, &created, &expires, &used, &invalidated}, "one-time key", query, arg)
	if err != nil {
		return nil, err
	}
	k.CreatedAt, k.ExpiresAt, k.UsedAt, k.InvalidatedAt = tm(created), tm(expires), tm(used), tm(invalidated)
	return &k, nil
}

// CountKeys counts the account's keys created after since, not at it: a key
// leaves the window at exactly created_at + window, the retry time the login
// rules announce.
func (t *tx) CountKeys(flowID, accountID string, since time.Time, upTo int) (anshin.KeyCounts, error) {
	// Counting no further than the limit costs the same however many keys
	// an account ever had.
	var c anshin.KeyCounts
	var oldest, last sql.NullInt64
	err := t.row([]any{&c.PerFlow, &c.PerAccount, &oldest, &last}, "keys",
		`SELECT
			(SELECT COUNT(*) FROM one_time_keys WHERE flow_id = ?),
			(SELECT COUNT(*) FROM (SELECT 1 FROM one_time_keys WHERE account_id = ? AND created_at > ? LIMIT ?) w),
			(SELECT MIN(created_at) FROM one_time_keys WHERE account_id = ? AND created_at > ?),
			(SELECT MAX(created_at) FROM one_time_keys WHERE account_id = ?)`,
		flowID, accountID, ms(since), upTo, accountID, ms(since), accountID)
	c.OldestInWindow, c.Last = tm(oldest.Int64), tm(last.Int64)
	return c, err
}

func (t *tx) UseKey(id string, at time.Time) (bool, error) {
	n, err := t.execN(`UPDATE one_time_keys SET used_at = ? WHERE id = ? AND used_at = 0 AND invalidated_at = 0`, ms(at), id)
	return n == 1, err
}

func (t *tx) InvalidateKey(id string, at time.Time) error {
	_, err := t.exec(`UPDATE one_time_keys SET invalidated_at = ? WHERE id = ? AND used_at = 0 AND invalidated_at = 0`, ms(at), id)
	return err
}

func (t *tx) Throttle(name string, now time.Time) (int, time.Time, error) {
	var failures int
	var locked int64
	err := t.row([]any{&failures, &locked}, "throttle", `SELECT failures, locked_till FROM throttles WHERE name = ? AND expires_at > ?`, name, ms(now))
	var e *anshin.Error
	if errors.As(err, &e) && e.Code == anshin.ECodeNotFound {
		return 0, time.Time{}, nil
	}
	return failures, tm(locked), err
}

func (t *tx) PutThrottle(name string, failures int, lockedTill, expires time.Time) error {
	_, err := t.exec(`INSERT INTO throttles (name, failures, locked_till, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET failures = excluded.failures, locked_till = excluded.locked_till, expires_at = excluded.expires_at`,
		name, failures, ms(lockedTill), ms(expires))
	return err
}

func (t *tx) DeleteThrottle(name string) error {
	_, err := t.exec(`DELETE FROM throttles WHERE name = ?`, name)
	return err
}
