package anshin

import (
	"slices"
	"time"
)

// Passkey is a WebAuthn credential an administrator registered (SPEC §2,
// Passkeys). It stands for a second factor that opens the groups of its
// Scope: the groups the registering session's second factor opened.
type Passkey struct {
	ID                []byte // the credential ID the authenticator chose
	AccountID         string
	PublicKey         []byte // COSE key, as the authenticator sent it
	SignCount         uint32
	AAGUID            []byte // the authenticator model, all zero when not told
	Flags             byte   // the credential's stored flags (backup eligible, backup state …)
	Transports        []string
	AttestationFormat string
	Name              string
	Scope             []string // the group IDs it opens
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero until first used
}

// Opens reports whether the passkey opens the group.
func (p *Passkey) Opens(groupID string) bool { return slices.Contains(p.Scope, groupID) }

// Ceremony purposes of a WebAuthn challenge.
const (
	CeremonyRegister     = "register"     // a signed-in administrator adds a passkey
	CeremonyLogin        = "login"        // step 3 of a flow whose password was right
	CeremonyDiscoverable = "discoverable" // パスキーでログイン: no ID, no password
)

// WebAuthnChallenge is a ceremony begun and not yet finished. Its ID is a
// hash of the challenge the client signs, so the answer finds it; it is
// taken (deleted) at most once, and never after it expired.
type WebAuthnChallenge struct {
	ID        string
	Purpose   string
	AccountID string // register, login
	FlowID    string // login, discoverable
	SessionID string // register
	Data      []byte // the ceremony's state, as the WebAuthn library keeps it
	CreatedAt time.Time
	ExpiresAt time.Time
}
