package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP-level series. They are labelled by the mux pattern
// ("POST /query"), never by the raw path, so that a scan of random URLs
// cannot create unbounded series. Per-operation GraphQL metrics belong to
// the GraphQL layer, which knows the operation names.
type metrics struct {
	duration *prometheus.HistogramVec
	requests *prometheus.CounterVec
	// connRefused counts websocket upgrades refused by the per-address cap.
	connRefused prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"route", "code"}
	return &metrics{
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "edupulse_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route and status code. Websocket connections are not observed (their duration is a session length, not a latency).",
			Buckets: prometheus.DefBuckets,
		}, labels)),
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edupulse_http_requests_total",
			Help: "HTTP requests answered, by route and status code (101 for websocket connections).",
		}, labels)),
		connRefused: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edupulse_connections_refused_total",
			Help: "Websocket upgrades refused because their client address held EDUPULSE_MAX_CONNS_PER_IP connections already.",
		})),
	}
}

func (m *metrics) observe(route string, status int, d time.Duration, hijacked bool) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	if !hijacked && status != http.StatusSwitchingProtocols {
		m.duration.WithLabelValues(route, code).Observe(d.Seconds())
	}
}

// register adds c to reg, or returns the collector already registered under
// the same name, so that New can be called twice with one registry (tests,
// a handler rebuilt after a configuration reload) without panicking.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic("server: register metrics: " + err.Error())
}
