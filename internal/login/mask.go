package login

import (
	"strings"

	"github.com/anshin/anshin/internal/anshin"
)

// MaskEmail hides most of the local part: taro.yamada@example.jp →
// ta*********@example.jp.
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return strings.Repeat("*", len(addr))
	}
	keep := min(2, len(local)/2)
	return local[:keep] + strings.Repeat("*", max(len(local)-keep, 3)) + "@" + domain
}

// MaskPhone shows a Japanese E.164 number nationally with the middle
// hidden: +819012345678 → 090-****-5678.
func MaskPhone(e164 string) string {
	n := e164
	if rest, ok := strings.CutPrefix(n, "+81"); ok {
		n = "0" + rest
	}
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:3] + "-****-" + n[len(n)-4:]
}

func maskAll(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = MaskEmail(a)
	}
	return out
}

// mask masks a destination of the method: a number or an address.
func mask(method anshin.Method, to string) string {
	if method == anshin.MethodSMS {
		return MaskPhone(to)
	}
	return MaskEmail(to)
}
