package login_test

import (
	"testing"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

func TestClientKey(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"192.0.2.10", "192.0.2.10"},
		{"::ffff:192.0.2.10", "192.0.2.10"}, // an IPv4 client seen on an IPv6 socket
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"2001:DB8:1:2::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""},
		{"not-an-address", "not-an-address"},
	} {
		if got := login.ClientKey(tt.in); got != tt.want {
			t.Errorf("ClientKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Two addresses of one /64 are one client to the per-client password
// throttle; another /64 is another client.
func TestPasswordThrottlePerIPv6Prefix(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.PasswordFailuresPerClient = 3 })
	f.taro()
	const a1, a2, other = "2001:db8:1:2::1", "2001:db8:1:2:abcd::9", "2001:db8:1:3::1"
	for i, ip := range []string{a1, a2, a1} {
		token, err := f.svc.Start(f.ctx, "guess-"+string(rune('a'+i)), ip)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Password(f.ctx, token, "guess", ip)
		wantCode(t, err, anshin.ECodeInvalidCredentials)
	}
	token, _ := f.svc.Start(f.ctx, taroID, a2)
	_, err := f.svc.Password(f.ctx, token, taroPassword, a2)
	if e := wantCode(t, err, anshin.ECodeRateLimited); e.Limit != "password_per_client" {
		t.Errorf("limit %q, want password_per_client", e.Limit)
	}
	token, _ = f.svc.Start(f.ctx, taroID, other)
	if _, err := f.svc.Password(f.ctx, token, taroPassword, other); err != nil {
		t.Errorf("a client in another /64 is throttled by the first one's failures: %v", err)
	}
}

// Starting flows is limited per client (by /64), with when to retry, and
// the count starts again in the next window.
func TestFlowsPerClientLimit(t *testing.T) {
	f := newFixture(t, func(c *login.Config) { c.FlowsPerClient = 3 })
	const a1, a2, other = "2001:db8:1:2::1", "2001:db8:1:2::2", "198.51.100.7"
	for _, ip := range []string{a1, a2, a1} {
		if _, err := f.svc.Start(f.ctx, taroID, ip); err != nil {
			t.Fatalf("flow from %s: %v", ip, err)
		}
	}
	_, err := f.svc.Start(f.ctx, taroID, a2)
	e := wantCode(t, err, anshin.ECodeRateLimited)
	if e.Limit != "flows_per_client" || !e.RetryAt.After(f.clock.Now()) {
		t.Errorf("limit %q retry at %v, want flows_per_client after %v", e.Limit, e.RetryAt, f.clock.Now())
	}
	if _, err := f.svc.Start(f.ctx, taroID, other); err != nil {
		t.Errorf("another client cannot start a flow: %v", err)
	}
	f.clock.Set(e.RetryAt.Add(-1))
	_, err = f.svc.Start(f.ctx, taroID, a1)
	wantCode(t, err, anshin.ECodeRateLimited)
	f.clock.Set(e.RetryAt)
	if _, err := f.svc.Start(f.ctx, taroID, a1); err != nil {
		t.Errorf("a flow once the wait passed: %v", err)
	}
}
