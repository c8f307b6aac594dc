package config

import (
	"strings"
	"testing"
)

func TestOIDCConfiguration(t *testing.T) {
	c, err := Load(env(map[string]string{}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDC.Issuer != "" || !c.OIDC.PasswordLogin || c.OIDC.LoginClaim != "sub" {
		t.Errorf("defaults %+v", c.OIDC)
	}
	c, err = Load(env(map[string]string{
		"ANSHIN_PUBLIC_URL":         "https://anshin.example.jp/",
		"ANSHIN_OIDC_ISSUER":        "https://id.example.jp/",
		"ANSHIN_OIDC_CLIENT_ID":     "anshin",
		"ANSHIN_OIDC_CLIENT_SECRET": "s3cret-of-the-client",
		"ANSHIN_OIDC_LOGIN_CLAIM":   "preferred_username",
		"ANSHIN_PASSWORD_LOGIN":     "off",
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDC.Issuer != "https://id.example.jp" || c.OIDC.RedirectURL != "https://anshin.example.jp/login/oidc/callback" ||
		c.OIDC.PasswordLogin || c.OIDC.LoginClaim != "preferred_username" {
		t.Errorf("OIDC %+v", c.OIDC)
	}

	// Every mistake at once, each naming its variable, the secret never.
	_, err = Load(env(map[string]string{
		"ANSHIN_OIDC_ISSUER":        "http://id.example.jp",
		"ANSHIN_OIDC_CLIENT_SECRET": "hunter2-secret",
		"ANSHIN_OIDC_LOGIN_CLAIM":   "a b",
		"ANSHIN_PASSWORD_LOGIN":     "maybe",
	}), false)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"ANSHIN_OIDC_ISSUER:", "ANSHIN_OIDC_CLIENT_ID:", "ANSHIN_OIDC_LOGIN_CLAIM:", "ANSHIN_PASSWORD_LOGIN:", "ANSHIN_PUBLIC_URL:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error repeats the secret:\n%v", err)
	}
	// Off without an issuer would leave no way in.
	if _, err = Load(env(map[string]string{"ANSHIN_PASSWORD_LOGIN": "off"}), false); err == nil || !strings.Contains(err.Error(), "ANSHIN_PASSWORD_LOGIN:") {
		t.Errorf("off without an issuer: %v", err)
	}
}
