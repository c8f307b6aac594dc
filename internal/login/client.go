package login

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// ClientKey is the name a client is throttled under: an IPv4 address as it
// is, an IPv6 address by its /64, since one subscriber is usually given a
// whole /64 and could otherwise step through its addresses to escape a
// limit. Anything else (not an address) is kept as it is.
func ClientKey(clientIP string) string {
	a, err := netip.ParseAddr(clientIP)
	if err != nil {
		return clientIP
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// countFlow counts one new flow of the client in a fixed window, across
// instances because the count is in the store, and refuses past the limit
// with when the window ends. A limit of 0 is no limit.
func (s *Service) countFlow(tx anshin.Tx, clientIP string) error {
	limit, window := s.cfg.FlowsPerClient, s.cfg.FlowsPerClientWindow
	if limit <= 0 || window <= 0 {
		return nil
	}
	now := s.now()
	start := now.Truncate(window)
	end := start.Add(window)
	// The window is in the name, so a new window starts from zero and the
	// old count expires on its own.
	name := "flows:client:" + ClientKey(clientIP) + ":" + strconv.FormatInt(start.Unix(), 10)
	n, _, err := tx.Throttle(name, now)
	if err != nil {
		return err
	}
	if n >= limit {
		return &anshin.Error{Code: anshin.ECodeRateLimited, Message: "too many login flows from this client; wait and try again", RetryAt: end, Limit: "flows_per_client"}
	}
	return tx.PutThrottle(name, n+1, time.Time{}, end)
}
