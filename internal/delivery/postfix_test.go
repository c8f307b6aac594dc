package delivery_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/testenv"
)

// A key mail through a real Postfix (scripts/services/postfix.sh) to a
// local Maildir, read back: the relay keeps the VERP return path, the
// Japanese subject and the key.
func TestKeyMailThroughPostfix(t *testing.T) {
	addr := testenv.Require(t, testenv.PostfixAddr)
	maildir := testenv.Require(t, testenv.PostfixMail)
	f := newFixture(t)
	f.now = time.Now().UTC()
	to := "taro." + secret.NewID()[:12] + "@anshin.test"
	ids := f.enqueueKey(t, anshin.MethodEmail, "86753090", "ja", 10*time.Minute, to)
	cfg, err := delivery.ParseSMTPURL("smtp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	sender := delivery.NewSMTPSender(cfg, f.keys, "anshin@example.jp", bounceDomain, f.clock)
	w := f.emailWorker(sender)
	w.RunOnce(context.Background())
	if d := f.flowStatus(t, "flow-86753090", ids[0]); d.Status != anshin.DeliverySent {
		t.Fatalf("Postfix did not accept the mail: %s %q", d.Status, d.LastError)
	}

	var raw []byte
	deadline := time.Now().Add(60 * time.Second) // a failsafe, not a measurement
	for raw == nil && time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err == nil && strings.Contains(string(b), "Delivered-To: "+to) {
				raw = b
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if raw == nil {
		t.Fatalf("no mail to %s in %s", to, maildir)
	}
	msg := parseMail(t, raw)
	rp := strings.Trim(msg.Header.Get("Return-Path"), "<>")
	if id, err := delivery.ParseVERP(f.keys, rp, bounceDomain); err != nil || id != ids[0] {
		t.Errorf("Return-Path %q: %q, %v", rp, id, err)
	}
	if subj := decodeHeader(t, msg.Header.Get("Subject")); subj != "【anshin】ワンタイムキーのお知らせ" {
		t.Errorf("Subject %q", subj)
	}
	if msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted %q", msg.Header.Get("Auto-Submitted"))
	}
	text, html := parts(t, msg)
	if !strings.Contains(text, "86753090") || !strings.Contains(html, "86753090") {
		t.Errorf("the key is not in the mail:\n%s", text)
	}
}
