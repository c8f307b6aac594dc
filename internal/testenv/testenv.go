// Package testenv tells tests which outside services scripts/test started
// for them. A test that needs one calls Require: with CI=true a missing
// service fails the test; elsewhere it skips it.
package testenv

import (
	"os"
	"testing"
)

// Variables set by scripts/test (see scripts/services/).
const (
	PostgresURL = "ANSHIN_TEST_POSTGRES_URL"    // postgres://… of a private cluster, a database per test run
	PostfixAddr = "ANSHIN_TEST_POSTFIX_ADDR"    // host:port of a private Postfix relay
	PostfixMail = "ANSHIN_TEST_POSTFIX_MAILDIR" // where that Postfix delivers local mail
	Chromium    = "ANSHIN_TEST_CHROMIUM"        // path of a headless-capable Chromium
)

// PostfixBounceAddr is where the private Postfix relays mail for
// bounces.anshin.test: the bounce test runs anshin's receiver there.
const PostfixBounceAddr = "ANSHIN_TEST_POSTFIX_BOUNCE_ADDR"

// Require returns the value of the variable name, or ends the test: a
// failure under CI, a skip elsewhere.
func Require(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: scripts/test must start this service under CI", name)
	}
	t.Skipf("%s is not set: run ./scripts/test to start the service", name)
	return ""
}
