package login

import (
	"context"
	"crypto/subtle"
	"encoding/json"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// Steps 1 and 2 by an upstream OpenID Provider (SPEC §2, Upstream OpenID
// Connect). A federated flow starts at StepFederation holding its request
// to the provider; the callback takes it once (StepFederationReturned),
// and only a valid ID token moves it on to the key step.
const (
	StepFederation         anshin.Step = "federation"
	StepFederationReturned anshin.Step = "federation_returned"
	EventFederation                    = "federation"
)

// FederationRequest ties one authorization request to its callback: the
// state, the nonce and the PKCE code verifier. It rests sealed in the flow
// (in the place of the login ID, which the provider will tell), so the
// browser never holds more than its flow cookie.
type FederationRequest struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// StartFederation begins a login flow whose steps 1 and 2 the provider does.
func (s *Service) StartFederation(ctx context.Context, clientIP string) (_ string, _ FederationRequest, err error) {
	ev := Event{Kind: EventLoginStarted, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	req := FederationRequest{State: secret.NewToken(), Nonce: secret.NewToken(), Verifier: secret.NewToken()}
	sealed, err := json.Marshal(req)
	if err != nil {
		return "", req, err
	}
	flowToken := secret.NewToken()
	now := s.now()
	f := &anshin.Flow{ID: secret.TokenID(flowToken), SealedLoginID: s.keys.Seal(sealed), Step: StepFederation, ClientIP: clientIP, CreatedAt: now, ExpiresAt: now.Add(s.cfg.FlowTTL)}
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		if err := s.countFlow(tx, clientIP); err != nil {
			return err
		}
		return tx.CreateFlow(f)
	})
	return flowToken, req, err
}

// FinishFederation takes the flow's request for the callback that carries
// state, once: a second callback, or one after a wrong state, finds it
// taken. Then
// exchange (the provider's code for a checked ID token) names the login ID,
// and the flow goes on at the key step, with the account of that ID or, if
// none, with no account, so that issuing a key answers not_registered as
// for an unknown ID. Any failure leaves the flow taken: start again.
func (s *Service) FinishFederation(ctx context.Context, flowToken, state, clientIP string, exchange func(FederationRequest) (string, error)) (err error) {
	ev := Event{Kind: EventFederation, ClientIP: clientIP}
	defer func() { s.emit(ctx, &ev, err) }()
	badState := func(why string) error {
		return anshin.Errorf(anshin.ECodeFederationState, "state: %s", why)
	}
	var f *anshin.Flow
	var req FederationRequest
	var refused error // a wrong state: committed (the flow taken), then returned
	err = s.store.Update(ctx, func(tx anshin.Tx) error {
		refused = nil
		var err error
		if f, err = s.flow(tx, flowToken, StepFederation); err != nil {
			switch anshin.ErrorCode(err) {
			case anshin.ECodeFlowStep:
				return badState("the login flow already took its callback (replayed)")
			case anshin.ECodeFlowNotFound:
				return badState("no login flow for this browser")
			}
			return err
		}
		plain, err := s.keys.Open(f.SealedLoginID)
		if err != nil || json.Unmarshal(plain, &req) != nil {
			return badState("the flow's request cannot be opened")
		}
		if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(req.State)) != 1 {
			// A forged callback for this browser's flow: the flow is
			// spent, so the real callback cannot follow it in.
			refused = badState("does not match the login flow's")
		}
		f.Step = StepFederationReturned
		return tx.UpdateFlow(f, StepFederation)
	})
	if anshin.ErrorCode(err) == anshin.ECodeFlowStep {
		// Only UpdateFlow's can be left: the flow's own step is checked
		// above.
		err = badState("the login flow already took its callback (concurrent)")
	}
	if err == nil {
		err = refused
	}
	if err != nil {
		return err
	}
	loginID, err := exchange(req)
	if err != nil {
		return err
	}
	loginID = NormalizeLoginID(loginID)
	return s.store.Update(ctx, func(tx anshin.Tx) error {
		acct, err := tx.AccountByLoginID(loginID)
		switch {
		case anshin.ErrorCode(err) == anshin.ECodeNotFound:
			// Like an unknown ID: the key step answers not_registered.
		case err != nil:
			return err
		default:
			f.AccountID, ev.AccountID = acct.ID, acct.ID
		}
		f.Step = anshin.StepOneTimeKey
		return tx.UpdateFlow(f, StepFederationReturned)
	})
}

// noAccount is the key step's answer for a federated subject with no account.
func noAccount() *anshin.Error {
	return anshin.Errorf(anshin.ECodeNotRegistered, "the provider's subject has no account")
}
