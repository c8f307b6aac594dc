package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/app"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	demoMode := fs.Bool("demo", false, "development mode with demo data")
	if err := fs.Parse(args); err != nil {
		return usageError{"serve: " + err.Error()}
	}
	cfg, err := config.Load(getenv, *demoMode)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if err := cfg.EnsureSecretKey(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg)
	memoryLimit := applyMemoryLimit(cfg, getenv)
	db, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	now := func() time.Time { return time.Now().UTC() }
	a, err := app.New(cfg, db, now, log)
	if err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: %w", err)
	}
	var accounts []demo.Account
	if *demoMode {
		if accounts, err = demo.Load(ctx, a.Operator, db); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	handler, err := a.NewHandler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("ANSHIN_HTTP_ADDR: %w", err)
	}
	stopBounces, err := startBounceListener(cfg, a.Bounces, log, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	stopMetrics, err := startMetricsListener(cfg, a.MetricsHandler(), log)
	if err != nil {
		ln.Close()
		stopBounces()
		return err
	}
	defer stopMetrics()
	url := "http://" + ln.Addr().String()
	if *demoMode {
		demo.Print(stdout, url, accounts)
	}
	fmt.Fprintf(stdout, "anshin listening on %s\n", url)
	log.Info("listening", "url", url, "dev", cfg.Dev, "database", redactURL(cfg.DatabaseURL), "memory_limit", memoryLimit)

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	sendCtx, abandonSends := context.WithCancel(context.WithoutCancel(ctx))
	defer abandonSends()
	for range cfg.Workers {
		wg.Go(func() { a.Worker.RunDraining(workCtx, sendCtx) })
	}
	stopUpkeep := startUpkeep(ctx, cfg, db, now, a.Login, a.Metrics, log)
	defer stopUpkeep()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	// One deadline for requests and sends in flight (README: Shutdown).
	log.Info("stopping: no new connections; finishing what is in flight", "timeout", cfg.ShutdownTimeout.String())
	deadline, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(deadline); serr != nil {
		srv.Close()
		err = errors.Join(err, fmt.Errorf("shutdown: requests still running after ANSHIN_SHUTDOWN_TIMEOUT (%s) were cut off", cfg.ShutdownTimeout))
	}
	stopBounces()
	stopWork()
	log.Info("requests finished; waiting for sends in flight")
	if !waitWithin(deadline, &wg) {
		abandonSends() // their lease lets another attempt follow
		wg.Wait()
		err = errors.Join(err, fmt.Errorf("shutdown: sends still running after ANSHIN_SHUTDOWN_TIMEOUT (%s) were given up; they are sent again once their lease ends", cfg.ShutdownTimeout))
	}
	if err != nil {
		log.Error("stopped", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// waitWithin waits for wg until ctx ends, and says whether wg was done.
func waitWithin(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

func openStore(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(url)
	if err != nil {
		return nil, fmt.Errorf("ANSHIN_DATABASE_URL: %w", err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ANSHIN_DATABASE_URL: %w", err)
	}
	return db, nil
}

// redactURL drops credentials from a database URL before it is logged.
func redactURL(u string) string {
	if p, err := neturl.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}
