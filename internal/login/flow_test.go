package login_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// step calls one step of the flow behind token with plausible input, so a
// test can see which error the flow itself answers.
type step struct {
	name string
	call func(f *fixture, token string) error
}

var steps = []step{
	{"password", func(f *fixture, token string) error {
		_, err := f.svc.Password(f.ctx, token, taroPassword, clientIP)
		return err
	}},
	{"issue key", func(f *fixture, token string) error {
		_, err := f.svc.IssueKey(f.ctx, token, anshin.MethodSMS, "ja", clientIP)
		return err
	}},
	{"verify", func(f *fixture, token string) error {
		_, err := f.svc.Verify(f.ctx, token, "12345678", "g1", clientIP)
		return err
	}},
	{"initial password", func(f *fixture, token string) error {
		_, err := f.svc.InitialPassword(f.ctx, token, "whatever", clientIP)
		return err
	}},
}

func TestFlowNotFound(t *testing.T) {
	f := newFixture(t)
	f.taro()
	for _, s := range steps {
		for _, token := range []string{"", "no-such-flow", strings.Repeat("x", 129)} {
			wantCode(t, s.call(f, token), anshin.ECodeFlowNotFound)
		}
	}
	if _, err := f.svc.Flow(f.ctx, "no-such-flow"); anshin.ErrorCode(err) != anshin.ECodeFlowNotFound {
		t.Errorf("Flow(unknown) = %v, want flow_not_found", err)
	}
}

func TestFlowExpires(t *testing.T) {
	f := newFixture(t)
	f.taro()
	atPassword := f.start(taroID)
	atKey := f.toKeyStep(taroID, taroPassword)
	f.clock.Advance(f.cfg.FlowTTL)
	for _, s := range steps {
		for _, token := range []string{atPassword, atKey} {
			wantCode(t, s.call(f, token), anshin.ECodeFlowExpired)
		}
	}

	// A moment before its end the flow still answers.
	token := f.start(taroID)
	f.clock.Advance(f.cfg.FlowTTL - time.Millisecond)
	if _, err := f.svc.Password(f.ctx, token, taroPassword, clientIP); err != nil {
		t.Errorf("password a moment before the flow's end: %v", err)
	}
}

func TestFlowStepOrder(t *testing.T) {
	f := newFixture(t)
	f.jiro()
	atPassword := f.start(jiroID)
	atKey := f.toKeyStep(jiroID, jiroPassword)
	atInitial := f.toInitialStep()
	f.clock.Advance(f.cfg.KeyCooldown)
	done := f.toKeyStep(taroID, taroPassword)
	_, key := f.issue(done, anshin.MethodSMS)
	if _, err := f.verify(done, key, "g1"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		token string
		at    anshin.Step
		wrong []string // steps that must answer flow_step_invalid
	}{
		{atPassword, anshin.StepPassword, []string{"issue key", "verify", "initial password"}},
		{atKey, anshin.StepOneTimeKey, []string{"password", "initial password"}},
		{atInitial, anshin.StepInitialPassword, []string{"password", "issue key", "verify"}},
		{done, anshin.StepDone, []string{"password", "issue key", "verify", "initial password"}},
	}
	for _, tt := range tests {
		for _, name := range tt.wrong {
			for _, s := range steps {
				if s.name == name {
					err := s.call(f, tt.token)
					if e := wantCode(t, err, anshin.ECodeFlowStep); e.Field != string(tt.at) {
						t.Errorf("%s at step %s: field = %q, want the current step", name, tt.at, e.Field)
					}
				}
			}
		}
	}
}
