// Package passkey runs the WebAuthn ceremonies of anshin's passkeys (SPEC
// §2, Passkeys) with go-webauthn: it begins a ceremony by storing its
// challenge, and finishes it by taking that challenge once, so any instance
// may finish what another began. It decides nothing about flows, sessions
// or groups; login and console do, inside the same transaction.
package passkey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Config is the relying party.
type Config struct {
	RPID    string   // a domain name, never an IP address
	Origins []string // e.g. https://anshin.example.jp
	Name    string   // shown by the authenticator
	TTL     time.Duration
}

// ConfigFromURL derives the relying party from the server's public URL:
// its host is the RP ID, its scheme and host the origin.
func ConfigFromURL(publicURL string) (Config, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return Config{}, fmt.Errorf("passkeys need a public URL like https://anshin.example.jp, not %q", publicURL)
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return Config{}, fmt.Errorf("passkeys need a domain name in the public URL, not the IP address %s (use localhost in development)", host)
	}
	return Config{RPID: strings.ToLower(host), Origins: []string{strings.ToLower(u.Scheme + "://" + u.Host)}, Name: "anshin", TTL: 5 * time.Minute}, nil
}

// RP is the relying party.
type RP struct {
	w   *webauthn.WebAuthn
	ttl time.Duration
	now anshin.Clock
}

// New returns the relying party of cfg.
func New(cfg Config, now anshin.Clock) (*RP, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	if net.ParseIP(cfg.RPID) != nil {
		return nil, fmt.Errorf("passkeys: the relying party ID %s is an IP address", cfg.RPID)
	}
	required := true
	w, err := webauthn.New(&webauthn.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.Name, RPOrigins: cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: &required, ResidentKey: protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &RP{w: w, ttl: cfg.TTL, now: now}, nil
}

// RPID is the relying party ID.
func (rp *RP) RPID() string { return rp.w.Config.RPID }

// user is an account as go-webauthn sees it. The user handle is the
// account ID, which names nobody.
type user struct {
	acct  *anshin.Account
	creds []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return []byte(u.acct.ID) }
func (u user) WebAuthnName() string                       { return u.acct.LoginID }
func (u user) WebAuthnDisplayName() string                { return u.acct.LoginID }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newUser(acct *anshin.Account, keys []*anshin.Passkey) user {
	u := user{acct: acct}
	for _, p := range keys {
		u.creds = append(u.creds, credential(p))
	}
	return u
}

func credential(p *anshin.Passkey) webauthn.Credential {
	c := webauthn.Credential{ID: p.ID, PublicKey: p.PublicKey, AttestationFormat: p.AttestationFormat,
		Flags:         webauthn.CredentialFlagsFromMsgpByte(p.Flags),
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount}}
	for _, t := range p.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

func refused(format string, args ...any) error {
	return anshin.Errorf(anshin.ECodePasskeyRefused, format, args...)
}

// challengeID is what the store keeps of a challenge: its hash, as of a
// bearer token.
func challengeID(challenge string) string { return secret.TokenID(challenge) }

func (rp *RP) store(tx anshin.Tx, purpose, accountID, flowID, sessionID string, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	now := rp.now()
	return tx.CreateChallenge(&anshin.WebAuthnChallenge{ID: challengeID(sd.Challenge), Purpose: purpose, AccountID: accountID,
		FlowID: flowID, SessionID: sessionID, Data: data, CreatedAt: now, ExpiresAt: now.Add(rp.ttl)})
}

// take removes the challenge the client answered, once, and checks it was
// begun for purpose by the same flow or session.
func (rp *RP) take(tx anshin.Tx, challenge, purpose, flowID, sessionID string) (*anshin.WebAuthnChallenge, *webauthn.SessionData, error) {
	c, err := tx.TakeChallenge(challengeID(challenge), rp.now())
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return nil, nil, refused("the challenge is unknown, used or expired")
	}
	if err != nil {
		return nil, nil, err
	}
	if c.Purpose != purpose || c.FlowID != flowID || c.SessionID != sessionID {
		return nil, nil, refused("the challenge was begun for another ceremony")
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, err
	}
	return c, &sd, nil
}

// BeginRegistration begins adding a passkey to acct for the session:
// a resident key with user verification, no attestation, none of the
// account's passkeys again. It returns the options for
// navigator.credentials.create.
func (rp *RP) BeginRegistration(tx anshin.Tx, acct *anshin.Account, existing []*anshin.Passkey, sessionID string) (json.RawMessage, error) {
	u := newUser(acct, existing)
	creation, sd, err := rp.w.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		return nil, err
	}
	if err := rp.store(tx, anshin.CeremonyRegister, acct.ID, "", sessionID, sd); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// FinishRegistration checks the authenticator's answer to a registration
