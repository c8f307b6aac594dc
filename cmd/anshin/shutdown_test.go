package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/demo"
)

// slowSendEnv is a server whose every send waits delay first, with the
// debug log that says when a send starts.
func slowSendEnv(t *testing.T, sink *mailSink, delay string, extra ...string) map[string]string {
	env := map[string]string{
		"ANSHIN_DATABASE_URL":      "sqlite:" + filepath.Join(t.TempDir(), "anshin.db"),
		"ANSHIN_HTTP_ADDR":         "127.0.0.1:0",
		"ANSHIN_SECRET_KEY":        testSecretKey,
		"ANSHIN_SMTP_URL":          "smtp://" + sink.Addr,
		"ANSHIN_DEV":               "true",
		"ANSHIN_DEV_SEND_DELAY":    delay,
		"ANSHIN_OUTBOX_WORKERS":    "1",
		"ANSHIN_LOG_LEVEL":         "debug",
		"ANSHIN_LOG_FORMAT":        "json",
		"ANSHIN_ARGON2_MEMORY_KIB": "1024",
		"ANSHIN_ARGON2_TIME":       "1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// awaitLog waits until the log holds s; a failsafe deadline, not a measure.
func awaitLog(t *testing.T, log interface{ String() string }, s string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %s:\n%s", s, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SIGTERM while a key mail is being sent: the server stops accepting
// connections, finishes the send, and exits 0.
func TestSIGTERMFinishesTheSendInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := mpBuild(t)
	sink := newMailSink(t, "")
	inst := mpStart(t, bin, slowSendEnv(t, sink, "4s"), "--demo")
	apiIssue(t, inst.URL, demo.RepresentativeID, "email")
	awaitLog(t, inst.stderr, `"msg":"outbox: sending"`)
	if err := inst.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.received()); n != 0 {
		t.Fatalf("%d messages sent before the signal; the test needs the send held back", n)
	}
	awaitLog(t, inst.stderr, "requests finished; waiting for sends in flight")
	if c, err := net.Dial("tcp", strings.TrimPrefix(inst.URL, "http://")); err == nil {
		c.Close()
		t.Error("the server still accepts connections while it stops")
	}
	select {
	case <-inst.done:
	case <-time.After(60 * time.Second): // a failsafe
		t.Fatal("the server did not stop")
	}
	if code := inst.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after a clean stop, want 0:\n%s", code, inst.stderr)
	}
	if got := sink.received(); len(got) != 1 || got[0].To[0] != "yamada.taro@example.co.jp" {
		t.Fatalf("the send in flight was not finished: %d messages", len(got))
	}
	log := inst.stderr.String()
	if !strings.Contains(log, `"status":"sent"`) || !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("the log lacks the sent delivery or the stop:\n%s", log)
	}
}

// A second signal ends a graceful stop at once, with status 130; the send
// it cuts short stays for the next start.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := mpBuild(t)
	sink := newMailSink(t, "")
	inst := mpStart(t, bin, slowSendEnv(t, sink, "10m", "ANSHIN_SHUTDOWN_TIMEOUT", "1h"), "--demo")
	apiIssue(t, inst.URL, demo.RepresentativeID, "email")
	awaitLog(t, inst.stderr, `"msg":"outbox: sending"`)
	inst.cmd.Process.Signal(syscall.SIGTERM)
	awaitLog(t, inst.stderr, "requests finished; waiting for sends in flight")
	inst.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-inst.done:
	case <-time.After(60 * time.Second): // a failsafe; the send would take 10 minutes
		t.Fatal("the second signal did not end the process")
	}
	if code := inst.cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit status %d after a second signal, want %d", code, exitInterrupted)
	}
	if !strings.Contains(inst.stderr.String(), "second signal") {
		t.Errorf("stderr does not say why:\n%s", inst.stderr)
	}
	if n := len(sink.received()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

// Sends still running at ANSHIN_SHUTDOWN_TIMEOUT are given up, and run
// says so (a non-zero exit).
func TestShutdownDeadlineGivesUpSends(t *testing.T) {
	sink := newMailSink(t, "")
	env := slowSendEnv(t, sink, "10m", "ANSHIN_SHUTDOWN_TIMEOUT", "1s")
	env["ANSHIN_DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "anshin.db")
	srv := startServe(t, env, "serve", "--demo")
	apiIssue(t, srv.URL, demo.RepresentativeID, "email")
	awaitLog(t, srv.Stderr, `"msg":"outbox: sending"`)
	err := srv.Stop(t)
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_SHUTDOWN_TIMEOUT") || exitCode(err) != 1 {
		t.Fatalf("run returned %v, want an error naming ANSHIN_SHUTDOWN_TIMEOUT", err)
	}
	if n := len(sink.received()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestServeFailsFastOnABadStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o600)
	garbage := filepath.Join(t.TempDir(), "anshin.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 512)), 0o600)
	for _, c := range []struct {
		name    string
		env     []string
		mention []string
	}{
		{"address in use", []string{"ANSHIN_HTTP_ADDR", busy.Addr().String()}, []string{"ANSHIN_HTTP_ADDR", "address already in use"}},
		{"database folder is a file", []string{"ANSHIN_DATABASE_URL", "sqlite:" + filepath.Join(notADir, "anshin.db")}, []string{"ANSHIN_DATABASE_URL"}},
		{"not a database", []string{"ANSHIN_DATABASE_URL", "sqlite:" + garbage}, []string{"ANSHIN_DATABASE_URL", "not a database"}},
		{"bad shutdown timeout", []string{"ANSHIN_SHUTDOWN_TIMEOUT", "soon"}, []string{"ANSHIN_SHUTDOWN_TIMEOUT"}},
		{"bad log format", []string{"ANSHIN_LOG_FORMAT", "xml"}, []string{"ANSHIN_LOG_FORMAT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, _, err := runCommand(t, testEnv(t, append(c.env, "ANSHIN_SECRET_KEY", testSecretKey)...), "", "serve", "--demo")
			if err == nil {
				t.Fatal("serve started")
			}
			for _, m := range c.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(stdout, "listening") {
				t.Error("serve listened")
			}
		})
	}
}
