package operator

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/width"
)

// Limits of the operator's input. Passwords are bounded in bytes as well,
// because the login step refuses anything longer than 1024 bytes.
const (
	minPassword      = 8
	maxPasswordBytes = 1024
	maxContactEmails = 10
	maxManagement    = 32
	maxLicenses      = 1_000_000
	maxPhoneInput    = 32
)

var (
	groupIDPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	managementPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	// Phone input may carry the usual separators, nothing else: the parser
	// would otherwise read letters as a keypad number and "ext." as an
	// extension.
	phoneChars = regexp.MustCompile(`^\+?[0-9 ()-]+$`)
)

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

// checkEmails validates a list of addresses and drops duplicates, ignoring
// case, keeping the first spelling.
func checkEmails(field string, list []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for i, s := range list {
		a, err := anshin.CheckEmail(field+"["+strconv.Itoa(i)+"]", s)
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
	if c.Plan, err = anshin.CheckText("contract.plan", "contract plan", c.Plan, true); err != nil {
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
			if err := anshin.CheckInitialPassword("initial_password", in.InitialPassword); err != nil {
				return out, err
			}
		}
	default:
		return out, anshin.FieldError("role", `the role must be "representative" or "admin"`)
	}
	var err error
	if out.Name, err = anshin.CheckText("name", "name", in.Name, true); err != nil {
		return out, err
	}
	if out.Email, err = anshin.CheckOptionalEmail("email", in.Email); err != nil {
		return out, err
	}
	return out, nil
}
