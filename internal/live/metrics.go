package live

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edupulse/edupulse-live/internal/event"
)

// Metrics are the hub's Prometheus series. A nil *Metrics records nothing.
type Metrics struct {
	subs       prometheus.Gauge
	deliveries prometheus.Counter
	cuts       prometheus.Counter
	dups       prometheus.Counter
	fills      prometheus.Counter
	mismatches prometheus.Counter
	latency    prometheus.Histogram
}

// NewMetrics registers the hub's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		subs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "edupulse_live_subscriptions",
			Help: "Active subscriptions on this instance."}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "edupulse_live_deliveries_total",
			Help: "Events handed to subscribers."}),
		cuts: prometheus.NewCounter(prometheus.CounterOpts{Name: "edupulse_live_slow_consumer_cuts_total",
			Help: "Subscriptions ended with SLOW_CONSUMER."}),
		dups: prometheus.NewCounter(prometheus.CounterOpts{Name: "edupulse_live_duplicates_dropped_total",
			Help: "Bus messages dropped because their position was already handed out."}),
		fills: prometheus.NewCounter(prometheus.CounterOpts{Name: "edupulse_live_store_fills_total",
			Help: "Events read from the store because the bus had not brought them (gap or outage)."}),
		mismatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "edupulse_live_bus_mismatches_total",
			Help: "Bus messages whose event id is not the store's at their position (forged, or foreign); never delivered."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edupulse_live_commit_to_delivery_seconds",
			Help:    "From the event's occurred_at (just before commit) to its hand-over to a subscriber.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}),
	}
	reg.MustRegister(m.subs, m.deliveries, m.cuts, m.dups, m.fills, m.mismatches, m.latency)
	return m
}

func (m *Metrics) subscriptions(n int) {
	if m != nil {
		m.subs.Set(float64(n))
	}
}

func (m *Metrics) delivered(e event.Envelope) {
	if m != nil {
		m.deliveries.Inc()
		m.latency.Observe(time.Since(e.OccurredAt).Seconds())
	}
}

func (m *Metrics) slowConsumer() {
	if m != nil {
		m.cuts.Inc()
	}
}

func (m *Metrics) duplicate() {
	if m != nil {
		m.dups.Inc()
	}
}

func (m *Metrics) filled(n int) {
	if m != nil {
		m.fills.Add(float64(n))
	}
}

func (m *Metrics) mismatch() {
	if m != nil {
		m.mismatches.Inc()
	}
}
