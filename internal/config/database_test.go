package config

import (
	"strings"
	"testing"
)

func TestDatabaseURLs(t *testing.T) {
	for url, ok := range map[string]bool{
		"sqlite:./data/anshin.db":                                            true,
		"sqlite:/var/lib/anshin/anshin.db":                                   true,
		"postgres://anshin:pw@db.example.jp:5432/anshin?sslmode=verify-full": true,
		"postgresql://anshin@127.0.0.1/anshin":                               true,
		"sqlite:":                                                            false,
		"postgres:///anshin":                                                 false, // no host
		"mysql://db/anshin":                                                  false,
		"db.example.jp:5432":                                                 false,
		"postgres://%zz/x":                                                   false,
	} {
		_, err := Load(env(map[string]string{"ANSHIN_DATABASE_URL": url}), false)
		if ok && err != nil {
			t.Errorf("%s refused: %v", url, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "ANSHIN_DATABASE_URL")) {
			t.Errorf("%s: %v, want an error naming ANSHIN_DATABASE_URL", url, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestDevSendDelayOnlyInDevelopment(t *testing.T) {
	if _, err := Load(env(map[string]string{"ANSHIN_DEV_SEND_DELAY": "1s"}), false); err == nil || !strings.Contains(err.Error(), "ANSHIN_DEV_SEND_DELAY") {
		t.Errorf("a send delay outside development mode: %v", err)
	}
	c, err := Load(env(map[string]string{"ANSHIN_DEV_SEND_DELAY": "1s", "ANSHIN_DEV": "true"}), false)
	if err != nil || c.DevSendDelay.Seconds() != 1 {
		t.Errorf("a send delay in development mode: %v %v", c, err)
	}
}

// In development with PostgreSQL the generated key goes to ./data.
func TestGeneratedSecretKeyWithPostgres(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load(env(map[string]string{"ANSHIN_DATABASE_URL": "postgres://db/anshin"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecretKey(); err != nil || len(c.SecretKey) < 32 {
		t.Fatalf("secret key: %v", err)
	}
	again, _ := Load(env(map[string]string{"ANSHIN_DATABASE_URL": "postgres://db/anshin"}), true)
	if err := again.EnsureSecretKey(); err != nil || string(again.SecretKey) != string(c.SecretKey) {
		t.Fatalf("the key was not kept in ./data: %v", err)
	}
}
