package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
)

// Keyring derives purpose-bound keys from ANSHIN_SECRET_KEY.
type Keyring struct {
	macKey  []byte
	sealKey cipher.AEAD
}

// NewKeyring returns a keyring for the server secret (at least 32 bytes).
func NewKeyring(secretKey []byte) (*Keyring, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("the secret key must be at least 32 bytes")
	}
	block, err := aes.NewCipher(derive(secretKey, "anshin seal v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keyring{macKey: derive(secretKey, "anshin mac v1"), sealKey: aead}, nil
}

func derive(secretKey []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secretKey)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// MAC returns the hex HMAC-SHA256 of the parts under purpose; parts are
// length-prefixed so that no two inputs collide.
func (k *Keyring) MAC(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, k.macKey)
	m.Write([]byte(purpose))
	for _, p := range parts {
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(p)>>24), byte(len(p)>>16), byte(len(p)>>8), byte(len(p))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Equal compares two MACs in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// Seal encrypts plaintext so it may rest in the database.
func (k *Keyring) Seal(plaintext []byte) []byte {
	nonce := make([]byte, k.sealKey.NonceSize())
	rand.Read(nonce)
	return k.sealKey.Seal(nonce, nonce, plaintext, nil)
}

// Open decrypts what Seal produced.
func (k *Keyring) Open(sealed []byte) ([]byte, error) {
	n := k.sealKey.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed message too short")
	}
	return k.sealKey.Open(nil, sealed[:n], sealed[n:], nil)
}

// NewToken returns a random 256-bit URL-safe token.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns a random 128-bit hex identifier.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TokenID is what the store keeps of a bearer token (flow or session):
// its SHA-256, so a copy of the database opens no session.
func TokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewDigits returns n uniformly random decimal digits from the CSPRNG.
func NewDigits(n int) string {
	var b strings.Builder
	ten := big.NewInt(10)
	for range n {
		d, _ := rand.Int(rand.Reader, ten)
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}
