package login_test

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func TestIssueKeyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fixture) // provisions the account "user" with password "pw"
		method anshin.Method
		want   string
		// masked is the Masked list a mail_notification_disabled error carries.
		masked []string
		// works is the other method, which stays available.
		works anshin.Method
	}{
		{
			name: "no group, sms",
			setup: func(f *fixture) {
				f.addAccount("user", "pw", "+819011112222", "user@example.jp")
			},
			method: anshin.MethodSMS, want: anshin.ECodeNotRegistered,
		},
		{
			name: "no group, email",
			setup: func(f *fixture) {
				f.addAccount("user", "pw", "+819011112222", "user@example.jp")
			},
			method: anshin.MethodEmail, want: anshin.ECodeNotRegistered,
		},
		{
			name: "carrier-free account, sms",
			setup: func(f *fixture) {
				a := f.addAccount("user", "pw", "", "user@example.jp")
				f.addGroup("g1", "+81311112222")
				f.addAdmin("g1", a, anshin.RoleRepresentative, "")
			},
			method: anshin.MethodSMS, want: anshin.ECodeCarrierFree, works: anshin.MethodEmail,
		},
		{
			name: "no address at all, email",
			setup: func(f *fixture) {
				a := f.addAccount("user", "pw", "+819011112222")
				f.addGroup("g1", "+81311112222")
				f.addAdmin("g1", a, anshin.RoleRepresentative, "")
			},
			method: anshin.MethodEmail, want: anshin.ECodeEmailNotSet, works: anshin.MethodSMS,
		},
		{
			name: "every administrator e-mail disabled",
			setup: func(f *fixture) {
				a := f.addAccount("user", "pw", "+819011112222", "contact@example.jp")
				f.addGroup("g1", "+81311112222")
				f.addGroup("g2", "+81311113333")
				f.addAdmin("g1", a, anshin.RoleRepresentative, "first.admin@example.jp")
				f.addAdmin("g2", a, anshin.RoleAdmin, "Second.Admin@example.jp")
				f.disableMail("first.admin@example.jp", "second.admin@EXAMPLE.jp")
			},
			method: anshin.MethodEmail, want: anshin.ECodeMailNotificationDisabled,
			masked: masked("first.admin@example.jp", "Second.Admin@example.jp"),
			works:  anshin.MethodSMS,
		},
		{
			name: "every contact e-mail disabled",
			setup: func(f *fixture) {
				a := f.addAccount("user", "pw", "+819011112222", "one@example.jp", "two@example.jp")
				f.addGroup("g1", "+81311112222")
				f.addAdmin("g1", a, anshin.RoleRepresentative, "")
				f.disableMail("one@example.jp", "two@example.jp")
			},
			method: anshin.MethodEmail, want: anshin.ECodeMailNotificationDisabled,
			masked: masked("one@example.jp", "two@example.jp"),
			works:  anshin.MethodSMS,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			token := f.start("user")
			opts, err := f.svc.Password(f.ctx, token, "pw", clientIP)
			if err != nil {
				t.Fatal(err)
			}
			again, err := f.svc.Methods(f.ctx, token)
			if err != nil || !reflect.DeepEqual(again, opts) {
				t.Errorf("Methods = %+v, %v; want what the password step answered, %+v", again, err, opts)
			}
			for _, o := range opts {
				if o.Method == tt.method && (o.Available || o.Reason != tt.want) {
					t.Errorf("method option %+v, want unavailable with reason %s", o, tt.want)
				}
			}

			_, err = f.svc.IssueKey(f.ctx, token, tt.method, "ja", clientIP)
			e := wantCode(t, err, tt.want)
			if tt.masked != nil {
				if !slices.Equal(e.Masked, tt.masked) {
					t.Errorf("Masked = %q, want %q", e.Masked, tt.masked)
				}
				for _, m := range e.Masked {
					if !strings.Contains(m, "*") {
						t.Errorf("Masked entry %q is not masked", m)
					}
				}
			}
			if ds := f.deliveries(token); len(ds) != 0 {
				t.Errorf("a refused issuance queued %d messages", len(ds))
			}
			if tt.works != "" {
				if _, err := f.svc.IssueKey(f.ctx, token, tt.works, "ja", clientIP); err != nil {
					t.Errorf("the other method %s: %v", tt.works, err)
				}
			}
		})
	}
}

