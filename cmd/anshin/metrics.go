package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/metrics"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/web"
)

// newMetrics builds serve's metrics (README: Operations) and hooks the
// outbox worker to them; the login service and the bounce handler are
// hooked where serve builds them.
func newMetrics(cfg *config.Config, db *sqlstore.DB, worker *delivery.Worker, now anshin.Clock, log *slog.Logger) *metrics.Metrics {
	m := metrics.New(metrics.Sources{Store: db, DBStats: db.Stats, Now: now, Log: log, Runtime: true})
	drivers := map[anshin.Method]string{anshin.MethodEmail: "outbox", anshin.MethodSMS: cfg.SMSDriver}
	if cfg.SMTP != nil {
		drivers[anshin.MethodEmail] = "smtp"
	}
	worker.Observe = func(channel anshin.Method, status string) { m.Delivered(drivers[channel], channel, status) }
	return m
}

// instrumentWeb gives the web server its metrics and readiness checks;
// /metrics is on the main listener unless ANSHIN_METRICS_ADDR moves it.
func instrumentWeb(d *web.Deps, cfg *config.Config, m *metrics.Metrics, db *sqlstore.DB, worker *delivery.Worker) {
	if cfg.MetricsAddr == "" {
		d.Metrics = m.Handler()
	}
	d.ObserveRequest = m.Request
	d.ReadyChecks = map[string]func(context.Context) error{
		"database":      db.Reachable,
		"migrations":    db.MigrationsCurrent,
		"outbox_worker": func(context.Context) error { return worker.Ready() },
	}
}

// startMetricsListener serves /metrics alone on ANSHIN_METRICS_ADDR, when
// it is set; stop closes it.
func startMetricsListener(cfg *config.Config, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("ANSHIN_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener: stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close(); <-done }, nil
}
