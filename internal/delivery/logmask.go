package delivery

import (
	"regexp"
	"strings"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// MaskRecipient is how a log line names a recipient: an address or number
// with most of it hidden.
func MaskRecipient(channel anshin.Method, to string) string {
	if channel == anshin.MethodSMS {
		return login.MaskPhone(to)
	}
	return login.MaskEmail(to)
}

var (
	addressLike = regexp.MustCompile(`[^\s<>"'(),;:\[\]]+@[A-Za-z0-9.-]+`)
	numberLike  = regexp.MustCompile(`\+?[0-9][0-9 ()-]{7,}[0-9]`)
)

// MaskText hides every e-mail address and phone number in text bound for
// the log, such as a server's answer, which often repeats the recipient.
func MaskText(s string) string {
	s = addressLike.ReplaceAllStringFunc(s, login.MaskEmail)
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
		return login.MaskPhone(digits)
	})
}
