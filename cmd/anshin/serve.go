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
	"github.com/anshin/anshin/internal/provision"
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
	log := newLogger(stderr, cfg.LogLevel)
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
	loginSvc := login.New(db, hasher, keys, now, cfg.Login, worker.Notify)
	prov := provision.New(db, hasher, now)

	var accounts []demo.Account
	if *demoMode {
		if accounts, err = demo.Load(ctx, prov, db); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	deps := web.Deps{Login: loginSvc, Console: console.New(db, hasher, keys, now, worker.Notify), Provision: prov, Log: log, Now: now, OperatorToken: cfg.OperatorToken, MailFrom: cfg.MailFrom}
	if cfg.Dev {
		deps.Outbox = outbox
	}
	deps.TwilioReceipts = twilioReceipts(cfg, db, now)
	bounces := bounceHandler(cfg, db, keys, now, log)
	deps.Bounces, deps.BounceWebhookToken = bounces, cfg.BounceWebhookToken
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
	url := "http://" + ln.Addr().String()
	if *demoMode {
		demo.Print(stdout, url, accounts)
	}
	fmt.Fprintf(stdout, "anshin listening on %s\n", url)
	log.Info("listening", "url", url, "dev", cfg.Dev, "database", redactURL(cfg.DatabaseURL))

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	for range cfg.Workers {
		wg.Go(func() { worker.Run(workCtx) })
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = srv.Shutdown(shut)
		cancel()
	}
	stopBounces()
	stopWork()
	wg.Wait() // in-flight sends finish before the store closes
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

func openStore(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(url)
	if err != nil {
		return nil, fmt.Errorf("ANSHIN_DATABASE_URL: %w", err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
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

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// redactURL drops credentials from a database URL before it is logged.
func redactURL(u string) string {
	if p, err := neturl.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}
