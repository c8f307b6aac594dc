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
