package web

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"), netip.MustParsePrefix("192.0.2.7/32")}
	for _, tt := range []struct {
		name, peer, xff, fwd string
		want                 string
		wantTrusted          bool
	}{
		{name: "no headers", peer: "198.51.100.1:5000", want: "198.51.100.1"},
		{name: "untrusted peer: X-Forwarded-For ignored", peer: "198.51.100.1:5000", xff: "203.0.113.9", want: "198.51.100.1"},
		{name: "untrusted peer: Forwarded ignored", peer: "198.51.100.1:5000", fwd: "for=203.0.113.9", want: "198.51.100.1"},
		{name: "untrusted IPv6 peer", peer: "[2001:db8:1::5]:5000", xff: "203.0.113.9", want: "2001:db8:1::5"},
		{name: "trusted peer, no headers", peer: "10.0.0.1:5000", want: "10.0.0.1", wantTrusted: true},
		{name: "trusted peer names the client", peer: "10.0.0.1:5000", xff: "203.0.113.9", want: "203.0.113.9", wantTrusted: true},
		{name: "right-most untrusted wins over a forged left part", peer: "10.0.0.1:5000", xff: "1.1.1.1, 203.0.113.9", want: "203.0.113.9", wantTrusted: true},
		{name: "several trusted hops", peer: "10.0.0.1:5000", xff: "1.1.1.1, 203.0.113.9, 192.0.2.7, 10.9.9.9", want: "203.0.113.9", wantTrusted: true},
		{name: "several header lines", peer: "10.0.0.1:5000", xff: "203.0.113.9\n10.2.2.2", want: "203.0.113.9", wantTrusted: true},
		{name: "every hop trusted", peer: "10.0.0.1:5000", xff: "10.3.3.3, 10.2.2.2", want: "10.3.3.3", wantTrusted: true},
		{name: "IPv6 hop with port", peer: "10.0.0.1:5000", xff: "[2001:db8:1::9]:4711", want: "2001:db8:1::9", wantTrusted: true},
		{name: "IPv4 hop with port", peer: "10.0.0.1:5000", xff: "203.0.113.9:4711", want: "203.0.113.9", wantTrusted: true},
		{name: "IPv4-mapped peer", peer: "[::ffff:10.0.0.1]:5000", xff: "203.0.113.9", want: "203.0.113.9", wantTrusted: true},
		{name: "trusted IPv6 peer", peer: "[2001:db8:ffff::1]:5000", xff: "2001:db8:1::9", want: "2001:db8:1::9", wantTrusted: true},
		{name: "Forwarded", peer: "10.0.0.1:5000", fwd: "for=192.0.2.60;proto=http;by=203.0.113.43", want: "192.0.2.60", wantTrusted: true},
		{name: "Forwarded quoted IPv6 with port", peer: "10.0.0.1:5000", fwd: `for="[2001:db8:cafe::17]:4711"`, want: "2001:db8:cafe::17", wantTrusted: true},
		{name: "Forwarded list and case", peer: "10.0.0.1:5000", fwd: `For=1.1.1.1, FOR="203.0.113.9";proto=https, for=10.2.2.2`, want: "203.0.113.9", wantTrusted: true},
		{name: "Forwarded quoted comma", peer: "10.0.0.1:5000", fwd: `for=203.0.113.9;host="a,b"`, want: "203.0.113.9", wantTrusted: true},
		{name: "both headers agree", peer: "10.0.0.1:5000", xff: "203.0.113.9", fwd: "for=203.0.113.9", want: "203.0.113.9", wantTrusted: true},
		{name: "both headers disagree: the trusted peer", peer: "10.0.0.1:5000", xff: "203.0.113.9", fwd: "for=1.1.1.1", want: "10.0.0.1", wantTrusted: true},

		// Garbage stops the walk at the trusted hop that wrote it.
		{name: "garbage", peer: "10.0.0.1:5000", xff: "not-an-address", want: "10.0.0.1", wantTrusted: true},
		{name: "empty header", peer: "10.0.0.1:5000", xff: " ", want: "10.0.0.1", wantTrusted: true},
		{name: "garbage behind a trusted hop", peer: "10.0.0.1:5000", xff: "203.0.113.9, junk, 10.2.2.2", want: "10.2.2.2", wantTrusted: true},
		{name: "garbage left of the client", peer: "10.0.0.1:5000", xff: "junk, 203.0.113.9", want: "203.0.113.9", wantTrusted: true},
		{name: "empty element", peer: "10.0.0.1:5000", xff: "203.0.113.9,,", want: "10.0.0.1", wantTrusted: true},
		{name: "zone", peer: "10.0.0.1:5000", xff: "fe80::1%eth0", want: "10.0.0.1", wantTrusted: true},
		{name: "bracketed IPv4", peer: "10.0.0.1:5000", xff: "[203.0.113.9]", want: "10.0.0.1", wantTrusted: true},
		{name: "Forwarded unknown", peer: "10.0.0.1:5000", fwd: "for=unknown", want: "10.0.0.1", wantTrusted: true},
		{name: "Forwarded obfuscated", peer: "10.0.0.1:5000", fwd: "for=_hidden, for=10.2.2.2", want: "10.2.2.2", wantTrusted: true},
		{name: "Forwarded without for", peer: "10.0.0.1:5000", fwd: "proto=https", want: "10.0.0.1", wantTrusted: true},
		{name: "Forwarded unclosed quote", peer: "10.0.0.1:5000", fwd: `for="203.0.113.9`, want: "10.0.0.1", wantTrusted: true},
		{name: "Forwarded unquoted IPv6", peer: "10.0.0.1:5000", fwd: "for=[2001:db8::1]:80", want: "2001:db8::1", wantTrusted: true},
		{name: "unreadable peer", peer: "@", xff: "203.0.113.9", want: "@"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				for _, line := range strings.Split(tt.xff, "\n") {
					r.Header.Add("X-Forwarded-For", line)
				}
			}
			if tt.fwd != "" {
				r.Header.Add("Forwarded", tt.fwd)
			}
			got, trustedPeer := clientOf(r, trusted)
			if got != tt.want || trustedPeer != tt.wantTrusted {
				t.Errorf("clientOf = %q, %v; want %q, %v", got, trustedPeer, tt.want, tt.wantTrusted)
			}
			// Without trusted proxies, always the peer.
			peer := hostOf(tt.peer)
			if a, ok := peerAddr(tt.peer); ok {
				peer = a.String()
			}
			if got, trustedPeer := clientOf(r, nil); got != peer || trustedPeer {
				t.Errorf("without trusted proxies: %q, %v; want the peer %q", got, trustedPeer, peer)
			}
		})
	}
}