// the session began and returns the new passkey (without name or scope).
func (rp *RP) FinishRegistration(tx anshin.Tx, acct *anshin.Account, existing []*anshin.Passkey, sessionID string, body []byte) (*anshin.Passkey, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, refused("unreadable answer: %v", err)
	}
	c, sd, err := rp.take(tx, parsed.Response.CollectedClientData.Challenge, anshin.CeremonyRegister, "", sessionID)
	if err != nil {
		return nil, err
	}
	if c.AccountID != acct.ID {
		return nil, refused("the challenge was begun for another account")
	}
	cred, err := rp.w.CreateCredential(newUser(acct, existing), *sd, parsed)
	if err != nil {
		return nil, refused("registration: %v", protocolDetail(err))
	}
	if !cred.Flags.UserVerified {
		return nil, refused("registration without user verification")
	}
	p := &anshin.Passkey{ID: cred.ID, AccountID: acct.ID, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		AAGUID: cred.Authenticator.AAGUID, Flags: cred.Flags.MsgpByte(), AttestationFormat: cred.AttestationFormat, CreatedAt: rp.now()}
	if bytes.Count(p.AAGUID, []byte{0}) == len(p.AAGUID) {
		p.AAGUID = nil
	}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	return p, nil
}

// BeginLogin begins step 3's passkey ceremony of a flow whose password was
// right: only acct's passkeys, user verification required.
func (rp *RP) BeginLogin(tx anshin.Tx, acct *anshin.Account, keys []*anshin.Passkey, flowID string) (json.RawMessage, error) {
	assertion, sd, err := rp.w.BeginLogin(newUser(acct, keys), webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	if err := rp.store(tx, anshin.CeremonyLogin, acct.ID, flowID, "", sd); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// BeginDiscoverable begins パスキーでログイン: any passkey of the RP, with
// user verification, for the flow.
func (rp *RP) BeginDiscoverable(tx anshin.Tx, flowID string) (json.RawMessage, error) {
	assertion, sd, err := rp.w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	if err := rp.store(tx, anshin.CeremonyDiscoverable, "", flowID, "", sd); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// Assertion is what a sign-in ceremony proved.
type Assertion struct {
	Passkey *anshin.Passkey // as stored before this sign-in
	// Claimed is the account the ceremony was begun for (login) or the
	// credential's owner (discoverable), for the audit of a refusal; ""
	// when unknown.
	Claimed string
}

// FinishLogin checks the answer to a sign-in ceremony the flow began and
// records the passkey's use: its sign count must move on (a clone or a
// replay is refused, and of two racing answers one wins). A credential of
// another account than the one whose password was right is refused.
func (rp *RP) FinishLogin(tx anshin.Tx, flowID string, body []byte) (*Assertion, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return &Assertion{}, refused("unreadable answer: %v", err)
	}
	ch := parsed.Response.CollectedClientData.Challenge
	c, err := tx.TakeChallenge(challengeID(ch), rp.now())
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return &Assertion{}, refused("the challenge is unknown, used or expired")
	}
	if err != nil {
		return nil, err
	}
	res := &Assertion{Claimed: c.AccountID}
	if c.FlowID != flowID || (c.Purpose != anshin.CeremonyLogin && c.Purpose != anshin.CeremonyDiscoverable) {
		return res, refused("the challenge was begun for another ceremony")
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, err
	}
	p, err := tx.Passkey(parsed.RawID)
	if anshin.ErrorCode(err) == anshin.ECodeNotFound {
		return res, refused("unknown credential")
	}
	if err != nil {
		return nil, err
	}
	if res.Claimed == "" {
		res.Claimed = p.AccountID
	}
	if p.AccountID != res.Claimed {
		return res, refused("the credential is another account's")
	}
	acct, err := tx.AccountByID(p.AccountID)
	if err != nil {
		return nil, err
	}
	keys, err := tx.PasskeysOfAccount(acct.ID)
	if err != nil {
		return nil, err
	}
	u := newUser(acct, keys)
	var cred *webauthn.Credential
	if c.Purpose == anshin.CeremonyLogin {
		cred, err = rp.w.ValidateLogin(u, sd, parsed)
	} else {
		cred, err = rp.w.ValidateDiscoverableLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, []byte(acct.ID)) {
				return nil, fmt.Errorf("the user handle is not the credential's account")
			}
			return u, nil
		}, sd, parsed)
	}
	if err != nil {
		return res, refused("sign-in: %v", protocolDetail(err))
	}
	if !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return res, refused("no user verification")
	}
	if cred.Authenticator.CloneWarning {
		return res, refused("the sign count went back (%d after %d)", parsed.Response.AuthenticatorData.Counter, p.SignCount)
	}
	ok, err := tx.UsePasskey(p.ID, p.SignCount, cred.Authenticator.SignCount, cred.Flags.MsgpByte(), rp.now())
	if err != nil {
		return nil, err
	}
	if !ok {
		return res, refused("the passkey was used meanwhile")
	}
	res.Passkey = p
	return res, nil
}

func protocolDetail(err error) string {
	if e, ok := err.(*protocol.Error); ok {
		return e.Details + " " + e.DevInfo
	}
	return err.Error()
}
