package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/secret"
)

// ingestBench prepares a database with n sent e-mail deliveries and the
// bounce corpus, each message readdressed to one of them.
func ingestBench(b *testing.B, n int) (env map[string]string, msgs [][]byte, rcpts []string) {
	b.Helper()
	dbPath := filepath.Join(b.TempDir(), "anshin.db")
	env = map[string]string{"ANSHIN_DATABASE_URL": "sqlite:" + dbPath, "ANSHIN_SECRET_KEY": testSecretKey,
		"ANSHIN_BOUNCE_DOMAIN": testBounceDomain, "ANSHIN_LOG_LEVEL": "error"}
	db := anshintest.MustOpenURL(b, env["ANSHIN_DATABASE_URL"])
	ctx := context.Background()
	keys, _ := secret.NewKeyring([]byte(testSecretKey))
	now := time.Now().UTC()
	err := db.Update(ctx, func(tx anshin.Tx) error {
		for i := range n {
			id := fmt.Sprintf("bench%d", i)
			if err := tx.EnqueueDelivery(&anshin.Delivery{ID: id, Kind: anshin.DeliveryKindNotification, Channel: anshin.MethodEmail,
				Recipient: fmt.Sprintf("user%d@example.jp", i), NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if err := tx.FinishDelivery(id, anshin.DeliverySent, "", now); err != nil {
				return err
			}
			rcpts = append(rcpts, delivery.VERPAddress(keys, id, testBounceDomain))
		}
		return nil
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob("../../internal/bounce/testdata/*.eml")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		msgs = append(msgs, raw)
	}
	return env, msgs, rcpts
}

// readdress points a corpus message at delivery i's recipient.
func readdress(raw []byte, i int) []byte {
	return bytes.ReplaceAll(raw, []byte("taro@example.jp"), fmt.Appendf(nil, "user%d@example.jp", i))
}

// BenchmarkBounceIngest runs `anshin bounce ingest` in-process per
// message: configuration, opening the database, parsing and applying.
func BenchmarkBounceIngest(b *testing.B) {
	env, msgs, rcpts := ingestBench(b, 3000)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		i := n % len(rcpts)
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"bounce", "ingest", "--rcpt", rcpts[i]}, getenvFrom(env),
			bytes.NewReader(readdress(msgs[n%len(msgs)], i)), &out, &errOut)
		if err != nil && exitCode(err) != exitBounceNotBounce {
			b.Fatalf("%v\n%s", err, errOut.String())
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkBounceIngestProcess runs the built anshin binary per message,
// as an MTA's pipe transport would.
func BenchmarkBounceIngestProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "anshin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	env, msgs, rcpts := ingestBench(b, 3000)
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		i := n % len(rcpts)
		cmd := exec.Command(bin, "bounce", "ingest", "--rcpt", rcpts[i])
		cmd.Env = environ
		cmd.Stdin = bytes.NewReader(readdress(msgs[n%len(msgs)], i))
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); err != nil && code != exitBounceNotBounce {
			b.Fatalf("exit %d: %s", code, strings.TrimSpace(string(out)))
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
