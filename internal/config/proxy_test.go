package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	c, err := Load(env(map[string]string{"ANSHIN_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::ffff:198.51.100.0/120,172.16.5.9/12"}), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("172.16.0.0/12"),
	}
	if !slices.Equal(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}
	if c, _ := Load(env(nil), false); len(c.TrustedProxies) != 0 {
		t.Errorf("without the variable: %v, want none", c.TrustedProxies)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.jp", "10.0.0.1-10.0.0.9", "fe80::1%eth0"} {
		_, err := Load(env(map[string]string{"ANSHIN_TRUSTED_PROXIES": "10.0.0.1," + bad}), false)
		if err == nil || !strings.Contains(err.Error(), "ANSHIN_TRUSTED_PROXIES:") {
			t.Errorf("%q: got %v, want an error naming ANSHIN_TRUSTED_PROXIES", bad, err)
		}
	}
}

func TestFlowsPerClient(t *testing.T) {
	c, err := Load(env(nil), false)
	if err != nil || c.Login.FlowsPerClient != 30 || c.Login.FlowsPerClientWindow <= 0 {
		t.Fatalf("default: %v %d per %v", err, c.Login.FlowsPerClient, c.Login.FlowsPerClientWindow)
	}
	if c, err := Load(env(map[string]string{"ANSHIN_FLOWS_PER_CLIENT": "0"}), false); err != nil || c.Login.FlowsPerClient != 0 {
		t.Errorf("0 (no limit): %v", err)
	}
	if _, err := Load(env(map[string]string{"ANSHIN_FLOWS_PER_CLIENT": "-1"}), false); err == nil || !strings.Contains(err.Error(), "ANSHIN_FLOWS_PER_CLIENT:") {
		t.Errorf("-1: got %v", err)
	}
}
