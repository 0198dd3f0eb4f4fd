package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	edupulse "github.com/edupulse/edupulse-live"
	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/datadir"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/tracing"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// instance is one running server, everything wired in order: store,
// HTTP handler, then the bus, whose connection, stream and consumer come
// up in the background. Several can share one PostgreSQL and one NATS.
type instance struct {
	handler http.Handler
	// admin serves /metrics, health and profiles on EDUPULSE_ADMIN_ADDR.
	admin     http.Handler
	devTokens map[string]string
	hub       *live.Hub

	// conns are the live connections: websockets and event streams.
	conns *transport.Registry
	// draining is set on shutdown, before the listener closes: readiness
	// fails so that a load balancer stops sending requests here.
	draining atomic.Bool
	cancel   context.CancelFunc
	workers  sync.WaitGroup
	failed   chan error
	closers  []func()
	shutOnce sync.Once
}

// startInstance never waits for the bus: the service answers mutations
// and queries while NATS is unreachable (the outbox keeps every event),
// and an instance restarted during a NATS outage must come up. What needs
// the bus is started here and waits for it on its own.
func startInstance(ctx context.Context, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry) (_ *instance, err error) {
	in := &instance{conns: transport.NewRegistry(), failed: make(chan error, 1)}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "edupulse_ws_connections", Help: "Open websocket connections on this instance.",
	}, func() float64 { return float64(in.conns.Websockets()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "edupulse_sse_streams", Help: "Open GraphQL over SSE streams on this instance.",
	}, func() float64 { return float64(in.conns.Streams()) }))
	defer func() {
		if err != nil {
			in.close()
		}
	}()

	if cfg.UsesDataDir() {
		lock, err := datadir.Acquire(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("EDUPULSE_DATA_DIR: %w", err)
		}
		in.closers = append(in.closers, lock.Release)
	}

	st, pg, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	in.closers = append(in.closers, st.Close)

	// Background work (the key set's refresh, the relay, the hub, the
	// consumer) lives until close, not as long as the start-up context.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in.cancel = cancel
	tokens, devTokens, err := identity(runCtx, cfg, logger)
	if err != nil {
		return nil, err
	}
	in.devTokens = devTokens

	b, err := in.openBus(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	stream := newStreamGate(b)
	registerBusMetrics(reg, b, stream)

	// The hub reads through a pool of its own: writers queued on a hot
	// pulse must not hold up the delivery of what was committed.
	var tail live.Reader = st
	if pg != nil {
		tail = pg.Tail()
	}
	hub, err := live.New(ctx, tail, live.Options{Replay: st, Logger: logger, Metrics: live.NewMetrics(reg), Buffer: cfg.SubscriberBuffer})
	if err != nil {
		return nil, err
	}
	in.hub = hub
	// Positions handed out while publishing fails reach subscribers from the
	// store at once, not at the hub's next poll.
	ropts := relay.Options{Logger: logger, Registerer: reg, OnPositioned: hub.Positioned}
	if pg != nil {
		ropts.Notify = pg.Notify
	}
	rel, err := relay.New(st, stream, ropts)
	if err != nil {
		return nil, err
	}

	in.goWork(runCtx, logger, "relay", func() error { return rel.Run(runCtx) })
	in.goWork(runCtx, logger, "hub", func() error { hub.Run(runCtx); return nil })
	in.goWork(runCtx, logger, "consumer", func() error {
		if !stream.provision(runCtx, cfg.StreamReplicas, logger) {
			return nil // stopping
		}
		b.Consume(runCtx, hub.Deliver)
		return nil
	})
	if pg != nil {
		in.goWork(runCtx, logger, "listener", func() error { pg.Listen(runCtx, rel.WakeFromPeer); return nil })
	}

	var trusted *graph.TrustedDocuments
	if cfg.TrustedDocuments != "" {
		if trusted, err = graph.LoadTrustedDocuments(cfg.TrustedDocuments, cfg.TrustedDocumentsOnly); err != nil {
			return nil, fmt.Errorf("EDUPULSE_TRUSTED_DOCUMENTS: %w", err)
		}
		logger.Info("trusted documents", "documents", trusted.Len(), "only", trusted.Only)
	}
	// A write tells the hub the pulse state it left before it answers, so
	// pulseState subscribers read their writes.
	svc := app.New(st, app.OnCommit(rel.Wake), app.OnPulseState(hub.OfferPulseState))
	sopts := server.Options{
		GraphQL: graph.NewHandler(svc, graph.Options{
			Logger:   logger,
			Registry: reg,
			Hub:      hub,
			SSE:      transport.SSE{Registry: in.conns},
			Websocket: &transport.WebsocketOptions{
				Tokens:         tokens,
				AllowedOrigins: cfg.AllowedOrigins,
				DevMode:        cfg.DevMode(),
				Registry:       in.conns,
				Logger:         logger,
				// A traceparent in connection_init continues the client's
				// trace (contract §10, Observability).
				InitContext: tracing.FromInitPayload,
			},
			DisableIntrospection:    !cfg.Introspection,
			PersistedQueryCacheSize: graph.DefaultPersistedQueryCacheSize,
			TrustedDocuments:        trusted,
			DepthLimit:              cfg.MaxDepth,
			ComplexityLimit:         cfg.MaxComplexity,
			MutationsPerSecond:      cfg.RateLimit,
		}),
		Schema:    edupulse.Schema,
		Tokens:    tokens,
		Ready:     st.Ping,
		BusState:  stream.state,
		Draining:  in.draining.Load,
		Logger:    logger,
		Registry:  reg,
		DevTokens: devTokens,

		MaxConnsPerIP:   cfg.MaxConnsPerIP,
		AllowedOrigins:  cfg.AllowedOrigins,
		DevMode:         cfg.DevMode(),
		NoPlayground:    !cfg.Playground,
		NoPublicMetrics: cfg.Production(),
	}
	in.handler = server.New(sopts)
	in.admin = server.Admin(sopts)
	return in, nil
}

