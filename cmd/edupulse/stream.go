package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edupulse/edupulse-live/internal/bus"
)

// errStreamNotReady fails the relay's publishes until the stream is
// provisioned; the relay retries them as it does any failed publish.
var errStreamNotReady = errors.New("the EDUPULSE stream is not provisioned yet")

// misconfiguredRetry paces provisioning after a failure that needs an
// operator (another stream owns our subjects, say): it is retried, slowly,
// so that the fix is picked up without a restart.
const misconfiguredRetry = 30 * time.Second

// streamGate holds the relay's publishes back until the stream has been
// provisioned to the contract's configuration. Publishing earlier is not
// only useless: where another stream captures edupulse subjects, the
// publishes would be acknowledged by that stream and marked published.
type streamGate struct {
	b     *bus.Bus
	ready atomic.Bool
	// problem is the last provisioning failure that needs an operator.
	problem atomic.Pointer[string]
}

func newStreamGate(b *bus.Bus) *streamGate { return &streamGate{b: b} }

// PublishBatch implements relay.Publisher.
func (g *streamGate) PublishBatch(ctx context.Context, msgs []bus.Message, window int) ([]bus.PubAck, error) {
	if !g.ready.Load() {
		return nil, errStreamNotReady
	}
	return g.b.PublishBatch(ctx, msgs, window)
}

// provision creates or updates the stream, waiting for the bus as long as
// it takes; false when ctx ended first.
func (g *streamGate) provision(ctx context.Context, replicas int, log *slog.Logger) bool {
	for {
		// EnsureStream retries transient failures (no server, no leader
		// yet) by itself until ctx ends.
		err := g.b.EnsureStream(ctx, replicas)
		if err == nil {
			g.problem.Store(nil)
			g.ready.Store(true)
			log.Info("stream ready", "stream", bus.StreamName, "replicas", replicas)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		msg := err.Error()
		g.problem.Store(&msg)
		log.Error("cannot provision the stream; events wait in the outbox", "stream", bus.StreamName, "err", err, "retry_in", misconfiguredRetry)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(misconfiguredRetry):
		}
	}
}

// state is the bus's state as readiness shows it.
func (g *streamGate) state() string {
	switch {
	case !g.b.Connected():
		return "unreachable (mutations and queries are served; events wait in the outbox)"
	case g.problem.Load() != nil:
		return "connected, stream misconfigured (see the log)"
	case !g.ready.Load():
		return "connected, stream being provisioned"
	}
	return "connected"
}

func registerBusMetrics(reg prometheus.Registerer, b *bus.Bus, g *streamGate) {
	gauge := func(name, help string, f func() bool) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if f() {
				return 1
			}
			return 0
		})
	}
	reg.MustRegister(
		gauge("edupulse_bus_connected", "1 while this instance is connected to NATS.", b.Connected),
		gauge("edupulse_bus_stream_ready", "1 once the EDUPULSE stream has been provisioned by this instance.", g.ready.Load),
	)
}
