package provision

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/width"
)

// Limits of the operator's input. Passwords are bounded in bytes as well,
// because the login step refuses anything longer than 1024 bytes.
const (
	maxLoginID         = 128
	minPassword        = 8
	maxPasswordBytes   = 1024
	minInitialPassword = 8
	maxInitialPassword = 128
	maxEmail           = 254
	maxContactEmails   = 10
	maxText            = 100
	maxManagement      = 32
	maxLicenses        = 1_000_000
	maxPhoneInput      = 32
	defaultTimeZone    = "Asia/Tokyo"
)

var (
	groupIDPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	managementPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	// Phone input may carry the usual separators, nothing else: the parser
	// would otherwise read letters as a keypad number and "ext." as an
	// extension.
	phoneChars = regexp.MustCompile(`^\+?[0-9 ()-]+$`)
)

// NormalizeLoginID is the one form in which login IDs are stored and
// looked up: the login step's normalization (trimmed, full-width folded),
// then checked for 1..128 characters without spaces or control characters.
func NormalizeLoginID(id string) (string, error) {
	id = login.NormalizeLoginID(id)
	switch {
	case id == "":
		return "", anshin.FieldError("login_id", "the login ID is required")
	case !utf8.ValidString(id):
		return "", anshin.FieldError("login_id", "the login ID is not valid UTF-8")
	case utf8.RuneCountInString(id) > maxLoginID:
		return "", anshin.FieldError("login_id", "the login ID must be at most %d characters", maxLoginID)
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", anshin.FieldError("login_id", "the login ID must not contain spaces or control characters")
	}
	return id, nil
}

// CheckGroupID checks a contract group's identifier.
func CheckGroupID(id string) error {
	if !groupIDPattern.MatchString(id) {
		return anshin.FieldError("group_id", "the group ID must be 1 to 64 characters of letters, digits, '_' and '-', starting with a letter or digit")
	}
	return nil
}

