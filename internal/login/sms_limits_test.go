package login_test

import (
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// Limits against SMS pumping: per account, per destination number and in
// total, each answering rate_limited with when to retry; e-mail keys are
// not held by them.
func TestSMSPumpingLimits(t *testing.T) {
	f := newFixture(t, func(c *login.Config) {
		c.KeyCooldown, c.KeysPerAccountHour, c.KeysPerFlow = 0, 1000, 1000
		c.SMSPerAccountHour, c.SMSPerNumberHour, c.SMSGlobalHour = 3, 4, 6
	})
	f.taro()
	// hanako shares taro's line (a shared phone); jiro has his own.
	hanako := f.addAccount("hanako", "Hanak0-pass!word", taroLine, "hanako@example.jp")
	f.addAdmin("g1", hanako, anshin.RoleAdmin, "")
	jiro := f.addAccount("jiro", "J1ro-pass!word12", "+819099998888", "jiro@example.jp")
	f.addAdmin("g1", jiro, anshin.RoleAdmin, "")

	tTaro := f.toKeyStep(taroID, taroPassword)
	for range 3 {
		f.issue(tTaro, anshin.MethodSMS)
		f.clock.Advance(time.Minute)
	}
	_, err := f.svc.IssueKey(f.ctx, tTaro, anshin.MethodSMS, "ja", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.Equal(t0.Add(time.Hour)) || e.Limit != "sms_per_account" {
		t.Errorf("per account: RetryAt %v, limit %q; want %v, sms_per_account", e.RetryAt, e.Limit, t0.Add(time.Hour))
	}
	f.issue(tTaro, anshin.MethodEmail) // e-mail is not an SMS

	tHanako := f.toKeyStep("hanako", "Hanak0-pass!word")
	f.issue(tHanako, anshin.MethodSMS) // the number's fourth
	_, err = f.svc.IssueKey(f.ctx, tHanako, anshin.MethodSMS, "ja", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.Equal(t0.Add(time.Hour)) || e.Limit != "sms_per_number" {
		t.Errorf("per number: RetryAt %v, limit %q; want %v, sms_per_number", e.RetryAt, e.Limit, t0.Add(time.Hour))
	}

	tJiro := f.toKeyStep("jiro", "J1ro-pass!word12")
	f.issue(tJiro, anshin.MethodSMS)
	f.issue(tJiro, anshin.MethodSMS) // the sixth SMS of the hour
	_, err = f.svc.IssueKey(f.ctx, tJiro, anshin.MethodSMS, "ja", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); e.Limit != "sms_global" {
		t.Errorf("global: limit %q, want sms_global", e.Limit)
	}

	// An hour after the first, the window has room again.
	f.clock.Set(t0.Add(time.Hour + time.Second))
	f.issue(f.toKeyStep("jiro", "J1ro-pass!word12"), anshin.MethodSMS)
}
