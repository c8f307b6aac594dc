package anshintest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is a software WebAuthn authenticator for tests: one ECDSA
// P-256 key per credential, attestation "none", resident keys. Its fields
// let a test answer wrongly on purpose (another origin or RP ID, no user
// verification, a sign count that goes back).
type Authenticator struct {
	Origin string // the page's origin the client reports
	RPID   string // "" uses the RP ID of the options
	NoUV   bool   // answer without the user verified flag
	// Creds holds the credentials made, by their ID.
	Creds map[string]*SoftCredential
}

// SoftCredential is one credential of an Authenticator.
type SoftCredential struct {
	ID        []byte
	UserID    []byte
	Key       *ecdsa.PrivateKey
	SignCount uint32
}

// NewAuthenticator returns an authenticator that answers for origin.
func NewAuthenticator(origin string) *Authenticator {
	return &Authenticator{Origin: origin, Creds: map[string]*SoftCredential{}}
}

var b64 = base64.RawURLEncoding

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags |= 0x01 // user present
	if !a.NoUV {
		flags |= 0x04
	}
	out := append(h[:], flags, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(out[33:], count)
	return append(out, attested...)
}

// Create answers navigator.credentials.create options (JSON, as the server
// sent them) with a new credential, as the JSON the browser would post.
func (a *Authenticator) Create(options []byte) ([]byte, *SoftCredential, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	userID, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("user ID: %w", err)
	}
	c := &SoftCredential{ID: make([]byte, 16), UserID: userID, Key: key}
	rand.Read(c.ID)
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	raw := pub.Bytes() // 0x04 | x | y
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, nil, err
	}
	attested := make([]byte, 16, 16+2+len(c.ID)+len(cose)) // AAGUID: all zero
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(c.ID)))
	attested = append(append(attested, c.ID...), cose...)
	authData := a.authData(o.PublicKey.RP.ID, 0x40, 0, attested)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, nil, err
	}
	a.Creds[string(c.ID)] = c
	body, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return body, c, err
}

// Get answers navigator.credentials.get options with credential c (nil:
// the first allowed credential this authenticator holds), its sign count
// moved on by one.
func (a *Authenticator) Get(options []byte, c *SoftCredential) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	if c == nil {
		for _, d := range o.PublicKey.AllowCredentials {
			id, _ := b64.DecodeString(d.ID)
			if c = a.Creds[string(id)]; c != nil {
				break
			}
		}
	}
	if c == nil {
		return nil, fmt.Errorf("no credential to answer with")
	}
	c.SignCount++
	return a.Sign(o.PublicKey.Challenge, o.PublicKey.RPID, c, c.SignCount)
}

// Sign answers challenge with credential c and the sign count given.
func (a *Authenticator) Sign(challenge, rpID string, c *SoftCredential, count uint32) ([]byte, error) {
	cd := a.clientData("webauthn.get", challenge)
	authData := a.authData(rpID, 0, count, nil)
	h := sha256.Sum256(cd)
	sum := sha256.Sum256(append(append([]byte{}, authData...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, sum[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserID),
		},
		"clientExtensionResults": map[string]any{},
	})
}
