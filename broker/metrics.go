package broker

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the broker's Prometheus series, on a registry of its own so
// that two brokers in one test process do not collide.
type metrics struct {
	reg         *prometheus.Registry
	grants      prometheus.Counter
	denials     *prometheus.CounterVec
	lockouts    prometheus.Counter
	expired     prometheus.Counter
	revoked     prometheus.Counter
	enrolments  *prometheus.CounterVec
	timeToGrant prometheus.Histogram
	leader      prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg:      prometheus.NewRegistry(),
		grants:   prometheus.NewCounter(prometheus.CounterOpts{Name: "k9s_guard_broker_grants_total", Help: "Elevation requests granted."}),
		denials:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "k9s_guard_broker_denials_total", Help: "Elevation requests denied, by reason."}, []string{"reason"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "k9s_guard_broker_lockouts_total", Help: "Wrong codes that started a lockout."}),
		expired:  prometheus.NewCounter(prometheus.CounterOpts{Name: "k9s_guard_broker_expired_total", Help: "Grants removed at their expiry."}),
		revoked:  prometheus.NewCounter(prometheus.CounterOpts{Name: "k9s_guard_broker_revoked_total", Help: "Grants removed because their request was deleted."}),
		enrolments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "k9s_guard_broker_enrolments_total", Help: "Enrolments, by outcome."},
			[]string{"outcome"}),
		timeToGrant: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "k9s_guard_broker_time_to_grant_seconds", Help: "From the request's creation to its grant being live.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "k9s_guard_broker_leader", Help: "1 while this replica holds the Lease."}),
	}
	m.reg.MustRegister(m.grants, m.denials, m.lockouts, m.expired, m.revoked, m.enrolments, m.timeToGrant, m.leader)
	return m
}
