package relay

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	published     prometheus.Counter
	redundant     prometheus.Counter
	errors        prometheus.Counter
	pending       prometheus.Gauge
	oldest        prometheus.Gauge
	leader        prometheus.Gauge
	batchDuration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edupulse_relay_published_events_total",
			Help: "Events published to the bus and marked published in the outbox.",
		}),
		redundant: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edupulse_relay_duplicate_events_total",
			Help: "Published events the stream already held (a batch republished after a failure or a crash).",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edupulse_relay_publish_errors_total",
			Help: "Batches whose publishing failed and will be retried.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edupulse_relay_outbox_pending",
			Help: "Committed events not yet marked published (reported by the leading relay).",
		}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edupulse_relay_outbox_oldest_age_seconds",
			Help: "Age of the oldest event not yet marked published (reported by the leading relay).",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edupulse_relay_leader",
			Help: "1 while this instance's relay holds the outbox.",
		}),
		batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edupulse_relay_batch_duration_seconds",
			Help:    "Time to claim, publish and mark one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms … 16 s
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.published, m.redundant, m.errors, m.pending, m.oldest, m.leader, m.batchDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("relay metrics: %w", err)
		}
	}
	return m, nil
}
