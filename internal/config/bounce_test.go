package config

import (
	"strings"
	"testing"
	"time"
)

func TestBounceDefaults(t *testing.T) {
	c, err := Load(env(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.BounceSMTPAddr != "" || c.BounceWebhookToken != "" || c.BounceTransientLimit != 3 || c.BounceTransientWindow != 72*time.Hour ||
		c.BounceMaxBytes != 1<<20 || c.BounceMaxConns != 32 || c.BounceMaxConnsClient != 8 || c.BounceSessionTimeout != 5*time.Minute {
		t.Errorf("bounce defaults: %+v", c)
	}
}

func TestBounceBadValuesNameTheirVariable(t *testing.T) {
	for name, value := range map[string]string{
		"ANSHIN_BOUNCE_WEBHOOK_TOKEN":              "short",
		"ANSHIN_BOUNCE_TRANSIENT_WINDOW":           "0s",
		"ANSHIN_BOUNCE_TRANSIENT_LIMIT":            "0",
		"ANSHIN_BOUNCE_MAX_BYTES":                  "100",
		"ANSHIN_BOUNCE_MAX_CONNECTIONS":            "many",
		"ANSHIN_BOUNCE_SMTP_ADDR":                  "no-port",
		"ANSHIN_BOUNCE_SESSION_TIMEOUT":            "1s",
		"ANSHIN_BOUNCE_MAX_CONNECTIONS_PER_CLIENT": "0",
	} {
		_, err := Load(env(map[string]string{name: value}), false)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}
