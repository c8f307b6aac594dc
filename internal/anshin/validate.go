package anshin

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of what people type, shared by the operator API and the console.
const (
	MaxLoginID         = 128
	MaxEmail           = 254
	MaxText            = 100 // names, organization names, reasons
	minInitialPassword = 8
	maxInitialPassword = 128
)

// CheckEmail returns the address trimmed if it is a bare, deliverable-looking
// address (no display name, no comments, a dotted domain).
func CheckEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", FieldError(field, "the e-mail address is empty")
	}
	if len(s) > MaxEmail {
		return "", FieldError(field, "the e-mail address must be at most %d characters", MaxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", FieldError(field, "%q is not a valid e-mail address (write it bare, like taro@example.jp)", s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at <= 0 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(domain, "[]") {
		return "", FieldError(field, "%q is not a valid e-mail address: the domain must be a name like example.jp", s)
	}
	return s, nil
}

// CheckOptionalEmail is CheckEmail where an empty value means "not set".
func CheckOptionalEmail(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return CheckEmail(field, s)
}

// CheckInitialPassword checks an initial authentication password: 8 to 128
// characters with at least one letter and one digit.
func CheckInitialPassword(field, s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return FieldError(field, "the initial authentication password is not valid UTF-8")
	case n < minInitialPassword || n > maxInitialPassword:
		return FieldError(field, "the initial authentication password must be %d to %d characters", minInitialPassword, maxInitialPassword)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return FieldError(field, "the initial authentication password must not contain control characters")
	case strings.IndexFunc(s, unicode.IsLetter) < 0 || strings.IndexFunc(s, unicode.IsDigit) < 0:
		return FieldError(field, "the initial authentication password must contain at least one letter and one digit")
	}
	return nil
}

// CheckText trims s and checks its length in characters (at most MaxText);
// required makes the empty string an error. what names it in the message.
func CheckText(field, what, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		e := FieldError(field, "the %s is required", what)
		e.Missing = true
		return "", e
	case !utf8.ValidString(s):
		return "", FieldError(field, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > MaxText:
		return "", FieldError(field, "the %s must be at most %d characters", what, MaxText)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", FieldError(field, "the %s must not contain control characters", what)
	}
	return s, nil
}

// Normalize checks a CLOMO environment as the operator API and CLOMO 情報設定
// both take it, and returns it trimmed, in DefaultTimeZone when none is given.
func (c CLOMOEnvironment) Normalize() (CLOMOEnvironment, error) {
	var out CLOMOEnvironment
	var errs [4]error
	out.OrganizationName, errs[0] = CheckText("organization_name", "organization name", c.OrganizationName, true)
	out.ContactName, errs[1] = CheckText("contact_name", "contact name", c.ContactName, false)
	out.ContactEmail, errs[2] = CheckOptionalEmail("contact_email", c.ContactEmail)
	out.TimeZone = strings.TrimSpace(c.TimeZone)
	if out.TimeZone == "" {
		out.TimeZone = DefaultTimeZone
	}
	// "Local" would mean whatever the server runs in, and "" UTC: neither is
	// a tenant's time zone.
	if _, err := time.LoadLocation(out.TimeZone); err != nil || out.TimeZone == "Local" || len(out.TimeZone) > MaxText {
		errs[3] = FieldError("time_zone", "%q is not a known time zone (use an IANA name like Asia/Tokyo)", out.TimeZone)
	}
	return out, FieldErrors(errs[:]...)
}
