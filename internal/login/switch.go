package login

import (
	"context"
	"encoding/json"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// SwitchResult is the answer of a group switch: either a new session in
// the group, or a login flow at the initial password step (SPEC §2 step 7
// still applies to a switch).
type SwitchResult struct {
	Next         anshin.Step `json:"next"`
	SessionToken string      `json:"session_token,omitempty"`
	FlowToken    string      `json:"flow_id,omitempty"` // the new flow's secret, when step 7 follows
}

// SwitchGroup moves the signed-in account behind sessionToken to another group it
// administers and the sign-in's second factor opened, without a new key. The current session always ends: the
// account gets a fresh session identifier (no fixation) that keeps the old
// absolute end, or, when its first login to the group is pending, a flow
// at the initial password step whose success signs it in there.
func (s *Service) SwitchGroup(ctx context.Context, sessionToken, groupID, clientIP string) (_ *SwitchResult, err error) {
	ev := Event{Kind: EventGroupSwitch, GroupID: groupID, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	si, err := s.Session(ctx, sessionToken)
	if err != nil {
		return nil, err
	}
	ev.AccountID = si.Account.ID
	if groupID == "" || len(groupID) > 64 {
		return nil, anshin.FieldError("group_id", "choose a group")
	}
	if groupID == si.Group.ID {
		return nil, &anshin.Error{Code: anshin.ECodeConflict, Field: "group_id", Message: "the session is already in this group"}
	}
	var res *SwitchResult
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		now := s.now()
		old, err := tx.Session(si.Session.ID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return anshin.Errorf(anshin.ECodeUnauthorized, "sign in first")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Administrator(old.GroupID, old.AccountID); anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return anshin.Errorf(anshin.ECodeUnauthorized, "sign in first")
		} else if err != nil {
			return err
		}
		adm, err := tx.Administrator(groupID, old.AccountID)
		if anshin.ErrorCode(err) == anshin.ECodeNotFound {
			return anshin.Errorf(anshin.ECodeGroupNotAllowed, "the account does not administer that group")
		}
		if err != nil {
			return err
		}
		// A key from one group's address must not lead into another group
		// (SPEC §4): only the groups the sign-in's second factor opened.
		if !old.Opens(groupID) {
			return &anshin.Error{Code: anshin.ECodeNewLoginRequired, Field: "group_id", Message: "the key of this sign-in does not open that group; sign in again for it"}
		}
		if old.Factor != anshin.MethodPasskey {
			g, err := tx.Group(groupID)
			if err != nil {
				return err
			}
			if g.PasskeyRequired {
				return &anshin.Error{Code: anshin.ECodePasskeyRequired, Field: "group_id", Message: "the group requires a passkey sign-in"}
			}
		}
		pending := adm.NeedsInitialPassword()
		if pending {
			if err := s.initialPasswordOpen(adm, now); err != nil {
				return err
			}
		}
		if err := tx.DeleteSession(old.ID); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"from": old.GroupID, "to": groupID, "initial_password_required": pending})
		for _, g := range []string{old.GroupID, groupID} {
			if err := tx.AppendAudit(&anshin.AuditEvent{GroupID: g, AccountID: old.AccountID, Kind: anshin.AuditGroupSwitched, Detail: string(detail), ClientIP: clientIP, At: now}); err != nil {
				return err
			}
		}
		if pending {
			ft := secret.NewToken()
			f := &anshin.Flow{ID: secret.TokenID(ft), AccountID: old.AccountID, Step: anshin.StepInitialPassword,
				GroupID: groupID, Scope: old.Scope, Factor: old.Factor, ClientIP: clientIP, CreatedAt: now, ExpiresAt: now.Add(s.cfg.FlowTTL)}
			res = &SwitchResult{Next: anshin.StepInitialPassword, FlowToken: ft}
			return tx.CreateFlow(f)
		}
		nt := secret.NewToken()
		res = &SwitchResult{Next: anshin.StepDone, SessionToken: nt}
		return tx.CreateSession(&anshin.Session{ID: secret.TokenID(nt), AccountID: old.AccountID, GroupID: groupID, Scope: old.Scope, Factor: old.Factor,
			CreatedAt: old.CreatedAt, LastSeenAt: now, ExpiresAt: old.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
