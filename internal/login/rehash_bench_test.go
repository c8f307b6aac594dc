package login_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/anshintest"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/secret"
)

// BenchmarkUnknownVsKnownOldParams measures the password step right after
// ANSHIN_ARGON2_TIME went from 2 to 3 (19 MiB): an unknown login ID against
// a known one whose hash still has the old parameters, a wrong password
// each, taken in turns so both see the same load. It reports the median of
// each and their difference (goal: under 5 ms), calibrated as serve does
// it (CalibrateDummy) and, for contrast, not.
//
//	go test ./internal/login/ -run '^$' -bench UnknownVsKnownOldParams -benchtime 40x
func BenchmarkUnknownVsKnownOldParams(b *testing.B) {
	for _, calibrated := range []bool{true, false} {
		name := "uncalibrated"
		if calibrated {
			name = "calibrated"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := anshintest.MustOpenDB(b)
			keys, _ := secret.NewKeyring(bytes.Repeat([]byte("k"), 32))
			old := secret.DefaultArgon2
			cur := old
			cur.Time = 3
			hash, err := secret.NewHasher(old).Hash(ctx, "the-password")
			if err != nil {
				b.Fatal(err)
			}
			err = db.Update(ctx, func(tx anshin.Tx) error {
				return tx.PutAccount(&anshin.Account{ID: "acct-1", LoginID: "known-id", Kind: anshin.KindBusinessDAccount,
					PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0})
			})
			if err != nil {
				b.Fatal(err)
			}
			cfg := login.Defaults()
			cfg.PasswordFailuresPerAccount, cfg.PasswordFailuresPerClient = 1<<30, 1<<30 // no waits in the way
			svc := login.New(db, secret.NewHasher(cur), keys, time.Now, cfg, nil)
			if calibrated {
				if err := svc.CalibrateDummy(ctx); err != nil {
					b.Fatal(err)
				}
			}
			step := func(id string) time.Duration {
				token, err := svc.Start(ctx, id, "192.0.2.1")
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := svc.Password(ctx, token, "wrong", "192.0.2.1"); anshin.ErrorCode(err) != anshin.ECodeInvalidCredentials {
					b.Fatalf("%s: %v", id, err)
				}
				return time.Since(start)
			}
			var unknown, known []time.Duration
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					unknown = append(unknown, step("no-such-id"))
					known = append(known, step("known-id"))
				} else {
					known = append(known, step("known-id"))
					unknown = append(unknown, step("no-such-id"))
				}
			}
			mu, mk := median(unknown), median(known)
			b.ReportMetric(ms(mu), "unknown-median-ms")
			b.ReportMetric(ms(mk), "known-old-median-ms")
			b.ReportMetric(ms(mu-mk), "diff-ms")
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
