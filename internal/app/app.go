// Package app wires anshin's services together, once: `anshin serve` runs
// what New builds, and the web tests run the same wiring (bounces, SMS
// receipts, metrics, the authentication event log, readiness checks), so
// they test the server as production puts it together.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/url"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/delivery"
	"github.com/anshin/anshin/internal/login"
	"github.com/anshin/anshin/internal/metrics"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/passkey"
	"github.com/anshin/anshin/internal/secret"
	"github.com/anshin/anshin/internal/store/sqlstore"
	"github.com/anshin/anshin/internal/web"
)

// outboxSize is how many messages the development outbox keeps.
const outboxSize = 200

// App is anshin's services, wired. Web is what NewHandler serves; a test
// may replace a part of it (a provider's signature check with its own
// certificate client) before calling NewHandler.
type App struct {
	Store    *sqlstore.DB
	Keys     *secret.Keyring
	Outbox   *delivery.DevOutbox // the development outbox; served only in development mode
	Worker   *delivery.Worker
	Metrics  *metrics.Metrics
	Login    *login.Service
	Console  *console.Service
	Operator *operator.Service
	Bounces  *bounce.Handler
	Web      web.Deps
	pprof    bool
}

// New builds the services on a migrated store from cfg, with cfg's secret
// key, the clock now and the logger log.
func New(cfg *config.Config, db *sqlstore.DB, now anshin.Clock, log *slog.Logger) (*App, error) {
	keys, err := secret.NewKeyring(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	a := &App{Store: db, Keys: keys, Outbox: delivery.NewDevOutbox(outboxSize)}
	hasher := secret.NewHasher(cfg.Argon2)
	a.Worker = delivery.NewWorker(db, keys, now, Senders(cfg, keys, a.Outbox, now, log), log)
	a.Worker.Lease = cfg.OutboxLease
	if u, err := url.Parse(cfg.PublicURL); err == nil && cfg.PublicURL != "" {
		a.Worker.SMSOrigin = u.Host
	}
	a.Metrics = newMetrics(cfg, db, a.Worker, hasher, now, log)
	a.Login = login.New(db, hasher, keys, now, cfg.Login, a.Worker.Notify)
	a.Login.HandTo(a.Worker)
	a.Login.Observe(fanOut(authEventLog(log), a.Metrics.Observe)) // one line per authentication event, and metrics
	a.Console = console.New(db, hasher, keys, now, a.Worker.Notify)
	a.Operator = operator.New(db, hasher, now)
	a.Operator.NoPassword = !cfg.OIDC.PasswordLogin
	a.Bounces = BounceHandler(cfg, db, keys, now, log)
	a.Bounces.Observe = a.Metrics.Bounce

	a.Web = web.Deps{Login: a.Login, Console: a.Console, Operator: a.Operator, Log: log, Now: now,
		OperatorToken: cfg.OperatorToken, MailFrom: cfg.MailFrom, TrustedProxies: cfg.TrustedProxies, PublicURL: cfg.PublicURL,
		TwilioReceipts: twilioReceipts(cfg, db, now), Bounces: a.Bounces, BounceWebhookToken: cfg.BounceWebhookToken,
		ObserveRequest: a.Metrics.Request, ReadyChecks: ReadyChecks(db, a.Worker)}
	if cfg.Passkeys != nil {
		rp, err := passkey.New(*cfg.Passkeys, now)
		if err != nil {
			return nil, err
		}
		a.Web.Passkeys, a.Web.ConsolePasskeys = login.NewPasskeys(a.Login, rp), console.NewPasskeys(a.Console, rp)
	}
	if cfg.Dev {
		a.Web.Outbox = a.Outbox
	}
	providerChecks(&a.Web, cfg, now)
	a.Web.OIDC, a.Web.PasswordLoginOff = federation(cfg, now, log), !cfg.OIDC.PasswordLogin
	if a.Web.OIDC != nil {
		a.Web.ReadyChecks["oidc_provider"] = a.Web.OIDC.Ready
	}
	if cfg.MetricsAddr == "" { // else on a listener of its own (serve)
		a.Web.Metrics = a.Metrics.Handler()
	}
	a.pprof = cfg.Pprof
	return a, nil
}

// MetricsHandler is what the listener of ANSHIN_METRICS_ADDR serves:
// /metrics, and with ANSHIN_PPROF=on Go's profiles under /debug/pprof/.
// The main listener never serves the profiles.
func (a *App) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	if a.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// NewHandler is the HTTP server of a.Web.
func (a *App) NewHandler() (http.Handler, error) { return web.NewServer(a.Web) }

// ReadyChecks are /readyz's checks by name: the database answers, its
// migrations are those of this binary, and the outbox worker runs.
func ReadyChecks(db *sqlstore.DB, worker *delivery.Worker) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"database":      db.Reachable,
		"migrations":    db.MigrationsCurrent,
		"outbox_worker": func(context.Context) error { return worker.Ready() },
	}
}

// newMetrics builds the metrics (README: Operations) and hooks the outbox
// worker to them; the login service, the bounce handler and the web server
// are hooked where New builds them.
func newMetrics(cfg *config.Config, db *sqlstore.DB, worker *delivery.Worker, hasher *secret.Hasher, now anshin.Clock, log *slog.Logger) *metrics.Metrics {
	m := metrics.New(metrics.Sources{Store: db, DBStats: db.Stats, Now: now, Log: log, Runtime: true, Hashes: hasher.HashCPU})
	drivers := map[anshin.Method]string{anshin.MethodEmail: "outbox", anshin.MethodSMS: cfg.SMSDriver}
	if cfg.SMTP != nil {
		drivers[anshin.MethodEmail] = "smtp"
	}
	worker.Observe = func(channel anshin.Method, status string) { m.Delivered(drivers[channel], channel, status) }
	return m
}
