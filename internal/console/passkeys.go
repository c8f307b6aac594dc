package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/passkey"
)

// PasskeyRecency is how recent a sign-in must be to add or delete a
// passkey (SPEC §2, Passkeys).
const PasskeyRecency = 10 * time.Minute

// Passkeys is the console's page of one's own passkeys: list, add, rename,
// delete. A passkey opens the groups the registering session's second
// factor opened (Actor.Scope), never more: a key from one group's address
// never yields a passkey for another group.
type Passkeys struct {
	s  *Service
	rp *passkey.RP
}

// NewPasskeys returns the passkey page's rules for relying party rp.
func NewPasskeys(s *Service, rp *passkey.RP) *Passkeys { return &Passkeys{s: s, rp: rp} }

// PasskeyEntry is a passkey as the page lists it.
type PasskeyEntry struct {
	ID         string     `json:"id"` // the credential ID, base64url
	Name       string     `json:"name"`
	Type       string     `json:"type"` // synced (backed up) or device
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Groups are the management numbers of the groups it opens that the
	// account administers.
	Groups []string `json:"groups"`
}

var credIDs = base64.RawURLEncoding

func entryOf(p *anshin.Passkey, numbers map[string]string) PasskeyEntry {
	e := PasskeyEntry{ID: credIDs.EncodeToString(p.ID), Name: p.Name, Type: "device", CreatedAt: p.CreatedAt, Groups: []string{}}
	if p.Flags&0x08 != 0 { // backup eligible (go-webauthn's stored flag bits)
		e.Type = "synced"
	}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt
		e.LastUsedAt = &t
	}
	for _, g := range p.Scope {
		if n, ok := numbers[g]; ok {
			e.Groups = append(e.Groups, n)
		}
	}
	return e
}

// List returns the actor's passkeys, oldest first.
func (p *Passkeys) List(ctx context.Context, a Actor) ([]PasskeyEntry, error) {
	out := []PasskeyEntry{}
	err := p.s.store.View(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		keys, err := tx.PasskeysOfAccount(a.AccountID)
		if err != nil {
			return err
		}
		numbers, err := managementNumbers(tx, a.AccountID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			out = append(out, entryOf(k, numbers))
		}
		return nil
	})
	return out, err
}

