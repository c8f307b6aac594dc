package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/anshin/anshin/internal/config"
)

// startMetricsListener serves handler (app.MetricsHandler: /metrics, and
// the profiles with ANSHIN_PPROF=on) on ANSHIN_METRICS_ADDR, when it is
// set; stop closes it.
func startMetricsListener(cfg *config.Config, handler http.Handler, log *slog.Logger) (stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("ANSHIN_METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if cfg.Pprof {
		srv.WriteTimeout = 2 * time.Minute // a CPU profile takes 30 s by default
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener: stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics", "pprof", cfg.Pprof)
	return func() { srv.Close(); <-done }, nil
}