// openBus starts the embedded NATS server when no NATS_URL is given, and
// connects. Connecting does not wait for a server to answer: the
// connection keeps trying in the background.
func (in *instance) openBus(ctx context.Context, cfg config.Config, logger *slog.Logger) (*bus.Bus, error) {
	natsURL := cfg.NATSURL
	busOpts := []bus.ConnectOption{bus.WithLogger(logger),
		bus.WithAuth(bus.Auth{CredsFile: cfg.NATSCredsFile, NkeySeedFile: cfg.NATSNkeySeedFile, Token: cfg.NATSToken})}
	if natsURL == "" {
		emb, err := bus.StartEmbedded(cfg.DataDir, bus.WithServerLogger(logger))
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		in.closers = append(in.closers, emb.Shutdown)
		busOpts = append(busOpts, bus.InProcess(emb))
	}
	b, err := bus.Connect(ctx, natsURL, "edupulse", busOpts...)
	if err != nil {
		return nil, fmt.Errorf("NATS_URL: %w", err)
	}
	in.closers = append(in.closers, b.Close)
	return b, nil
}

// goWork runs a background worker for the life of the instance. Each
// one retries its own transient failures and returns only when ctx ends;
// one that returns before (an error, or nil) leaves the instance without
// a part it needs, so it is logged and reported on failed, and serve exits
// rather than run on half-broken.
func (in *instance) goWork(ctx context.Context, log *slog.Logger, name string, f func() error) {
	in.workers.Add(1)
	go func() {
		defer in.workers.Done()
		err := f()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		err = fmt.Errorf("worker %s: %w", name, err)
		log.Error("background worker died; shutting down", "worker", name, "err", err)
		select {
		case in.failed <- err:
		default: // one is enough to stop
		}
	}()
}

// Failed delivers the first worker failure.
func (in *instance) Failed() <-chan error { return in.failed }

// drain makes readiness fail, then waits period while requests still
// come in and finish: long enough for a load balancer's probes to see it
// and route new requests elsewhere before the listener closes.
func (in *instance) drain(ctx context.Context, period time.Duration) {
	in.draining.Store(true)
	if period <= 0 {
		return
	}
	t := time.NewTimer(period)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// closeLive ends every live connection: websockets with 1012 (service
// restart), event streams without `complete`. Clients answer by
// reconnecting (graphql-ws; EventSource with Last-Event-ID), to another
// instance or to this one once it is back. It returns once every websocket
// is closed; run when the listener's shutdown begins, which would
// otherwise wait for the streams, and again after it.
func (in *instance) closeLive() {
	in.conns.CloseAll(transport.CloseServiceRestart, "server shutting down")
}

// close stops the background work (the relay finishes its batch), then
// closes bus, embedded server and store, in the reverse order of opening.
func (in *instance) close() {
	in.shutOnce.Do(func() {
		if in.cancel != nil {
			in.cancel()
		}
		in.workers.Wait()
		for i := len(in.closers) - 1; i >= 0; i-- {
			in.closers[i]()
		}
	})
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, *postgres.Store, error) {
	if cfg.DatabaseURL != "" {
		pg, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		return pg, pg, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("EDUPULSE_DATA_DIR: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, sqliteFile))
	return st, nil, err
}
