package config

import (
	"strings"
	"testing"
)

func TestPasskeysRelyingParty(t *testing.T) {
	for _, tc := range []struct {
		env          map[string]string
		rpID, origin string
		err          string
	}{
		{env: map[string]string{}},
		{env: map[string]string{"ANSHIN_PASSKEYS": "true", "ANSHIN_PUBLIC_URL": "https://Anshin.example.jp/"}, rpID: "anshin.example.jp", origin: "https://anshin.example.jp"},
		{env: map[string]string{"ANSHIN_PASSKEYS": "true", "ANSHIN_DEV": "true", "ANSHIN_HTTP_ADDR": "localhost:8080"}, rpID: "localhost", origin: "http://localhost:8080"},
		{env: map[string]string{"ANSHIN_PASSKEYS": "true", "ANSHIN_DEV": "true", "ANSHIN_HTTP_ADDR": "127.0.0.1:8080"}, err: "ANSHIN_HTTP_ADDR: passkeys need a domain name"},
		{env: map[string]string{"ANSHIN_PASSKEYS": "true", "ANSHIN_PUBLIC_URL": "https://192.0.2.1"}, err: "ANSHIN_PUBLIC_URL: passkeys need a domain name"},
		{env: map[string]string{"ANSHIN_PASSKEYS": "true"}, err: "ANSHIN_PASSKEYS: passkeys need ANSHIN_PUBLIC_URL"},
	} {
		env := map[string]string{"ANSHIN_SECRET_KEY": "3f9a1c0e7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5"}
		for k, v := range tc.env {
			env[k] = v
		}
		c, err := Load(func(k string) string { return env[k] }, false)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: %v, want %q", tc.env, err, tc.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.rpID == "" && c.Passkeys != nil:
			t.Errorf("%v: passkeys on", tc.env)
		case tc.rpID != "" && (c.Passkeys == nil || c.Passkeys.RPID != tc.rpID || c.Passkeys.Origins[0] != tc.origin):
			t.Errorf("%v: relying party %+v", tc.env, c.Passkeys)
		}
	}
}
