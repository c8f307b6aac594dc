package login_test

import (
	"sync"
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// federate starts a federated flow and finishes it as the provider would
// name loginID.
func (f *fixture) federate(loginID string) string {
	f.t.Helper()
	token, req, err := f.svc.StartFederation(f.ctx, clientIP)
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.svc.FinishFederation(f.ctx, token, req.State, clientIP, func(login.FederationRequest) (string, error) { return loginID, nil })
	if err != nil {
		f.t.Fatalf("FinishFederation: %v", err)
	}
	return token
}

func TestFederationGoesOnAtTheKeyStep(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.federate(taroID)
	_, key := f.issue(token, anshin.MethodSMS)
	f.deliver()
	if _, err := f.verify(token, key, "g1"); err != nil {
		t.Fatal(err)
	}
}

// A subject with no account is told not_registered at the key step, as an
// unknown ID would be, and never gets a key.
func TestFederationUnknownSubject(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.federate("nobody")
	opts, err := f.svc.Methods(f.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		if o.Available || o.Reason != anshin.ECodeNotRegistered {
			t.Errorf("method %+v for an unknown subject", o)
		}
	}
	_, err = f.svc.IssueKey(f.ctx, token, anshin.MethodSMS, "ja", clientIP)
	wantCode(t, err, anshin.ECodeNotRegistered)
	_, err = f.verify(token, "12345678", "g1")
	wantCode(t, err, anshin.ECodeNotRegistered)
}

// The state is taken once: a wrong state, a second callback, and two
// callbacks at once all leave at most one success.
func TestFederationStateIsSingleUse(t *testing.T) {
	f := newFixture(t)
	f.taro()
	ok := func(login.FederationRequest) (string, error) { return taroID, nil }
	token, req, err := f.svc.StartFederation(f.ctx, clientIP)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.FinishFederation(f.ctx, token, "wrong", clientIP, ok), anshin.ECodeFederationState)
	wantCode(t, f.svc.FinishFederation(f.ctx, token, req.State, clientIP, ok), anshin.ECodeFederationState) // taken by the wrong try

	// A failed exchange also takes the flow.
	token, req, _ = f.svc.StartFederation(f.ctx, clientIP)
	bad := func(login.FederationRequest) (string, error) {
		return "", anshin.Errorf(anshin.ECodeFederationToken, "expired")
	}
	wantCode(t, f.svc.FinishFederation(f.ctx, token, req.State, clientIP, bad), anshin.ECodeFederationToken)
	wantCode(t, f.svc.FinishFederation(f.ctx, token, req.State, clientIP, ok), anshin.ECodeFederationState)

	token, req, _ = f.svc.StartFederation(f.ctx, clientIP)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = f.svc.FinishFederation(f.ctx, token, req.State, clientIP, ok) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if anshin.ErrorCode(err) != anshin.ECodeFederationState {
			t.Errorf("a concurrent callback failed with %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent callbacks succeeded, want 1", won)
	}
}