func TestIssueKeyRejectsUnknownMethod(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	for _, m := range []anshin.Method{"", "fax", "SMS", "e-mail"} {
		_, err := f.svc.IssueKey(f.ctx, token, m, "ja", clientIP)
		if e := wantCode(t, err, anshin.ECodeMethodInvalid); e.Field != "method" {
			t.Errorf("method %q: field = %q, want method", m, e.Field)
		}
	}
	if ds := f.deliveries(token); len(ds) != 0 {
		t.Errorf("an invalid method queued %d messages", len(ds))
	}
}

func TestIssueKeyLimitPerFlow(t *testing.T) {
	f := newFixture(t)
	f.taro()
	token := f.toKeyStep(taroID, taroPassword)
	for i := 0; i < f.cfg.KeysPerFlow; i++ {
		f.issue(token, anshin.MethodSMS)
		f.clock.Advance(f.cfg.KeyCooldown)
	}
	_, err := f.svc.IssueKey(f.ctx, token, anshin.MethodSMS, "ja", clientIP)
	e := wantCode(t, err, anshin.ECodeRateLimited)
	if want := t0.Add(f.cfg.FlowTTL); !e.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want the flow's end %v", e.RetryAt, want)
	}
	// The limit is the flow's: a new login may issue.
	f.issue(f.toKeyStep(taroID, taroPassword), anshin.MethodSMS)
}

func TestIssueKeyCooldown(t *testing.T) {
	f := newFixture(t)
	f.taro()
	first := f.toKeyStep(taroID, taroPassword)
	second := f.toKeyStep(taroID, taroPassword)
	f.issue(first, anshin.MethodSMS)
	want := t0.Add(f.cfg.KeyCooldown)

	f.clock.Advance(f.cfg.KeyCooldown - time.Second)
	for name, token := range map[string]string{"same flow": first, "another flow of the account": second} {
		_, err := f.svc.IssueKey(f.ctx, token, anshin.MethodEmail, "ja", clientIP)
		if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.Equal(want) {
			t.Errorf("%s: RetryAt = %v, want last issue + cooldown = %v", name, e.RetryAt, want)
		}
	}
	f.clock.Set(want)
	f.issue(first, anshin.MethodEmail)
}

