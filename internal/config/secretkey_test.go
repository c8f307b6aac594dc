package config

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ANSHIN_SECRET_KEY must carry 32+ random bytes, as hex or base64; a
// passphrase or a repeated pattern is refused with an error that names the
// variable and never repeats the value.
func TestSecretKeyNeedsThirtyTwoRandomBytes(t *testing.T) {
	random := make([]byte, 48)
	for i := range random {
		random[i] = byte(i*73 + 11) // 48 distinct values, like random bytes
	}
	for _, good := range []string{
		hex.EncodeToString(random[:32]),
		strings.ToUpper(hex.EncodeToString(random[:32])),
		hex.EncodeToString(random),
		base64.StdEncoding.EncodeToString(random[:32]),
		base64.RawURLEncoding.EncodeToString(random[:32]),
		base64.URLEncoding.EncodeToString(random),
		" " + hex.EncodeToString(random[:32]) + "\n",
	} {
		c, err := Load(env(map[string]string{"ANSHIN_SECRET_KEY": good}), false)
		if err != nil {
			t.Errorf("%q refused: %v", good, err)
			continue
		}
		if string(c.SecretKey) != strings.TrimSpace(good) {
			t.Errorf("%q: the key is %q, want the text as given", good, c.SecretKey)
		}
	}
	for name, bad := range map[string]string{
		"a 40-character passphrase":       "correct horse battery staple and a pony!",
		"a long lower-case passphrase":    strings.Repeat("correcthorsebatterystaple", 3),
		"a long mixed-case passphrase":    strings.Repeat("CorrectHorseBatteryStaple", 2),
		"one hex digit repeated":          strings.Repeat("a", 64),
		"a hex pattern repeated":          strings.Repeat("0123456789abcdef", 4),
		"hex of 31 bytes":                 hex.EncodeToString(random[:31]),
		"base64 of 31 bytes":              base64.StdEncoding.EncodeToString(random[:31]),
		"base64 of one byte repeated":     base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 48))),
		"base64 of a short pattern":       base64.StdEncoding.EncodeToString([]byte(strings.Repeat("anshin", 8))),
		"the old tests' kind of key":      "0123456789abcdef0123456789abcdef-delivery-tests",
		"32 characters of one letter":     strings.Repeat("k", 32),
		"hex with a character that isn't": hex.EncodeToString(random[:32])[:63] + "g",
	} {
		_, err := Load(env(map[string]string{"ANSHIN_SECRET_KEY": bad}), false)
		if err == nil {
			t.Errorf("%s accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), "ANSHIN_SECRET_KEY:") || strings.Contains(err.Error(), bad) {
			t.Errorf("%s: the error %q must name the variable and not repeat the value", name, err)
		}
	}
}

// A development key file that someone replaced by a weak key is refused,
// not used and not silently overwritten.
func TestWeakGeneratedSecretKeyFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"ANSHIN_DATABASE_URL": "sqlite:" + filepath.Join(dir, "anshin.db")}), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecretKey(); err == nil || !strings.Contains(err.Error(), "ANSHIN_SECRET_KEY") {
		t.Fatalf("a weak secret.key: %v", err)
	}
}
