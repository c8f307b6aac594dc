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

	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/demo"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/web"
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
	db, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	keys, err := secret.NewKeyring(cfg.SecretKey)
	if err != nil {
		return fmt.Errorf("ANSHIN_SECRET_KEY: %w", err)
	}
	now := func() time.Time { return time.Now().UTC() }
	hasher := secret.NewHasher(cfg.Argon2)
	outbox := delivery.NewDevOutbox(200)
	worker := delivery.NewWorker(db, keys, now, deliverySenders(cfg, keys, outbox, now, log), log)
	worker.Lease = cfg.OutboxLease
	m := newMetrics(cfg, db, worker, now, log)
	loginSvc := login.New(db, hasher, keys, now, cfg.Login, worker.Notify)
	loginSvc.Observe(fanOut(authEventLog(log), m.Observe)) // one line per authentication event, and metrics
	ops := operator.New(db, hasher, now)

	var accounts []demo.Account
	if *demoMode {
		if accounts, err = demo.Load(ctx, ops, db); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	deps := web.Deps{Login: loginSvc, Console: console.New(db, hasher, keys, now, worker.Notify), Operator: ops, Log: log, Now: now, OperatorToken: cfg.OperatorToken, MailFrom: cfg.MailFrom,
		TrustedProxies: cfg.TrustedProxies, PublicURL: cfg.PublicURL}
	if cfg.Dev {
		deps.Outbox = outbox
	}
	deps.TwilioReceipts = twilioReceipts(cfg, db, now)
	bounces := bounceHandler(cfg, db, keys, now, log)
	bounces.Observe = m.Bounce
	deps.Bounces, deps.BounceWebhookToken = bounces, cfg.BounceWebhookToken
	deps.SES, deps.SendGrid = providerChecks(cfg, now)
	instrumentWeb(&deps, cfg, m, db, worker)
	handler, err := web.NewServer(deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("ANSHIN_HTTP_ADDR: %w", err)
	}
	stopBounces, err := startBounceListener(cfg, bounces, log, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	stopMetrics, err := startMetricsListener(cfg, m, log)
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
	log.Info("listening", "url", url, "dev", cfg.Dev, "database", redactURL(cfg.DatabaseURL))

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	sendCtx, abandonSends := context.WithCancel(context.WithoutCancel(ctx))
	defer abandonSends()
	for range cfg.Workers {
		wg.Go(func() { worker.RunDraining(workCtx, sendCtx) })
	}
	stopUpkeep := startUpkeep(ctx, cfg, db, now, loginSvc, m, log)
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

// delayedSender makes each send wait d first (ANSHIN_DEV_SEND_DELAY,
// development mode only): tests kill an instance while it holds claimed
// messages and watch another deliver them once the lease ends.
func delayedSender(s delivery.Sender, d time.Duration) delivery.Sender {
	if d <= 0 {
		return s
	}
	return slowSender{s, d}
}

type slowSender struct {
	delivery.Sender
	delay time.Duration
}

func (s slowSender) Send(ctx context.Context, m *delivery.Message) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sender.Send(ctx, m)
}

// redactURL drops credentials from a database URL before it is logged.
func redactURL(u string) string {
	if p, err := neturl.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}
