package sqlstore

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// Credential IDs and keys are kept as base64url text, AAGUIDs as hex: one
// column type in both dialects.
var b64 = base64.RawURLEncoding

const passkeyCols = `id, account_id, public_key, sign_count, aaguid, flags, transports, attestation_format, name, scope, created_at, last_used_at`

func (t *tx) CreatePasskey(p *anshin.Passkey) error {
	_, err := t.exec(`INSERT INTO passkeys (`+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b64.EncodeToString(p.ID), p.AccountID, b64.EncodeToString(p.PublicKey), int64(p.SignCount), hex.EncodeToString(p.AAGUID),
		int(p.Flags), strings.Join(p.Transports, " "), p.AttestationFormat, p.Name, scope(p.Scope), ms(p.CreatedAt), ms(p.LastUsedAt))
	return err
}

func (t *tx) Passkey(id []byte) (*anshin.Passkey, error) {
	var c passkeyRow
	if err := t.row(c.dest(), "passkey", `SELECT `+passkeyCols+` FROM passkeys WHERE id = ?`, b64.EncodeToString(id)); err != nil {
		return nil, err
	}
	return c.passkey()
}

func (t *tx) PasskeysOfAccount(accountID string) ([]*anshin.Passkey, error) {
	rows, err := t.query(`SELECT `+passkeyCols+` FROM passkeys WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*anshin.Passkey
	for rows.Next() {
		var c passkeyRow
		if err := rows.Scan(c.dest()...); err != nil {
			return nil, t.fail(err)
		}
		p, err := c.passkey()
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, t.fail(rows.Err())
}

func (t *tx) RenamePasskey(accountID string, id []byte, name string) error {
	n, err := t.execN(`UPDATE passkeys SET name = ? WHERE id = ? AND account_id = ?`, name, b64.EncodeToString(id), accountID)
	if err == nil && n == 0 {
		err = anshin.Errorf(anshin.ECodeNotFound, "passkey not found")
	}
	return err
}

func (t *tx) DeletePasskey(accountID string, id []byte) error {
	n, err := t.execN(`DELETE FROM passkeys WHERE id = ? AND account_id = ?`, b64.EncodeToString(id), accountID)
	if err == nil && n == 0 {
		err = anshin.Errorf(anshin.ECodeNotFound, "passkey not found")
	}
	return err
}

func (t *tx) UsePasskey(id []byte, from, to uint32, flags byte, at time.Time) (bool, error) {
	n, err := t.execN(`UPDATE passkeys SET sign_count = ?, flags = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
		int64(to), int(flags), ms(at), b64.EncodeToString(id), int64(from))
	return n == 1, err
}

func (t *tx) CreateChallenge(c *anshin.WebAuthnChallenge) error {
	// One live ceremony per flow and per session: a retry replaces the
	// last, so a client asking again and again stores one row.
	if c.FlowID != "" {
		if _, err := t.exec(`DELETE FROM webauthn_challenges WHERE flow_id = ?`, c.FlowID); err != nil {
			return err
		}
	}
	if c.SessionID != "" {
		if _, err := t.exec(`DELETE FROM webauthn_challenges WHERE session_id = ?`, c.SessionID); err != nil {
			return err
		}
	}
	_, err := t.exec(`INSERT INTO webauthn_challenges (id, purpose, account_id, flow_id, session_id, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Purpose, c.AccountID, c.FlowID, c.SessionID, string(c.Data), ms(c.CreatedAt), ms(c.ExpiresAt))
	return err
}

func (t *tx) TakeChallenge(id string, now time.Time) (*anshin.WebAuthnChallenge, error) {
	var c anshin.WebAuthnChallenge
	var data string
	var created, expires int64
	err := t.row([]any{&c.ID, &c.Purpose, &c.AccountID, &c.FlowID, &c.SessionID, &data, &created, &expires}, "challenge",
		`SELECT id, purpose, account_id, flow_id, session_id, data, created_at, expires_at FROM webauthn_challenges WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	// The DELETE is the single use: of two takers, one removes the row.
	n, err := t.execN(`DELETE FROM webauthn_challenges WHERE id = ? AND expires_at > ?`, id, ms(now))
	if err != nil {
		return nil, err
	}
	c.Data, c.CreatedAt, c.ExpiresAt = []byte(data), tm(created), tm(expires)
	if n != 1 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "challenge not found")
	}
	return &c, nil
}

type passkeyRow struct {
	id, key, aaguid, transports string
	p                           anshin.Passkey
	count                       int64
	flags                       int
	sc                          string
	created, used               int64
}

func (c *passkeyRow) dest() []any {
	return []any{&c.id, &c.p.AccountID, &c.key, &c.count, &c.aaguid, &c.flags, &c.transports, &c.p.AttestationFormat, &c.p.Name, &c.sc, &c.created, &c.used}
}

func (c *passkeyRow) passkey() (*anshin.Passkey, error) {
	p := c.p
	var err1, err2, err3 error
	p.ID, err1 = b64.DecodeString(c.id)
	p.PublicKey, err2 = b64.DecodeString(c.key)
	p.AAGUID, err3 = hex.DecodeString(c.aaguid)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, anshin.Errorf(anshin.ECodeInternal, "passkey: corrupt row")
	}
	if len(p.AAGUID) == 0 {
		p.AAGUID = nil
	}
	p.SignCount, p.Flags = uint32(c.count), byte(c.flags)
	p.Transports = groups(c.transports)
	p.Scope = groups(c.sc)
	p.CreatedAt, p.LastUsedAt = tm(c.created), tm(c.used)
	return &p, nil
}
