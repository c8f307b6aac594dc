package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsAreTheSpecs(t *testing.T) {
	c, err := Load(env(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.DatabaseURL != "sqlite:./data/anshin.db" || c.MailFrom != "anshin@localhost" ||
		c.BounceDomain != "bounces.localhost" || c.SMSDriver != "outbox" || c.Dev || c.OperatorToken != "" {
		t.Errorf("defaults: %+v", c)
	}
	l := c.Login
	if l.KeyDigits != 8 || l.KeyTTL != 10*time.Minute || l.KeysPerFlow != 5 || l.KeysPerAccountHour != 10 ||
		l.KeyCooldown != time.Minute || l.FlowTTL != 30*time.Minute || l.SessionIdle != 30*time.Minute ||
		l.SessionMax != 12*time.Hour || l.KeyFailureLimit != 100 {
		t.Errorf("login defaults: %+v", l)
	}
	if c.Argon2.MemoryKiB != 19*1024 || c.Argon2.Time != 2 || c.Argon2.Threads != 1 {
		t.Errorf("argon2 defaults: %+v", c.Argon2)
	}
}

func TestEveryBadValueIsNamed(t *testing.T) {
	bad := map[string]string{
		"ANSHIN_HTTP_ADDR":         "nonsense",
		"ANSHIN_DATABASE_URL":      "mysql://x",
		"ANSHIN_SECRET_KEY":        "short",
		"ANSHIN_OPERATOR_TOKEN":    "tiny",
		"ANSHIN_MAIL_FROM":         "not an address",
		"ANSHIN_SMS_DRIVER":        "pigeon",
		"ANSHIN_DEV":               "maybe",
		"ANSHIN_KEY_TTL":           "banana",
		"ANSHIN_KEY_DIGITS":        "4",
		"ANSHIN_KEY_FAILURE_LIMIT": "101",
		"ANSHIN_KEY_COOLDOWN":      "-1s",
		"ANSHIN_SESSION_IDLE":      "0s",
		"ANSHIN_LOG_LEVEL":         "loud",
		"ANSHIN_ARGON2_TIME":       "0",
	}
	_, err := Load(env(bad), false)
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Error("the error repeats the secret key's value")
	}
}

func TestOneBadValueAtATime(t *testing.T) {
	for name, value := range map[string]string{
		"ANSHIN_KEY_TTL":      "45m", // longer than the flow
		"ANSHIN_SESSION_IDLE": "13h", // longer than the absolute timeout
		"ANSHIN_SMTP_URL":     "smtps://mail.example.jp?tls=none",
	} {
		if _, err := Load(env(map[string]string{name: value}), false); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: got %v", name, value, err)
		}
	}
}

func TestSecretKeyIsGeneratedOnlyInDevelopment(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "db", "anshin.db")
	c, err := Load(env(map[string]string{"ANSHIN_DATABASE_URL": url}), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecretKey(); err == nil || !strings.Contains(err.Error(), "ANSHIN_SECRET_KEY") {
		t.Fatalf("production without a key: %v", err)
	}
	c.Dev = true
	if err := c.EnsureSecretKey(); err != nil || len(c.SecretKey) < 32 {
		t.Fatalf("development: %v, key of %d bytes", err, len(c.SecretKey))
	}
	first := string(c.SecretKey)
	again, _ := Load(env(map[string]string{"ANSHIN_DATABASE_URL": url}), true)
	if err := again.EnsureSecretKey(); err != nil || string(again.SecretKey) != first {
		t.Fatalf("the generated key is not reused: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "db", "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "db")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the data folder: %v %v", fi, err)
	}

	// A secret.key left empty (a crash while writing) is generated anew,
	// and is 0600 whatever mode the empty file had.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "secret.key"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ = Load(env(map[string]string{"ANSHIN_DATABASE_URL": "sqlite:" + filepath.Join(other, "anshin.db")}), true)
	if err := c.EnsureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(other, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("a regenerated secret.key: %v %v", fi, err)
	}
}

func TestRetention(t *testing.T) {
	c, err := Load(env(nil), false)
	if err != nil || c.Retention != 400*24*time.Hour {
		t.Fatalf("default retention %v, %v; want 400 days", c.Retention, err)
	}
	if c, err = Load(env(map[string]string{"ANSHIN_RETENTION": "720h"}), false); err != nil || c.Retention != 30*24*time.Hour {
		t.Fatalf("retention 720h: %v, %v", c.Retention, err)
	}
	for _, bad := range []string{"banana", "0s", "-1h", "23h"} {
		if _, err := Load(env(map[string]string{"ANSHIN_RETENTION": bad}), false); err == nil || !strings.Contains(err.Error(), "ANSHIN_RETENTION:") {
			t.Errorf("ANSHIN_RETENTION=%s: %v", bad, err)
		}
	}
	// Bounces counted in the transient window must not be purged first.
	_, err = Load(env(map[string]string{"ANSHIN_RETENTION": "48h", "ANSHIN_BOUNCE_TRANSIENT_WINDOW": "72h"}), false)
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_RETENTION:") {
		t.Errorf("retention shorter than the bounce window: %v", err)
	}
}

func TestPprofNeedsTheMetricsListener(t *testing.T) {
	if _, err := Load(env(map[string]string{"ANSHIN_PPROF": "on"}), true); err == nil || !strings.Contains(err.Error(), "ANSHIN_PPROF:") {
		t.Errorf("ANSHIN_PPROF=on alone: got %v", err)
	}
	if _, err := Load(env(map[string]string{"ANSHIN_PPROF": "yes"}), true); err == nil || !strings.Contains(err.Error(), "ANSHIN_PPROF:") {
		t.Errorf("ANSHIN_PPROF=yes: got %v", err)
	}
	c, err := Load(env(map[string]string{"ANSHIN_PPROF": "on", "ANSHIN_METRICS_ADDR": "127.0.0.1:9090"}), true)
	if err != nil || !c.Pprof {
		t.Errorf("ANSHIN_PPROF=on with ANSHIN_METRICS_ADDR: %v, %v", c, err)
	}
}
