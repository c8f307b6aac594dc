package config

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// secretKeyRule is what ANSHIN_SECRET_KEY must be, said in every error
// about it (which never repeats the value).
const secretKeyRule = "must be at least 32 random bytes written as hex (64+ characters) or base64 (44+ characters); generate one with: openssl rand -hex 32"

// secretKeyProblem says why s cannot be ANSHIN_SECRET_KEY, or "". The key
// is used as written (the keyring derives its keys from the text, so keys
// that were valid before stay the same); the encoding only lets us count
// what it carries. A passphrase, however long, carries far less than 32
// random bytes, and so do repeated patterns: those are refused.
func secretKeyProblem(s string) string {
	raw, ok := decodeSecretKey(s)
	if !ok || len(raw) < 32 {
		return secretKeyRule
	}
	// 32 random bytes hold about 30 distinct values, and fewer than 16 in
	// practically never; "aaaa…" or a short pattern repeated holds a few.
	if distinct(raw) < 16 {
		return "has too little entropy (a repeated pattern, not random bytes); " + secretKeyRule
	}
	return ""
}

// decodeSecretKey reads hex or base64 (standard or URL alphabet, padded or
// not). Base64 text must also look like random bytes encoded: both letter
// cases and 20+ distinct characters, which an English passphrase of
// base64-safe characters (say, 44 lower-case letters) does not have.
func decodeSecretKey(s string) ([]byte, bool) {
	if b, err := hex.DecodeString(s); err == nil {
		return b, true
	}
	lower := strings.ContainsFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' })
	upper := strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if !lower || !upper || distinct([]byte(strings.TrimRight(s, "="))) < 20 {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c], n = true, n+1
		}
	}
	return n
}
