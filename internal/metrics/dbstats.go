package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// dbStats turns the connection pool's statistics into metrics at each
// scrape.
type dbStats struct {
	stats func() sql.DBStats
	descs []dbStat
}

type dbStat struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(sql.DBStats) float64
}

func dbStatsCollector(stats func() sql.DBStats) *dbStats {
	d := func(name, help string, kind prometheus.ValueType, value func(sql.DBStats) float64) dbStat {
		return dbStat{prometheus.NewDesc("anshin_db_"+name, help, nil, nil), kind, value}
	}
	return &dbStats{stats: stats, descs: []dbStat{
		d("max_open_connections", "Most connections the pool opens.", prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
		d("open_connections", "Connections open, in use or idle.", prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		d("in_use_connections", "Connections in use (with SQLite, one is the writer's for good).", prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.InUse) }),
		d("idle_connections", "Idle connections.", prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.Idle) }),
		d("wait_count_total", "Times a caller waited for a connection.", prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		d("wait_duration_seconds_total", "Time callers waited for a connection.", prometheus.CounterValue, func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
		d("max_idle_closed_total", "Connections closed for SetMaxIdleConns.", prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxIdleClosed) }),
		d("max_idle_time_closed_total", "Connections closed for SetConnMaxIdleTime.", prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxIdleTimeClosed) }),
		d("max_lifetime_closed_total", "Connections closed for SetConnMaxLifetime.", prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxLifetimeClosed) }),
	}}
}

func (c *dbStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
}

func (c *dbStats) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.kind, d.value(s))
	}
}
