package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/metrics"
	"github.com/anshin/anshin/internal/purge"
)

// purgeInterval is about how often each instance purges (README:
// Retention); every instance does, and they share the work safely.
const purgeInterval = time.Minute

// startPurge runs the purge loop until stop is called; stop waits for a
// run in progress to end, so the store is not closed under it.
func startPurge(cfg *config.Config, store anshin.Store, now anshin.Clock, m *metrics.Metrics, log *slog.Logger) (stop func()) {
	pc := purge.Defaults()
	pc.Retention = cfg.Retention
	pc.SessionIdle = cfg.Login.SessionIdle
	// A key counts towards its account's hourly limit, and the latest one
	// towards the cooldown, after its flow ended.
	pc.KeyWindow = max(time.Hour, cfg.Login.KeyCooldown)
	p := purge.New(store, now, pc)
	p.Observe, p.Log = m.Purged, log
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.Loop(ctx, purgeInterval) })
	return func() { cancel(); wg.Wait() }
}
