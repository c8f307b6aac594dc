package anshin

import (
	"regexp"
	"strings"
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

// MaskEmails masks each address.
func MaskEmails(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = MaskEmail(a)
	}
	return out
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

// MaskDestination masks where a message of the method goes: a number or
// an address. Pages, the audit log and log lines all name destinations so.
func MaskDestination(method Method, to string) string {
	if method == MethodSMS {
		return MaskPhone(to)
	}
	return MaskEmail(to)
}

var (
	addressLike = regexp.MustCompile(`[^\s<>"'(),;:\[\]]+@[A-Za-z0-9.-]+`)
	numberLike  = regexp.MustCompile(`\+?[0-9][0-9 ()-]{7,}[0-9]`)
)

// MaskText hides every e-mail address and phone number in text bound for
// the log, such as a server's answer, which often repeats the recipient.
func MaskText(s string) string {
	s = addressLike.ReplaceAllStringFunc(s, MaskEmail)
	return numberLike.ReplaceAllStringFunc(s, func(n string) string {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, n)
		if len(strings.TrimPrefix(digits, "+")) < 10 {
			return n // a date or a code, not a number anyone is reached at
		}
		return MaskPhone(digits)
	})
}
