package bounce

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
)

// FuzzParse feeds the parser arbitrary messages, seeded with the corpus:
// it must never panic; whatever it reads must be a known kind with
// verdicts of known classes; every recipient it names must be an address
// written in the message (raw, or in a decoded part, header or xtext), so a
// bounce can never make up whom it is about; and reading the same bytes
// twice must judge them the same.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, p := range files {
		raw, _ := os.ReadFile(p)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Parse(raw)
		switch r.Kind {
		case KindBounce, KindAutoReply, KindFeedback, KindOther:
		default:
			t.Fatalf("unknown kind %q", r.Kind)
		}
		for _, rc := range append(r.Recipients, Recipient{Address: "taro@example.jp", Verdict: r.For("taro@example.jp")}) {
			switch rc.Class {
			case Permanent, Transient, None:
			default:
				t.Fatalf("unknown class %q for %q", rc.Class, rc.Address)
			}
		}
		m := readMessage(raw)
		written := []string{string(raw), headerText(m.header.Get("X-Failed-Recipients"))}
		for i := range m.parts {
			written = append(written, m.parts[i].text())
		}
		// xtext escapes (RFC 3461, "+2B" for "+") are a way of writing.
		joined := strings.Join(written, "\n")
		haystack := strings.ToLower(joined + "\n" + decodeXtext(joined))
		for _, rc := range r.Recipients {
			if !strings.Contains(haystack, strings.ToLower(rc.Address)) {
				t.Fatalf("recipient %q is not written in the message", rc.Address)
			}
		}
		again := Parse(raw)
		if r.Kind != again.Kind || r.Format != again.Format || !reflect.DeepEqual(r.Recipients, again.Recipients) ||
			r.For("taro@example.jp") != again.For("taro@example.jp") {
			t.Fatalf("the same message read twice: %+v, then %+v", r, again)
		}
	})
}

// FuzzVERP feeds the VERP verifier arbitrary envelope recipients: it must
// never panic and never accept an address it did not sign.
func FuzzVERP(f *testing.F) {
	keys, err := secret.NewKeyring([]byte("fuzz-secret-key-0123456789abcdef0123"))
	if err != nil {
		f.Fatal(err)
	}
	const domain = "bounces.example.jp"
	good := delivery.VERPAddress(keys, "4f3a9c0d2e1b5a6978c0d1e2f3a4b5c6", domain)
	for _, s := range []string{good, "<" + good + ">", "B-" + good[2:], good[:len(good)-1], "b--@" + domain,
		"b-x-0123456789abcdef0123@" + domain, "postmaster@" + domain, "", "@", "b-@", "\x00b-\xff@" + domain} {
		f.Add(s)
	}
	verify := VERPVerifier(keys, domain)
	f.Fuzz(func(t *testing.T, rcpt string) {
		id, err := verify(rcpt)
		if err != nil {
			return
		}
		if delivery.VERPAddress(keys, id, domain) != normalizeAddr(rcpt) {
			t.Fatalf("accepted %q as delivery %q, which signs differently", rcpt, id)
		}
	})
}
