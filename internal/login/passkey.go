package login

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/passkey"
	"github.com/anshin/anshin/internal/secret"
)

// Passkeys is the passkey sign-in (SPEC §2, Passkeys): at step 3 beside
// SMS and e-mail, and パスキーでログイン from the entry page. A passkey
// leads to the group choice among the groups it opens; steps 7 and 8 are
// those of a key.
type Passkeys struct {
	s  *Service
	rp *passkey.RP
}

// NewPasskeys returns the passkey sign-in of s for relying party rp.
func NewPasskeys(s *Service, rp *passkey.RP) *Passkeys { return &Passkeys{s: s, rp: rp} }

// Choice is where a passkey led: the group choice.
type Choice struct {
	Next   anshin.Step          `json:"next"`
	Groups []anshin.GroupChoice `json:"groups"`
}

// HasPasskey reports whether the flow's account has a passkey: step 3
// offers パスキー only then.
func (p *Passkeys) HasPasskey(ctx context.Context, f *anshin.Flow) bool {
	if f == nil || f.AccountID == "" {
		return false
	}
	has := false
	_ = p.s.store.View(ctx, func(tx anshin.Tx) error {
		keys, err := tx.PasskeysOfAccount(f.AccountID)
		has = err == nil && len(keys) > 0
		return nil
	})
	return has
}

// Options begins step 3's passkey ceremony of a flow whose password was
// right; the options are for navigator.credentials.get.
func (p *Passkeys) Options(ctx context.Context, flowToken string) (json.RawMessage, error) {
	var out json.RawMessage
	err := p.s.store.Update(ctx, func(tx anshin.Tx) error {
		f, err := p.s.flow(tx, flowToken, anshin.StepOneTimeKey)
		if err != nil {
			return err
		}
		acct, err := tx.AccountByID(f.AccountID)
		if err != nil {
			return err
		}
		keys, err := tx.PasskeysOfAccount(acct.ID)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return &anshin.Error{Code: anshin.ECodeMethodInvalid, Field: "method", Message: "the account has no passkey"}
		}
		out, err = p.rp.BeginLogin(tx, acct, keys, f.ID)
		return err
	})
	return out, flowGone(err)
}

