package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/metrics"
	"github.com/anshin/anshin/internal/purge"
)

// How often each instance purges (README: Retention; every instance does,
// and they share the work safely) and looks again at which argon2id
// parameters most password hashes have (login.Service.CalibrateDummy).
const (
	purgeInterval     = time.Minute
	calibrateInterval = time.Hour
)

// startUpkeep runs the purge loop and the dummy hash's calibration until
// stop is called; stop waits for work in progress to end, so the store is
// not closed under it. The dummy is calibrated once before it returns, so
// the first unknown login ID already costs what most known ones do.
func startUpkeep(ctx context.Context, cfg *config.Config, store anshin.Store, now anshin.Clock, loginSvc *login.Service, m *metrics.Metrics, log *slog.Logger) (stop func()) {
	pc := purge.Defaults()
	pc.Retention = cfg.Retention
	pc.SessionIdle = cfg.Login.SessionIdle
	// A key counts towards its account's hourly limit, and the latest one
	// towards the cooldown, after its flow ended.
	pc.KeyWindow = max(time.Hour, cfg.Login.KeyCooldown)
	p := purge.New(store, now, pc)
	p.Observe, p.Log = m.Purged, log
	calibrate := func(ctx context.Context) {
		if err := loginSvc.CalibrateDummy(ctx); err != nil && ctx.Err() == nil {
			log.Error("calibrate the dummy password hash", "err", err)
		}
	}
	calibrate(ctx)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { p.Loop(ctx, purgeInterval) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(calibrateInterval/2 + rand.N(calibrateInterval+1)):
			}
			calibrate(ctx)
		}
	})
	return func() { cancel(); wg.Wait() }
}