func managementNumbers(tx anshin.Tx, accountID string) (map[string]string, error) {
	admins, err := tx.AdministratorsOfAccount(accountID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, adm := range admins {
		g, err := tx.Group(adm.GroupID)
		if err != nil {
			return nil, err
		}
		out[g.ID] = g.ManagementNumber
	}
	return out, nil
}

// recent refuses a change of passkeys by a sign-in older than
// PasskeyRecency: a fresh login first.
func (p *Passkeys) recent(a Actor) error {
	if a.SignedInAt.IsZero() || p.s.now().Sub(a.SignedInAt) > PasskeyRecency {
		return anshin.Errorf(anshin.ECodeNewLoginRequired, "sign in again (within 10 minutes) to change passkeys")
	}
	return nil
}

// Begin begins adding a passkey; the options are for
// navigator.credentials.create.
func (p *Passkeys) Begin(ctx context.Context, a Actor) (json.RawMessage, error) {
	if err := p.recent(a); err != nil {
		return nil, err
	}
	var out json.RawMessage
	err := p.s.store.Update(ctx, func(tx anshin.Tx) error {
		acct, keys, err := myPasskeys(tx, a)
		if err != nil {
			return err
		}
		out, err = p.rp.BeginRegistration(tx, acct, keys, a.SessionID)
		return err
	})
	return out, err
}

// myPasskeys loads the actor's account and its passkeys, after the
// membership check.
func myPasskeys(tx anshin.Tx, a Actor) (*anshin.Account, []*anshin.Passkey, error) {
	if _, err := me(tx, a); err != nil {
		return nil, nil, err
	}
	acct, err := tx.AccountByID(a.AccountID)
	if err != nil {
		return nil, nil, err
	}
	keys, err := tx.PasskeysOfAccount(acct.ID)
	return acct, keys, err
}

func checkName(name string) (string, error) {
	name, err := anshin.CheckText("name", "passkey name", name, false)
	if name == "" && err == nil {
		name = "パスキー"
	}
	return name, err
}

// Add finishes adding a passkey named name from the authenticator's
// answer body. Its scope is the session's: the groups its second factor
// opened. Audited, and told to every address on the account's routes.
func (p *Passkeys) Add(ctx context.Context, a Actor, name string, body []byte) (*PasskeyEntry, error) {
	if err := p.recent(a); err != nil {
		return nil, err
	}
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	var out PasskeyEntry
	var refusal error
	queued := 0
	err = p.s.store.Update(ctx, func(tx anshin.Tx) error {
		refusal, queued = nil, 0
		acct, keys, err := myPasskeys(tx, a)
		if err != nil {
			return err
		}
		k, err := p.rp.FinishRegistration(tx, acct, keys, a.SessionID, body)
		if anshin.ErrorCode(err) == anshin.ECodePasskeyRefused {
			refusal = err // the challenge stays taken
			return p.s.audit(tx, a, anshin.AuditPasskeyRefused, map[string]any{"ceremony": "register"})
		}
		if err != nil {
			return err
		}
		k.Name, k.Scope = name, a.Scope
		if err := tx.CreatePasskey(k); err != nil {
			return err
		}
		numbers, err := managementNumbers(tx, acct.ID)
		if err != nil {
			return err
		}
		out = entryOf(k, numbers)
		if err := p.s.audit(tx, a, anshin.AuditPasskeyAdded, map[string]any{"name": name, "groups": out.Groups}); err != nil {
			return err
		}
		queued, err = p.tell(tx, a, acct, "passkey_added", name)
		return err
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return nil, err
	}
	if queued > 0 {
		p.s.notify()
	}
	return &out, nil
}

// tell queues the notice of kind to every address on the account's routes.
func (p *Passkeys) tell(tx anshin.Tx, a Actor, acct *anshin.Account, kind, name string) (int, error) {
	g, err := tx.Group(a.GroupID)
	if err != nil {
		return 0, err
	}
	to, err := everyRoute(tx, acct)
	if err != nil {
		return 0, err
	}
	return p.s.send(tx, a.Lang, delivery.Notice{Kind: kind, ManagementNumber: g.ManagementNumber, Changed: name}, to)
}

func decodeID(id string) ([]byte, error) {
	b, err := credIDs.DecodeString(id)
	if err != nil || len(b) == 0 {
		return nil, anshin.Errorf(anshin.ECodeNotFound, "no such passkey")
	}
	return b, nil
}

// Rename renames one of the actor's passkeys.
func (p *Passkeys) Rename(ctx context.Context, a Actor, id, name string) error {
	raw, err := decodeID(id)
	if err != nil {
		return err
	}
	if name, err = checkName(name); err != nil {
		return err
	}
	return p.s.store.Update(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		return tx.RenamePasskey(a.AccountID, raw, name)
	})
}

// Delete deletes one of the actor's passkeys: audited and told.
func (p *Passkeys) Delete(ctx context.Context, a Actor, id string) error {
	if err := p.recent(a); err != nil {
		return err
	}
	raw, err := decodeID(id)
	if err != nil {
		return err
	}
	queued := 0
	err = p.s.store.Update(ctx, func(tx anshin.Tx) error {
		if _, err := me(tx, a); err != nil {
			return err
		}
		k, err := tx.Passkey(raw)
		if err != nil || k.AccountID != a.AccountID {
			return anshin.Errorf(anshin.ECodeNotFound, "no such passkey")
		}
		if err := tx.DeletePasskey(a.AccountID, raw); err != nil {
			return err
		}
		if err := p.s.audit(tx, a, anshin.AuditPasskeyDeleted, map[string]any{"name": k.Name}); err != nil {
			return err
		}
		acct, err := tx.AccountByID(a.AccountID)
		if err != nil {
			return err
		}
		queued, err = p.tell(tx, a, acct, "passkey_deleted", k.Name)
		return err
	})
	if err == nil && queued > 0 {
		p.s.notify()
	}
	return err
}

// SetRequired sets whether the actor's group requires passkeys: then only
// a passkey sign-in enters it, and a one-time key only registers a first
// passkey. Only the representative sets it; audited.
func (p *Passkeys) SetRequired(ctx context.Context, a Actor, required bool) error {
	return p.s.store.Update(ctx, func(tx anshin.Tx) error {
		m, err := me(tx, a)
		if err != nil {
			return err
		}
		if err := representativeOnly(m, "require passkeys"); err != nil {
			return err
		}
		if err := tx.SetPasskeyRequired(a.GroupID, required, p.s.now()); err != nil {
			return err
		}
		return p.s.audit(tx, a, anshin.AuditPasskeyPolicy, map[string]any{"required": required})
	})
}
