package main

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
	_ "github.com/anshin/anshin/internal/store/sqlstore" // the sqlite driver
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
	dbPath := filepath.Join(t.TempDir(), "anshin.db")
	env := map[string]string{
		"ANSHIN_DATABASE_URL":      "sqlite:" + dbPath,
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
	// the process dies in between, once the database shows the claim.
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	claimed := func() int {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE kind = 'one_time_key' AND status = 'queued' AND attempts = 1 AND lease_until > 0`).Scan(&n); err != nil {
			t.Fatalf("reading the outbox: %v", err)
		}
		return n
	}
	for deadline := time.Now().Add(20 * time.Second); claimed() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first instance never claimed the key's message")
		}
	}
	first.kill(t)
	if n := len(sink.received()); n != 0 {
		t.Fatalf("%d messages sent before the crash; the test needs the send held back", n)
	}
	if claimed() != 1 {
		t.Fatal("the killed instance's claim is not in the database")
	}

	// The restarted instance waits out the dead one's 2 s lease, then
	// holds its own claim for a minute: however slow this machine sends,
	// no second worker takes the message while the first is sending it.
	delete(env, "ANSHIN_DEV_SEND_DELAY")
	env["ANSHIN_OUTBOX_WORKERS"] = "4"
	env["ANSHIN_OUTBOX_LEASE"] = "60s"
	second := mpStart(t, bin, env)
	got := sink.await(t, 1)
	if got[0].To[0] != "yamada.taro@example.co.jp" {
		t.Fatalf("sent to %v", got[0].To)
	}
	awaitStatus(t, second.URL, flow, "sent")
	// Every worker polls again meanwhile: a second copy would arrive now.
	time.Sleep(3 * time.Second)
	if n := len(sink.received()); n != 1 {
		t.Fatalf("%d messages after the restart, want exactly 1", n)
	}
}