func TestIssueKeyLimitPerAccountHour(t *testing.T) {
	f := newFixture(t)
	f.taro()
	perHour, perFlow := f.cfg.KeysPerAccountHour, f.cfg.KeysPerFlow
	var token string
	for i := 0; i < perHour; i++ {
		if i%perFlow == 0 {
			token = f.toKeyStep(taroID, taroPassword)
		}
		f.issue(token, anshin.MethodSMS)
		f.clock.Advance(f.cfg.KeyCooldown)
	}
	retry := t0.Add(time.Hour) // an hour after the first key
	_, err := f.svc.IssueKey(f.ctx, f.toKeyStep(taroID, taroPassword), anshin.MethodSMS, "ja", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.Equal(retry) {
		t.Errorf("RetryAt = %v, want %v", e.RetryAt, retry)
	}

	f.clock.Set(retry.Add(-time.Second))
	token = f.toKeyStep(taroID, taroPassword)
	_, err = f.svc.IssueKey(f.ctx, token, anshin.MethodSMS, "ja", clientIP)
	if e := wantCode(t, err, anshin.ECodeRateLimited); !e.RetryAt.Equal(retry) {
		t.Errorf("a second before: RetryAt = %v, want %v", e.RetryAt, retry)
	}
	f.clock.Set(retry)
	f.issue(token, anshin.MethodSMS)
}

// The per-account limit holds when many logins issue at the same moment.
func TestIssueKeyConcurrentLogins(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.KeyCooldown = 0; c.KeysPerAccountHour = 5 })
	acct := f.taro()
	const n = 20
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = f.toKeyStep(taroID, taroPassword)
	}
	codes := make(chan string, n)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for _, token := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			_, err := f.svc.IssueKey(f.ctx, token, anshin.MethodSMS, "ja", clientIP)
			codes <- anshin.ErrorCode(err)
		}()
	}
	close(begin)
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count[""] != 5 || count[anshin.ECodeRateLimited] != n-5 {
		t.Errorf("answers %v: want exactly 5 keys issued and %d rate_limited", count, n-5)
	}
	var c anshin.KeyCounts
	f.view(func(tx anshin.Tx) (err error) {
		c, err = tx.CountKeys("", acct.ID, t0.Add(-time.Hour), 1000)
		return err
	})
	if c.PerAccount != 5 {
		t.Errorf("store holds %d keys for the account, want 5", c.PerAccount)
	}
}

func TestIssueKeyOffersOnlyTheAccountsGroups(t *testing.T) {
	f := newFixture(t)
	taro := f.taro() // representative of g1
	f.addGroup("g2", "+81322223333")
	f.addAdmin("g2", taro, anshin.RoleAdmin, "")
	f.setCLOMO("g1", "株式会社あんしん")
	hanako := f.addAccount("hanako", "hanako-pass", "+819087654321")
	f.addGroup("g3", "+81333334444")
	f.addAdmin("g3", hanako, anshin.RoleRepresentative, "")

	token := f.toKeyStep(taroID, taroPassword)
	iss, key := f.issue(token, anshin.MethodSMS)
	if len(iss.Groups) != 2 {
		t.Fatalf("groups = %+v, want g1 and g2 only", iss.Groups)
	}
	g1, g2 := iss.Groups[0], iss.Groups[1]
	if g1.GroupID != "g1" || g1.RepresentativeNumber != "+81312345678" || g1.OrganizationName == nil || *g1.OrganizationName != "株式会社あんしん" {
		t.Errorf("g1 choice = %+v (organization %v), want its representative number and organization name", g1, g1.OrganizationName)
	}
	if g2.GroupID != "g2" || g2.RepresentativeNumber != "+81322223333" || g2.OrganizationName != nil {
		t.Errorf("g2 choice = %+v, want its representative number and no organization name", g2)
	}
	if !iss.ExpiresAt.Equal(t0.Add(f.cfg.KeyTTL)) {
		t.Errorf("ExpiresAt = %v, want now + KeyTTL", iss.ExpiresAt)
	}
	if len(iss.SentTo) != 1 || iss.SentTo[0] != anshin.MaskPhone(taroLine) {
		t.Errorf("SentTo = %q, want the masked docomo line", iss.SentTo)
	}

	for _, g := range []string{"g3", "no-such-group"} {
		_, err := f.verify(token, key, g)
		if e := wantCode(t, err, anshin.ECodeGroupNotAllowed); e.Field != "group_id" {
			t.Errorf("%s: field = %q, want group_id", g, e.Field)
		}
	}
	// The key survives a refused group.
	res, err := f.verify(token, key, "g2")
	if err != nil {
		t.Fatalf("right key after group_not_allowed: %v", err)
	}
	signed, err := f.svc.Session(f.ctx, res.SessionToken)
	if err != nil || signed.Group.ID != "g2" {
		t.Fatalf("session = %+v, %v; want a session in g2", signed, err)
	}
	if a := f.account(taro.ID); a.KeyFailures != 0 {
		t.Errorf("a refused group counted %d key failures", a.KeyFailures)
	}
}
