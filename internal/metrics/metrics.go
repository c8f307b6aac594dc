// Package metrics counts what an operator watches in anshin — login steps,
// keys, limits, deliveries, bounces, requests, the outbox and the database
// pool — and serves them in the Prometheus exposition format.
//
// Every label value comes from a small fixed set (step names, error codes,
// limit names, drivers, route patterns): never a login ID, an address, a
// number, a flow ID or a token.
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/bounce"
	"github.com/anshin/anshin/internal/login"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds anshin's collectors on a registry of its own.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	loginSteps    *prometheus.CounterVec
	keysIssued    *prometheus.CounterVec
	verifications *prometheus.CounterVec
	lockouts      *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	bounces       *prometheus.CounterVec
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	purged        *prometheus.CounterVec
}

// Sources are what the collectors read at each scrape; any may be nil.
type Sources struct {
	Store   anshin.Store       // outbox depth and age
	DBStats func() sql.DBStats // connection pool
	Now     anshin.Clock       // for the age of the oldest message
	Log     *slog.Logger       // scrape errors
	Timeout time.Duration      // of the outbox query; 2s when zero
	Runtime bool               // Go runtime and process collectors
	// Hashes counts the password hashes computed and the processor time
	// they took on their threads (secret.Hasher.HashCPU).
	Hashes func() (int64, time.Duration)
}

// New returns the metrics, registered and at zero.
func New(src Sources) *Metrics {
	if src.Log == nil {
		src.Log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: src.Log}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "anshin", Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.loginSteps = counter("login_steps_total", "Login steps by step and outcome (ok or the error code).", "step", "outcome")
	m.keysIssued = counter("keys_issued_total", "One-time keys issued, by method.", "method")
	m.verifications = counter("key_verifications_total", "One-time key verifications by outcome (ok or the error code).", "outcome")
	m.lockouts = counter("lockouts_total", "Locks a run of failures caused, by lock (key_entry, initial_password).", "lock")
	m.rateLimited = counter("rate_limited_total", "Steps refused with rate_limited, by step and limit.", "step", "limit")
	m.deliveries = counter("deliveries_total", "Delivery attempts by driver, channel and status (sent, failed, retry).", "driver", "channel", "status")
	m.bounces = counter("bounces_total", "Bounces received, by kind, class, reason and result.", "kind", "class", "reason", "result")
	m.purged = counter("purged_rows_total", "Rows the purge removed (or, for delivery_payloads, erased), by kind.", "kind")
	m.requests = counter("http_requests_total", "HTTP requests by route pattern and status code.", "route", "code")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "anshin", Name: "http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.reg.MustRegister(m.latency)
	// These exist from the start, so that rate() sees their first increase.
	for _, method := range []anshin.Method{anshin.MethodSMS, anshin.MethodEmail} {
		m.keysIssued.WithLabelValues(string(method))
	}
	for _, lock := range []string{"key_entry", "initial_password"} {
		m.lockouts.WithLabelValues(lock)
	}
	for _, kind := range anshin.PurgeKinds {
		m.purged.WithLabelValues(string(kind))
	}
	if src.Store != nil {
		if src.Now == nil {
			src.Now = func() time.Time { return time.Now().UTC() }
		}
		if src.Timeout <= 0 {
			src.Timeout = 2 * time.Second
		}
		m.reg.MustRegister(&outboxCollector{store: src.Store, now: src.Now, timeout: src.Timeout, log: src.Log})
	}
	if src.DBStats != nil {
		m.reg.MustRegister(dbStatsCollector(src.DBStats))
	}
	if src.Hashes != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "anshin", Name: "password_hashes_total",
				Help: "Password hashes (argon2id) computed."},
				func() float64 { n, _ := src.Hashes(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "anshin", Name: "password_hash_cpu_seconds_total",
				Help: "Processor time the password hashes took, measured on their threads (0 where it cannot be)."},
				func() float64 { _, cpu := src.Hashes(); return cpu.Seconds() }))
	}
	if src.Runtime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the exposition. A collector that fails leaves its
// metrics out of the answer instead of failing the whole scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn), Timeout: 10 * time.Second})
}

// Purged counts rows a purge run removed (purge.Purger.Observe).
func (m *Metrics) Purged(kind anshin.PurgeKind, n int) {
	m.purged.WithLabelValues(string(kind)).Add(float64(n))
}

// Observe counts one login event (login.Service.Observe).
func (m *Metrics) Observe(e login.Event) {
	outcome := e.Code
	if outcome == "" {
		outcome = "ok"
	}
	if e.Kind == login.EventLockout {
		m.lockouts.WithLabelValues(e.Code).Inc()
		return
	}
	m.loginSteps.WithLabelValues(e.Kind, outcome).Inc()
	switch {
	case e.Kind == login.EventKeyIssued && e.Code == "":
		m.keysIssued.WithLabelValues(string(e.Method)).Inc()
	case e.Kind == login.EventKeyVerified:
		m.verifications.WithLabelValues(outcome).Inc()
	}
	if e.Code == anshin.ECodeRateLimited {
		limit := e.Limit
		if limit == "" {
			limit = "other"
		}
		m.rateLimited.WithLabelValues(e.Kind, limit).Inc()
	}
}

// Delivered counts one delivery attempt (delivery.Worker.Observe, with the
// driver of the channel).
func (m *Metrics) Delivered(driver string, channel anshin.Method, status string) {
	m.deliveries.WithLabelValues(driver, string(channel), status).Inc()
}

// Bounce counts one bounce (bounce.Handler.Observe).
func (m *Metrics) Bounce(o bounce.Outcome, err error) {
	switch {
	case errors.Is(err, bounce.ErrForged):
		m.bounces.WithLabelValues("", "", "", "forged").Inc()
		return
	case err != nil:
		m.bounces.WithLabelValues("", "", "", "error").Inc()
		return
	}
	result := "ignored"
	switch {
	case o.Disabled:
		result = "disabled"
	case o.Recorded:
		result = "recorded"
	case o.Duplicate:
		result = "duplicate"
	}
	m.bounces.WithLabelValues(string(o.Kind), string(o.Verdict.Class), o.Verdict.Reason, result).Inc()
}

// Request records one HTTP request. route is the mux's pattern, never the
// path: a path can hold a flow ID.
func (m *Metrics) Request(route string, code int, elapsed time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(elapsed.Seconds())
}

// outboxCollector asks the store at each scrape how many messages wait
// and since when.
type outboxCollector struct {
	store   anshin.Store
	now     anshin.Clock
	timeout time.Duration
	log     *slog.Logger
}

var (
	outboxQueued = prometheus.NewDesc("anshin_outbox_queued", "Deliveries queued in the outbox (claimed or not).", nil, nil)
	outboxAge    = prometheus.NewDesc("anshin_outbox_oldest_age_seconds", "Age of the oldest queued delivery; 0 when none is queued.", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxQueued
	ch <- outboxAge
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var n int
	var oldest time.Time
	err := c.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		n, oldest, err = tx.OutboxStats()
		return err
	})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxQueued, err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(c.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxQueued, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(outboxAge, prometheus.GaugeValue, age)
}