// NormalizeDocomoLine parses a Japanese mobile number as people write it
// (090-1234-5678, 09012345678, +819012345678, full-width digits) and
// returns it in E.164. SMS keys go only to this number, so anything that
// is not a valid mobile number is refused rather than guessed at.
func NormalizeDocomoLine(field, s string) (string, error) {
	num, err := parseJapaneseNumber(field, s, "docomo line")
	if err != nil {
		return "", err
	}
	if phonenumbers.GetNumberType(num) != phonenumbers.MOBILE {
		return "", anshin.FieldError(field, "the docomo line must be a Japanese mobile number (070, 080 or 090)")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// NormalizePhoneNumber parses a Japanese phone number of any type (a
// representative number is usually a landline) and returns it in E.164.
func NormalizePhoneNumber(field, s string) (string, error) {
	num, err := parseJapaneseNumber(field, s, "phone number")
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func parseJapaneseNumber(field, s, what string) (*phonenumbers.PhoneNumber, error) {
	s = strings.TrimSpace(width.Fold.String(strings.TrimSpace(s)))
	// Japanese input methods also produce these dashes.
	s = strings.NewReplacer("‐", "-", "−", "-", "ー", "-", "―", "-").Replace(s)
	if s == "" {
		return nil, anshin.FieldError(field, "the %s is required", what)
	}
	if len(s) > maxPhoneInput || !phoneChars.MatchString(s) {
		return nil, anshin.FieldError(field, "the %s may contain only digits, a leading '+', spaces, '-' and parentheses", what)
	}
	num, err := phonenumbers.Parse(s, "JP")
	if err != nil || num.GetExtension() != "" {
		return nil, anshin.FieldError(field, "the %s is not a phone number", what)
	}
	if num.GetCountryCode() != 81 || phonenumbers.GetRegionCodeForNumber(num) != "JP" {
		return nil, anshin.FieldError(field, "the %s must be a Japanese number", what)
	}
	if !phonenumbers.IsValidNumber(num) {
		return nil, anshin.FieldError(field, "the %s is not a valid Japanese number", what)
	}
	return num, nil
}

// CheckEmail returns the address trimmed if it is a bare, deliverable-looking
// address (no display name, no comments, a dotted domain).
func CheckEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", anshin.FieldError(field, "the e-mail address is empty")
	}
	if len(s) > maxEmail {
		return "", anshin.FieldError(field, "the e-mail address must be at most %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", anshin.FieldError(field, "%q is not a valid e-mail address (write it bare, like taro@example.jp)", s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at <= 0 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(domain, "[]") {
		return "", anshin.FieldError(field, "%q is not a valid e-mail address: the domain must be a name like example.jp", s)
	}
	return s, nil
}

// checkEmails validates a list of addresses and drops duplicates, ignoring
// case, keeping the first spelling.
func checkEmails(field string, list []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for i, s := range list {
		a, err := CheckEmail(field+"["+strconv.Itoa(i)+"]", s)
		if err != nil {
			return nil, err
		}
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	if len(out) > maxContactEmails {
		return nil, anshin.FieldError(field, "at most %d contact e-mail addresses may be set", maxContactEmails)
	}
	return out, nil
}

// checkOptionalEmail is CheckEmail where an empty value means "not set".
func checkOptionalEmail(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return CheckEmail(field, s)
}

func checkPassword(field, s string) error {
	switch {
	case !utf8.ValidString(s):
		return anshin.FieldError(field, "the password is not valid UTF-8")
	case utf8.RuneCountInString(s) < minPassword:
		return anshin.FieldError(field, "the password must be at least %d characters", minPassword)
	case len(s) > maxPasswordBytes:
		return anshin.FieldError(field, "the password must be at most %d bytes", maxPasswordBytes)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return anshin.FieldError(field, "the password must not contain control characters")
	}
	return nil
}

// CheckInitialPassword checks an initial authentication password: 8 to 128
// characters with at least one letter and one digit.
func CheckInitialPassword(field, s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return anshin.FieldError(field, "the initial authentication password is not valid UTF-8")
	case n < minInitialPassword || n > maxInitialPassword:
		return anshin.FieldError(field, "the initial authentication password must be %d to %d characters", minInitialPassword, maxInitialPassword)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return anshin.FieldError(field, "the initial authentication password must not contain control characters")
	case strings.IndexFunc(s, unicode.IsLetter) < 0 || strings.IndexFunc(s, unicode.IsDigit) < 0:
		return anshin.FieldError(field, "the initial authentication password must contain at least one letter and one digit")
	}
	return nil
}

// checkText trims s and checks its length in characters; required makes
// the empty string an error.
func checkText(field, what, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", anshin.FieldError(field, "the %s is required", what)
	case !utf8.ValidString(s):
		return "", anshin.FieldError(field, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > maxText:
		return "", anshin.FieldError(field, "the %s must be at most %d characters", what, maxText)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", anshin.FieldError(field, "the %s must not contain control characters", what)
	}
	return s, nil
}

// validate checks an account body and returns it normalized. Whether a
// password is required depends on whether the account exists, which only
// the transaction knows.
func (in AccountInput) validate() (AccountInput, error) {
	out := AccountInput{Kind: in.Kind, Password: in.Password}
	switch anshin.AccountKind(in.Kind) {
	case anshin.KindDAccount, anshin.KindBusinessDAccount:
	default:
		return out, anshin.FieldError("kind", `the kind must be "d_account" or "business_d_account"`)
	}
	if in.Password != "" {
		if err := checkPassword("password", in.Password); err != nil {
			return out, err
		}
	}
	if strings.TrimSpace(in.DocomoLine) != "" {
		line, err := NormalizeDocomoLine("docomo_line", in.DocomoLine)
		if err != nil {
			return out, err
		}
		out.DocomoLine = line
	}
	emails, err := checkEmails("contact_emails", in.ContactEmails)
	if err != nil {
		return out, err
	}
	out.ContactEmails = emails
	return out, nil
}

func (in GroupInput) validate() (GroupInput, error) {
	var out GroupInput
	out.ManagementNumber = strings.TrimSpace(in.ManagementNumber)
	if out.ManagementNumber == "" {
		return out, anshin.FieldError("management_number", "the management number is required")
	}
	if !managementPattern.MatchString(out.ManagementNumber) {
		return out, anshin.FieldError("management_number", "the management number must be 1 to %d characters of letters, digits and '-'", maxManagement)
	}
	rep, err := NormalizePhoneNumber("representative_number", in.RepresentativeNumber)
	if err != nil {
		return out, err
	}
	out.RepresentativeNumber = rep
	c := in.Contract
	if c.Plan, err = checkText("contract.plan", "contract plan", c.Plan, true); err != nil {
		return out, err
	}
	if c.Licenses < 0 || c.Licenses > maxLicenses {
		return out, anshin.FieldError("contract.licenses", "the number of licenses must be 0 to %d", maxLicenses)
	}
	c.StartDate = strings.TrimSpace(c.StartDate)
	if c.StartDate != "" {
		if _, err := time.Parse(time.DateOnly, c.StartDate); err != nil {
			return out, anshin.FieldError("contract.start_date", "the start date must be a date written YYYY-MM-DD")
		}
	}
	switch c.Status {
	case "":
		c.Status = "active"
	case "active", "suspended", "terminated":
	default:
		return out, anshin.FieldError("contract.status", `the contract status must be "active", "suspended" or "terminated"`)
	}
	out.Contract = c
	return out, nil
}

func (in AdminInput) validate() (AdminInput, error) {
	out := AdminInput{Role: in.Role, InitialPassword: in.InitialPassword}
	switch anshin.Role(in.Role) {
	case anshin.RoleRepresentative:
		if in.InitialPassword != "" {
			return out, anshin.FieldError("initial_password", "a representative administrator has no initial authentication password; omit it")
		}
	case anshin.RoleAdmin:
		if in.InitialPassword != "" {
			if err := CheckInitialPassword("initial_password", in.InitialPassword); err != nil {
				return out, err
			}
		}
	default:
		return out, anshin.FieldError("role", `the role must be "representative" or "admin"`)
	}
	var err error
	if out.Name, err = checkText("name", "name", in.Name, true); err != nil {
		return out, err
	}
	if out.Email, err = checkOptionalEmail("email", in.Email); err != nil {
		return out, err
	}
	return out, nil
}

// Validate checks a CLOMO environment as the operator API and CLOMO 情報設定
// both take it, and returns it normalized.
func (in CLOMOInput) Validate() (anshin.CLOMOEnvironment, error) {
	out, err := in.validate()
	return anshin.CLOMOEnvironment(out), err
}

func (in CLOMOInput) validate() (CLOMOInput, error) {
	var out CLOMOInput
	var err error
	if out.OrganizationName, err = checkText("organization_name", "organization name", in.OrganizationName, true); err != nil {
		return out, err
	}
	if out.ContactName, err = checkText("contact_name", "contact name", in.ContactName, false); err != nil {
		return out, err
	}
	if out.ContactEmail, err = checkOptionalEmail("contact_email", in.ContactEmail); err != nil {
		return out, err
	}
	out.TimeZone = strings.TrimSpace(in.TimeZone)
	if out.TimeZone == "" {
		out.TimeZone = defaultTimeZone
	}
	// "Local" would mean whatever the server runs in, and "" UTC: neither is
	// a tenant's time zone.
	if _, err := time.LoadLocation(out.TimeZone); err != nil || out.TimeZone == "Local" || len(out.TimeZone) > maxText {
		return out, anshin.FieldError("time_zone", "%q is not a known time zone (use an IANA name like Asia/Tokyo)", out.TimeZone)
	}
	return out, nil
}