// Start begins パスキーでログイン: a flow of its own, without ID or
// password, and the options of a discoverable ceremony.
func (p *Passkeys) Start(ctx context.Context, clientIP string) (flowToken string, options json.RawMessage, err error) {
	ev := Event{Kind: EventLoginStarted, Method: anshin.MethodPasskey, ClientIP: clientIP}
	defer func() { p.s.emit(ctx, &ev, err) }()
	flowToken = secret.NewToken()
	now := p.s.now()
	f := &anshin.Flow{ID: secret.TokenID(flowToken), Step: anshin.StepPasskey, ClientIP: clientIP, CreatedAt: now, ExpiresAt: now.Add(p.s.cfg.FlowTTL)}
	err = p.s.store.Update(ctx, func(tx anshin.Tx) error {
		if err := p.s.countFlow(tx, clientIP); err != nil {
			return err
		}
		if err := tx.CreateFlow(f); err != nil {
			return err
		}
		options, err = p.rp.BeginDiscoverable(tx, f.ID)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return flowToken, options, nil
}

// Restart begins another discoverable ceremony for a flow of パスキーでログイン
// (the user cancelled the first).
func (p *Passkeys) Restart(ctx context.Context, flowToken string) (json.RawMessage, error) {
	var out json.RawMessage
	err := p.s.store.Update(ctx, func(tx anshin.Tx) error {
		f, err := p.s.flow(tx, flowToken, anshin.StepPasskey)
		if err != nil {
			return err
		}
		out, err = p.rp.BeginDiscoverable(tx, f.ID)
		return err
	})
	return out, err
}

// SignIn finishes a passkey ceremony of the flow (step 3's, or パスキーでロ
// グイン's) and leads to the group choice among the groups the passkey
// opens and the account still administers. A refused ceremony is audited
// in the claimed account's groups and never yields a session.
func (p *Passkeys) SignIn(ctx context.Context, flowToken string, body []byte, clientIP string) (_ *Choice, err error) {
	ev := Event{Kind: EventKeyVerified, Method: anshin.MethodPasskey, ClientIP: clientIP}
	defer func() { p.s.emit(ctx, &ev, err); err = flowGone(err) }()
	var res *Choice
	var refusal error
	err = p.s.store.Update(ctx, func(tx anshin.Tx) error {
		res, refusal = nil, nil
		f, err := p.s.flow(tx, flowToken, "")
		if e := anshin.AsError(err); e != nil && e.Code == anshin.ECodeFlowStep {
			f, err = tx.Flow(secret.TokenID(flowToken))
		}
		if err != nil {
			return err
		}
		from := f.Step
		if from != anshin.StepOneTimeKey && from != anshin.StepPasskey {
			return &anshin.Error{Code: anshin.ECodeFlowStep, Message: "the login flow is at step " + string(f.Step), Field: string(f.Step)}
		}
		a, err := p.rp.FinishLogin(tx, f.ID, body)
		if anshin.ErrorCode(err) == anshin.ECodePasskeyRefused {
			refusal = err
			return p.audit(tx, a.Claimed, anshin.AuditPasskeyRefused, clientIP)
		}
		if err != nil {
			return err
		}
		if f.AccountID != "" && a.Passkey.AccountID != f.AccountID {
			refusal = anshin.Errorf(anshin.ECodePasskeyRefused, "the credential is another account's")
			return p.audit(tx, f.AccountID, anshin.AuditPasskeyRefused, clientIP)
		}
		ev.AccountID = a.Passkey.AccountID
		admins, err := tx.AdministratorsOfAccount(a.Passkey.AccountID)
		if err != nil {
			return err
		}
		res = &Choice{Next: anshin.StepGroup}
		f.Scope = nil
		for _, adm := range admins {
			if !a.Passkey.Opens(adm.GroupID) || slices.Contains(f.Scope, adm.GroupID) {
				continue
			}
			g, err := tx.Group(adm.GroupID)
			if err != nil {
				return err
			}
			f.Scope = append(f.Scope, g.ID)
			res.Groups = append(res.Groups, g.Choice())
		}
		if len(f.Scope) == 0 {
			refusal = anshin.Errorf(anshin.ECodeNotRegistered, "the passkey opens no group the account administers")
			res = nil
			return nil
		}
		f.AccountID, f.Step, f.Factor = a.Passkey.AccountID, anshin.StepGroup, anshin.MethodPasskey
		return tx.UpdateFlow(f, from)
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// audit records a passkey event in each group the account administers.
func (p *Passkeys) audit(tx anshin.Tx, accountID, kind, clientIP string) error {
	if accountID == "" {
		return nil
	}
	admins, err := tx.AdministratorsOfAccount(accountID)
	if err != nil {
		return err
	}
	for _, adm := range admins {
		if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: adm.GroupID, AccountID: accountID, Kind: kind, ClientIP: clientIP, At: p.s.now()}); err != nil {
			return err
		}
	}
	return nil
}

// Groups lists the groups a flow at the group choice may enter.
func (p *Passkeys) Groups(ctx context.Context, flowToken string) ([]anshin.GroupChoice, error) {
	var out []anshin.GroupChoice
	err := p.s.store.View(ctx, func(tx anshin.Tx) error {
		f, err := p.s.flow(tx, flowToken, anshin.StepGroup)
		if err != nil {
			return err
		}
		for _, id := range f.Scope {
			g, err := tx.Group(id)
			if err != nil {
				return err
			}
			out = append(out, g.Choice())
		}
		return nil
	})
	return out, flowGone(err)
}

// ChooseGroup enters a group the passkey opened: the initial password
// next when the first login asks for it (step 7), else a session whose
// scope is the passkey's groups (step 8).
func (p *Passkeys) ChooseGroup(ctx context.Context, flowToken, groupID, clientIP string) (_ *Result, err error) {
	ev := Event{Kind: EventGroupSwitch, Method: anshin.MethodPasskey, GroupID: groupID, ClientIP: clientIP}
	defer func() { p.s.emit(ctx, &ev, err); err = flowGone(err) }()
	if groupID == "" {
		return nil, anshin.FieldError("group_id", "choose a contract group")
	}
	var res *Result
	err = p.s.store.Update(ctx, func(tx anshin.Tx) error {
		f, err := p.s.flow(tx, flowToken, anshin.StepGroup)
		if err != nil {
			return err
		}
		ev.AccountID = f.AccountID
		adm, err := tx.Administrator(groupID, f.AccountID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound || (err == nil && !slices.Contains(f.Scope, groupID)) {
			return &anshin.Error{Code: anshin.ECodeGroupNotAllowed, Field: "group_id", Message: "the passkey does not open that group"}
		}
		if err != nil {
			return err
		}
		if adm.NeedsInitialPassword() {
			f.Step, f.GroupID = anshin.StepInitialPassword, groupID
			if err := tx.UpdateFlow(f, anshin.StepGroup); err != nil {
				return err
			}
			res = &Result{Next: anshin.StepInitialPassword, GroupID: groupID}
			return nil
		}
		res, err = p.s.signIn(tx, f, anshin.StepGroup, groupID, clientIP)
		return err
	})
	return res, err
}
