package anshin

import (
	"strings"
	"testing"
)

func TestMaskTextHidesAddressesAndNumbers(t *testing.T) {
	for _, c := range []struct{ in, gone, kept string }{
		{"550 5.1.1 <yamada.taro@example.co.jp>: Recipient address rejected", "yamada.taro@", "5.1.1"},
		{"twilio: HTTP 400, error 21211: The 'To' number +819012345678 is not valid", "9012345678", "21211"},
		{"sms webhook: HTTP 500: no route to 090-1234-5678 today", "1234-5678", "HTTP 500"},
		{"retry after 2026-11-25", "", "2026-11-25"},
	} {
		got := MaskText(c.in)
		if c.gone != "" && strings.Contains(got, c.gone) || !strings.Contains(got, c.kept) {
			t.Errorf("MaskText(%q) = %q", c.in, got)
		}
	}
	if got := MaskDestination(MethodSMS, "+819012345678"); got != "090-****-5678" {
		t.Errorf("MaskDestination(sms) = %q", got)
	}
	if got := MaskDestination(MethodEmail, "yamada.taro@example.co.jp"); strings.Contains(got, "yamada") {
		t.Errorf("MaskDestination(email) = %q", got)
	}
}

// Masking keeps two characters of a local part and hides at least three;
// a number shows its national prefix and last four digits.
func TestMasking(t *testing.T) {
	for in, want := range map[string]string{
		"taro.yamada@example.jp": "ta*********@example.jp",
		"ab@example.jp":          "a***@example.jp",
		"a@example.jp":           "***@example.jp",
		"no-at-sign":             "**********",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"+819012345678": "090-****-5678",
		"+819012345":    "090-****-2345", // 8 digits nationally: the shortest shown
		"+81901234":     "*******",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
