package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

func (t *tx) CreateFlow(f *anshin.Flow) error {
	return t.later(`INSERT INTO login_flows (id, login_id, account_id, step, group_id, scope, factor, client_ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, base64.StdEncoding.EncodeToString(f.SealedLoginID), f.AccountID, f.Step, f.GroupID, scope(f.Scope), f.Factor, f.ClientIP, ms(f.CreatedAt), ms(f.ExpiresAt))
}

const flowCols = `id, login_id, account_id, step, group_id, scope, factor, client_ip, created_at, expires_at`

func (t *tx) Flow(id string) (*anshin.Flow, error) {
	var r flowRow
	if err := t.row(r.dest(), "login flow", `SELECT `+flowCols+` FROM login_flows WHERE id = ?`, id); err != nil {
		return nil, err
	}
	return r.flow()
}

// flowAccountCols are a flow's columns and its account's, as
// FlowAccount's join names them.
var flowAccountCols = prefixed("f.", flowCols) + ", " + prefixed("c.", accountCols)

// FlowAccount joins the flow to its account: on PostgreSQL one round trip
// instead of two. No row is the rare case (no such flow, a flow without
// an account, its account gone), which the two reads one after the other
// tell apart.
func (t *tx) FlowAccount(id string, lock bool) (*anshin.Flow, *anshin.Account, error) {
	q := `SELECT ` + flowAccountCols + ` FROM login_flows f JOIN accounts c ON c.id = f.account_id WHERE f.id = ?`
	if lock && t.d.forUpdate != "" {
		q += ` ` + t.d.forUpdate + ` OF c`
	}
	var fr flowRow
	var ar accountRow
	err := t.row(append(fr.dest(), ar.dest()...), "login flow", q, id)
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		f, err := t.Flow(id)
		if err != nil || f.AccountID == "" {
			return f, nil, err
		}
		read := t.AccountByID
		if lock {
			read = t.LockAccount
		}
		a, err := read(f.AccountID)
		return f, a, err
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := fr.flow()
	if err != nil {
		return nil, nil, err
	}
	a, err := ar.account()
	return f, a, err
}

// flowRow is a flow's columns as scanned (flowCols).
type flowRow struct {
	f                anshin.Flow
	created, expires int64
	sealed, sc       string
}

func (r *flowRow) dest() []any {
	return []any{&r.f.ID, &r.sealed, &r.f.AccountID, &r.f.Step, &r.f.GroupID, &r.sc, &r.f.Factor, &r.f.ClientIP, &r.created, &r.expires}
}

func (r *flowRow) flow() (*anshin.Flow, error) {
	f := r.f
	var err error
	if f.SealedLoginID, err = base64.StdEncoding.DecodeString(r.sealed); err != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "login flow: corrupt login ID")
	}
	if len(f.SealedLoginID) == 0 {
		f.SealedLoginID = nil
	}
	f.CreatedAt, f.ExpiresAt, f.Scope = tm(r.created), tm(r.expires), groups(r.sc)
	return &f, nil
}

// prefixed qualifies each of a list of columns with a table's alias.
func prefixed(alias, cols string) string {
	return alias + strings.ReplaceAll(cols, ", ", ", "+alias)
}

func (t *tx) UpdateFlow(f *anshin.Flow, from anshin.Step) error {
	// expires_at is not written: it was fixed at the start, and on SQLite
	// rewriting it, even unchanged, writes its index's page again.
	return t.laterOne(anshin.FlowMoved(), `UPDATE login_flows SET account_id = ?, step = ?, group_id = ?, scope = ?, factor = ? WHERE id = ? AND step = ?`,
		f.AccountID, f.Step, f.GroupID, scope(f.Scope), f.Factor, f.ID, from)
}

const keyCols = `id, issue_id, flow_id, account_id, method, key_hash, sent_to, scope, created_at, expires_at, used_at, invalidated_at`

// scope stores a list of group IDs (letters, digits, '_' and '-') as one
// space-separated text; groups reads it back.
func scope(ids []string) string { return strings.Join(ids, " ") }

func groups(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

func (t *tx) CreateKey(k *anshin.OneTimeKey) error {
	return t.later(`INSERT INTO one_time_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
		k.ID, k.IssueID, k.FlowID, k.AccountID, k.Method, k.Hash, k.SentTo, scope(k.Scope), ms(k.CreatedAt), ms(k.ExpiresAt))
}

