package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// kill -9 of `anshin serve` after the key was committed and claimed but
// before it reached the SMTP server: after a restart the key mail is
// delivered, exactly once. ANSHIN_DEV_SEND_DELAY holds the send long
// enough to kill the process in that window.
func TestKillBetweenCommitAndSendDeliversOnceAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := mpBuild(t)
	sink := newMailSink(t, "")
	env := map[string]string{
		"ANSHIN_DATABASE_URL":      "sqlite:" + filepath.Join(t.TempDir(), "anshin.db"),
		"ANSHIN_HTTP_ADDR":         "127.0.0.1:0",
		"ANSHIN_SECRET_KEY":        testSecretKey,
		"ANSHIN_SMTP_URL":          "smtp://" + sink.Addr,
		"ANSHIN_DEV":               "true",
		"ANSHIN_DEV_SEND_DELAY":    "30s",
		"ANSHIN_OUTBOX_WORKERS":    "1",
		"ANSHIN_OUTBOX_LEASE":      "2s",
		"ANSHIN_ARGON2_MEMORY_KIB": "1024",
		"ANSHIN_ARGON2_TIME":       "1",
	}
	first := mpStart(t, bin, env, "--demo")
	flow := apiIssue(t, first.URL, demo.RepresentativeID, "email")
	// The worker claims the message at once and then waits 30 s to send;
	// the process dies in between.
	time.Sleep(500 * time.Millisecond)
	first.kill(t)
	if n := len(sink.received()); n != 0 {
		t.Fatalf("%d messages sent before the crash; the test needs the send held back", n)
	}

	delete(env, "ANSHIN_DEV_SEND_DELAY")
	env["ANSHIN_OUTBOX_WORKERS"] = "4"
	second := mpStart(t, bin, env)
	got := sink.await(t, 1)
	if got[0].To[0] != "yamada.taro@example.co.jp" {
		t.Fatalf("sent to %v", got[0].To)
	}
	awaitStatus(t, second.URL, flow, "sent")
	// Long enough for another lease to run out and every worker to poll
	// again: a second copy would arrive now.
	time.Sleep(3 * time.Second)
	if n := len(sink.received()); n != 1 {
		t.Fatalf("%d messages after the restart, want exactly 1", n)
	}
}
