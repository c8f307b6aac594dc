package main

import (
	goversion "go/version"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// anshin backup copies the SQLite database while the server runs and
// writes go on; the copy, put in place of the database, serves a login of
// an account provisioned before the backup.
func TestBackupWhileServingAndRestore(t *testing.T) {
	// Logins hammer the server from one address: no per-client flow limit.
	env := testEnv(t, "ANSHIN_SECRET_KEY", testSecretKey, "ANSHIN_FLOWS_PER_CLIENT", "0")
	srv := startServe(t, env, "serve", "--demo")
	provision := []struct {
		stdin string
		args  []string
	}{
		{`{"kind":"business_d_account","password":"Backup-pass-5678","docomo_line":"090-5555-0001"}`, []string{"account", "put", "backup-x"}},
		{`{"management_number":"N0009999","representative_number":"03-5555-0000","contract":{"plan":"ベーシック","licenses":5}}`, []string{"group", "put", "backup-group"}},
		{`{"role":"representative","name":"控 太郎","email":"rep@example.jp"}`, []string{"admin", "put", "backup-group", "backup-x"}},
	}
	for _, p := range provision {
		if _, _, err := runCommand(t, env, p.stdin, append([]string{"operator"}, p.args...)...); err != nil {
			t.Fatalf("operator %v: %v", p.args, err)
		}
	}

	// Logins start (and write flows) all through the backup.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var started atomic.Int64
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"login_id":"demo-rep"}`))
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					started.Add(1)
				}
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); started.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // until the logins are under way
	}
	before := started.Load()
	backup := filepath.Join(t.TempDir(), "anshin-backup.db")
	out, _, err := runCommand(t, env, "", "backup", backup)
	during := started.Load() - before
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !regexp.MustCompile(`^backup written: .*anshin-backup\.db \([0-9]+ bytes\)\n$`).MatchString(out) {
		t.Errorf("backup said %q", out)
	}
	t.Logf("%d logins started while the backup ran", during)
	if during == 0 {
		t.Error("no login started while the backup ran: the test proved nothing about a backup under load")
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup file: %v, mode %v; want 0600", err, fi.Mode())
	}
	// The serving database, its -wal and -shm, after all those writes.
	dbPath := strings.TrimPrefix(env["ANSHIN_DATABASE_URL"], "sqlite:")
	for _, name := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", filepath.Base(name), err, fi.Mode())
		}
	}
	if _, _, err := runCommand(t, env, "", "backup", backup); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second backup onto the first: %v, want a refusal", err)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatal(err)
	}

	// Restore: the copy becomes the database of a fresh server (no demo
	// data loaded: the account can only come from the backup).
	restored := filepath.Join(t.TempDir(), "anshin.db")
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	env2 := testEnv(t, "ANSHIN_SECRET_KEY", testSecretKey, "ANSHIN_DEV", "true", "ANSHIN_DATABASE_URL", "sqlite:"+restored)
	srv2 := startServe(t, env2, "serve")
	b := newBrowser(t, srv2.URL)
	b.toKeyPage("backup-x", "Backup-pass-5678")
	_, key := b.issueKey("+819055550001")
	b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"backup-group"}}).WantRedirect(t, "/console?welcome=1")
	b.Get("/console").Want(t, http.StatusOK, "N0009999")
	if err := srv2.Stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		env     []string
		args    []string
		mention string
	}{
		{"PostgreSQL", []string{"ANSHIN_DATABASE_URL", "postgres://anshin:pw-hidden@127.0.0.1:1/anshin"}, []string{"backup", filepath.Join(dir, "b.db")}, "pg_dump"},
		{"no database yet", []string{"ANSHIN_DATABASE_URL", "sqlite:" + filepath.Join(dir, "missing.db")}, []string{"backup", filepath.Join(dir, "b.db")}, "no database at"},
		{"no path", nil, []string{"backup"}, "usage: anshin"},
		{"two paths", nil, []string{"backup", "a", "b"}, "usage: anshin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCommand(t, testEnv(t, c.env...), "", c.args...)
			if err == nil || !strings.Contains(err.Error(), c.mention) || strings.Contains(err.Error(), "pw-hidden") {
				t.Errorf("%v: %v, want an error mentioning %q", c.args, err, c.mention)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("backup created the missing database")
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCommand(t, testEnv(t), "", "version")
	if err != nil || !strings.HasPrefix(out, "anshin ") || !strings.Contains(out, "go: "+runtime.Version()) {
		t.Errorf("version = %q, %v", out, err)
	}
	// Run by a Go older than the patched release, it says so.
	older := goversion.Compare(runtime.Version(), patchedGo) < 0
	if note := "older than " + patchedGo; strings.Contains(out, note) != older {
		t.Errorf("version on %s = %q; want the note %q: %v", runtime.Version(), out, note, older)
	}
	if testing.Short() {
		return
	}
	// A binary built from this checkout with the production toolchain
	// names its commit and that Go release, without the note.
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs in a git checkout, but git rev-parse HEAD failed: %v", err)
		}
		t.Skipf("no git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "anshin")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOTOOLCHAIN="+patchedGo)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOTOOLCHAIN=%s go build: %v\n%s", patchedGo, err, b)
	}
	got, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(got), "\ngo: "+patchedGo+"\n") {
		t.Errorf("anshin version = %q, %v; want go: %s", got, err, patchedGo)
	}
	if !strings.Contains(string(got), "revision: "+strings.TrimSpace(string(head))) {
		t.Errorf("anshin version = %q; want revision %s", got, head)
	}
}

func TestConfigCheck(t *testing.T) {
	secrets := map[string]string{
		"ANSHIN_SECRET_KEY":           "d6300d567b8efe9d4ae7a7ec44869100e90df35826b43921c3354a75b8f3efd2",
		"ANSHIN_OPERATOR_TOKEN":       "operator-token-4711",
		"ANSHIN_SMTP_URL":             "smtp://mailer:smtp-pass-4711@mail.example.jp:587",
		"ANSHIN_DATABASE_URL":         "postgres://anshin:db-pass-4711@db.example.jp:5432/anshin?sslmode=verify-full&sslpassword=ssl-pass-4711",
		"ANSHIN_SMS_DRIVER":           "twilio",
		"ANSHIN_TWILIO_ACCOUNT_SID":   "AC00000000000000000000000000000001",
		"ANSHIN_TWILIO_AUTH_TOKEN":    "twilio-token-4711",
		"ANSHIN_TWILIO_FROM":          "+815011112222",
		"ANSHIN_BOUNCE_WEBHOOK_TOKEN": "bounce-token-4711-abcdef",
	}
	env := testEnv(t)
	for k, v := range secrets {
		env[k] = v
	}
	out, _, err := runCommand(t, env, "", "config", "check")
	if err != nil {
		t.Fatalf("config check: %v", err)
	}
	for _, s := range []string{"d6300d567b8e", "operator-token-4711", "smtp-pass-4711", "db-pass-4711", "ssl-pass-4711", "twilio-token-4711", "bounce-token-4711"} {
		if strings.Contains(out, s) {
			t.Errorf("config check shows the secret %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"configuration OK (production mode)", "mail.example.jp:587", "db.example.jp:5432", "AC00000000000000000000000000000001",
		"ANSHIN_KEY_TTL", "ANSHIN_SHUTDOWN_TIMEOUT", "ANSHIN_LOG_FORMAT"} {
		if !strings.Contains(out, s) {
			t.Errorf("config check lacks %q:\n%s", s, out)
		}
	}

	// Bad input: an error naming each variable, and nothing secret.
	env["ANSHIN_KEY_TTL"], env["ANSHIN_SMTP_URL"] = "banana", "imap://mailer:smtp-pass-4711@mail.example.jp"
	out, _, err = runCommand(t, env, "", "config", "check")
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "ANSHIN_KEY_TTL") || !strings.Contains(err.Error(), "ANSHIN_SMTP_URL") ||
		strings.Contains(err.Error()+out, "smtp-pass-4711") {
		t.Errorf("config check of bad input: %q, %v", out, err)
	}
	// Production needs a secret key.
	_, _, err = runCommand(t, testEnv(t), "", "config", "check")
	if err == nil || !strings.Contains(err.Error(), "ANSHIN_SECRET_KEY") {
		t.Errorf("config check without a secret key: %v", err)
	}
	if _, _, err := runCommand(t, testEnv(t), "", "config", "check", "--demo"); err != nil {
		t.Errorf("config check --demo: %v", err)
	}
	if _, _, err := runCommand(t, testEnv(t), "", "config", "show"); exitCode(err) != 2 {
		t.Errorf("config show: %v, want a usage error", err)
	}
}
