package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientOf is the one place that decides who the client of r is, for the
// throttles, the audit log and the logs. Without trusted proxies, or when
// the socket's peer is not one, it is the peer and the forwarding headers
// are ignored: anyone can write them. When the peer is a trusted proxy,
// X-Forwarded-For or Forwarded (RFC 7239) is walked from the right, each
// trusted hop vouching for the one before it, and the first address that is
// not a trusted proxy is the client. A hop that cannot be read stops the
// walk at the trusted hop that wrote it: the client is then that proxy.
func clientOf(r *http.Request, trusted []netip.Prefix) (client string, peerTrusted bool) {
	peer, ok := peerAddr(r.RemoteAddr)
	if !ok {
		return hostOf(r.RemoteAddr), false
	}
	if !inPrefixes(peer, trusted) {
		return peer.String(), false
	}
	xff, fwd := r.Header.Values("X-Forwarded-For"), r.Header.Values("Forwarded")
	switch {
	case len(xff) == 0 && len(fwd) == 0:
		return peer.String(), true
	case len(fwd) == 0:
		return walkHops(peer, forwardedFor(xff), trusted).String(), true
	case len(xff) == 0:
		return walkHops(peer, forwardedRFC7239(fwd), trusted).String(), true
	}
	// A proxy that writes one header passes the other on as the client
	// sent it, so when both name different clients either may be forged:
	// the nearest trusted hop is all that is known.
	a, b := walkHops(peer, forwardedFor(xff), trusted), walkHops(peer, forwardedRFC7239(fwd), trusted)
	if a != b {
		return peer.String(), true
	}
	return a.String(), true
}

// walkHops returns the right-most hop that is not a trusted proxy, starting
// left of the trusted peer; hops are left to right, the zero Addr standing
// for one that cannot be read. If every hop is trusted, the left-most one
// is as far as anyone vouches for.
func walkHops(peer netip.Addr, hops []netip.Addr, trusted []netip.Prefix) netip.Addr {
	cur := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.IsValid() {
			return cur
		}
		if !inPrefixes(h, trusted) {
			return h
		}
		cur = h
	}
	return cur
}

func inPrefixes(a netip.Addr, list []netip.Prefix) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr reads the socket's peer ("ip:port").
func peerAddr(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return plainAddr(ap.Addr()), true
	}
	a, err := netip.ParseAddr(hostOf(remote))
	return plainAddr(a), err == nil
}

func hostOf(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// plainAddr drops a zone and writes an IPv4 client seen on an IPv6 socket
// as IPv4, so that one client has one name.
func plainAddr(a netip.Addr) netip.Addr { return a.WithZone("").Unmap() }

// forwardedFor reads X-Forwarded-For: addresses separated by commas, over
// one or more header lines.
func forwardedFor(values []string) []netip.Addr {
	var out []netip.Addr
	for _, v := range values {
		for _, hop := range strings.Split(v, ",") {
			out = append(out, hopAddr(strings.TrimSpace(hop)))
		}
	}
	return out
}

// forwardedRFC7239 reads the for= of each element of Forwarded headers,
// e.g. `for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"`. An
// element without a readable for= (unknown, an obfuscated name) is a hop
// that cannot be read.
func forwardedRFC7239(values []string) []netip.Addr {
	var out []netip.Addr
	for _, v := range values {
		for _, elem := range splitQuoted(v, ',') {
			var a netip.Addr
			for _, pair := range splitQuoted(elem, ';') {
				key, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(key), "for") {
					continue
				}
				val = strings.TrimSpace(val)
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = strings.ReplaceAll(val[1:len(val)-1], `\`, "")
				}
				a = hopAddr(val)
			}
			out = append(out, a)
		}
	}
	return out
}

// splitQuoted splits s at sep outside double quotes. An unclosed quote
// leaves the rest as one piece, which then does not read as an address.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// hopAddr reads one hop: 192.0.2.60, 2001:db8::1, [2001:db8::1],
// [2001:db8::1]:4711 or 192.0.2.60:4711; anything else is the zero Addr.
func hopAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return plainAddr(a)
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return plainAddr(ap.Addr())
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil && a.Is6() && a.Zone() == "" {
				return plainAddr(a)
			}
		}
	}
	return netip.Addr{}
}