// CurrentKeys returns the keys of the flow's latest issuance. Issuing
// invalidates the keys before, so the latest issuance is the one with a key
// that is not invalidated, else the newest: two issuances in the same
// millisecond (no cooldown) or across a backward step of the clock would
// otherwise be told apart by their random IDs, and a replaced key could
// come back.
func (t *tx) CurrentKeys(flowID string) ([]*anshin.OneTimeKey, error) {
	return t.keys(`SELECT `+keyCols+` FROM one_time_keys WHERE flow_id = ? AND issue_id = (
		SELECT issue_id FROM one_time_keys WHERE flow_id = ?
		ORDER BY CASE WHEN invalidated_at = 0 THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1)
		ORDER BY id`, flowID, flowID)
}

func (t *tx) Key(id string) (*anshin.OneTimeKey, error) {
	ks, err := t.keys(`SELECT `+keyCols+` FROM one_time_keys WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "one-time key not found")
	}
	return ks[0], nil
}

func (t *tx) keys(query string, args ...any) ([]*anshin.OneTimeKey, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anshin.OneTimeKey
	for rows.Next() {
		var k anshin.OneTimeKey
		var sc string
		var created, expires, used, invalidated int64
		if err := rows.Scan(&k.ID, &k.IssueID, &k.FlowID, &k.AccountID, &k.Method, &k.Hash, &k.SentTo, &sc, &created, &expires, &used, &invalidated); err != nil {
			return nil, t.fail(err)
		}
		k.Scope = groups(sc)
		k.CreatedAt, k.ExpiresAt, k.UsedAt, k.InvalidatedAt = tm(created), tm(expires), tm(used), tm(invalidated)
		out = append(out, &k)
	}
	return out, t.fail(rows.Err())
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
			(SELECT COUNT(DISTINCT issue_id) FROM one_time_keys WHERE flow_id = ?),
			(SELECT COUNT(*) FROM (SELECT DISTINCT issue_id FROM one_time_keys WHERE account_id = ? AND created_at > ? LIMIT ?) w),
			(SELECT MIN(created_at) FROM one_time_keys WHERE account_id = ? AND created_at > ?),
			(SELECT MAX(created_at) FROM one_time_keys WHERE account_id = ?)`,
		flowID, accountID, ms(since), upTo, accountID, ms(since), accountID)
	c.OldestInWindow, c.Last = tm(oldest.Int64), tm(last.Int64)
	return c, err
}

func (t *tx) UseKey(id string, at time.Time) error {
	return t.laterOne(anshin.KeyUsed(), `UPDATE one_time_keys SET used_at = ? WHERE id = ? AND used_at = 0 AND invalidated_at = 0`, ms(at), id)
}

func (t *tx) InvalidateFlowKeys(flowID string, at time.Time) error {
	_, err := t.exec(`UPDATE one_time_keys SET invalidated_at = ? WHERE flow_id = ? AND used_at = 0 AND invalidated_at = 0`, ms(at), flowID)
	return err
}

func (t *tx) Throttle(name string, now time.Time) (int, time.Time, error) {
	st, err := t.Throttles(now, name)
	if err != nil {
		return 0, time.Time{}, err
	}
	return st[0].Failures, st[0].LockedTill, nil
}

func (t *tx) Throttles(now time.Time, names ...string) ([]anshin.ThrottleState, error) {
	out := make([]anshin.ThrottleState, len(names))
	if len(names) == 0 {
		return out, nil
	}
	args := []any{ms(now)}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := t.query(`SELECT name, failures, locked_till FROM throttles WHERE expires_at > ? AND name IN (?`+
		strings.Repeat(", ?", len(names)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var st anshin.ThrottleState
		var locked int64
		if err := rows.Scan(&name, &st.Failures, &locked); err != nil {
			return nil, t.fail(err)
		}
		st.LockedTill = tm(locked)
		for i, n := range names {
			if n == name {
				out[i] = st
			}
		}
	}
	return out, t.fail(rows.Err())
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
