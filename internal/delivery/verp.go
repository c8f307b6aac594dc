package delivery

import (
	"errors"
	"strings"

	"github.com/anshin/anshin/internal/secret"
)

// VERP return paths look like b-<delivery id>-<signature>@<bounce domain>.
// The signature is a truncated HMAC of the delivery ID and the domain under
// ANSHIN_SECRET_KEY, so a bounce can be traced to its delivery and a forged
// one (an ID guessed or copied onto another domain) is refused.
const (
	verpPrefix  = "b-"
	verpSigLen  = 20 // hex digits: 80 bits, the whole address stays far below the 64-byte local-part limit
	verpPurpose = "verp-return-path"
	maxIDLen    = 40
)

// ErrVERP is returned for an address that is not a valid VERP return path
// of this server: unknown shape, another domain or a bad signature.
var ErrVERP = errors.New("not a signed VERP address of this server")

// VERPAddress returns the envelope sender for the delivery deliveryID.
func VERPAddress(keys *secret.Keyring, deliveryID, domain string) string {
	domain = strings.ToLower(domain)
	return verpPrefix + deliveryID + "-" + verpSig(keys, deliveryID, domain) + "@" + domain
}

// ParseVERP verifies a VERP address made by VERPAddress (the envelope
// recipient of a bounce) and returns its delivery ID. Case is ignored, as
// some MTAs fold it; anything else wrong gives ErrVERP.
func ParseVERP(keys *secret.Keyring, addr, domain string) (deliveryID string, err error) {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	local, dom, ok := strings.Cut(addr, "@")
	if !ok || dom != strings.ToLower(domain) {
		return "", ErrVERP
	}
	rest, ok := strings.CutPrefix(local, verpPrefix)
	if !ok {
		return "", ErrVERP
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || i > maxIDLen {
		return "", ErrVERP
	}
	id, sig := rest[:i], rest[i+1:]
	if !isIDChars(id) || len(sig) != verpSigLen || !secret.Equal(sig, verpSig(keys, id, dom)) {
		return "", ErrVERP
	}
	return id, nil
}

func verpSig(keys *secret.Keyring, id, domain string) string {
	return keys.MAC(verpPurpose, id, domain)[:verpSigLen]
}

// isIDChars accepts the characters of delivery IDs (hex from secret.NewID,
// and the plain IDs tests use).
func isIDChars(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return s != ""
}
