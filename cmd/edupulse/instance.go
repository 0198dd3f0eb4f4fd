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

	"github.com/prometheus/client_golang/prometheus"

	edupulse "github.com/edupulse/edupulse-live"
	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/wsgorilla"
)

// instance is one running server, everything wired in order: store, bus,
// relay, hub, API. Several can share one PostgreSQL and one NATS.
type instance struct {
	handler   http.Handler
	devTokens map[string]string
	hub       *live.Hub

	sockets  *wsgorilla.Registry
	cancel   context.CancelFunc
	workers  sync.WaitGroup
	closers  []func()
	shutOnce sync.Once
}

func startInstance(ctx context.Context, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry) (_ *instance, err error) {
	in := &instance{sockets: wsgorilla.NewRegistry()}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "edupulse_ws_connections", Help: "Open websocket connections on this instance.",
	}, func() float64 { return float64(in.sockets.Len()) }))
	defer func() {
		if err != nil {
			in.close()
		}
	}()

	st, pg, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	in.closers = append(in.closers, st.Close)

	natsURL := cfg.NATSURL
	busOpts := []bus.ConnectOption{bus.WithLogger(logger.With("component", "bus")),
		bus.WithAuth(bus.Auth{CredsFile: cfg.NATSCredsFile, NkeySeedFile: cfg.NATSNkeySeedFile, Token: cfg.NATSToken})}
	if natsURL == "" {
		emb, err := bus.StartEmbedded(cfg.DataDir, bus.WithServerLogger(logger.With("component", "nats")))
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
	// A bus that is down at start does not stop the service: writes go to
	// the outbox and the relay publishes once the bus is back.
	if err := b.EnsureStream(ctx, cfg.StreamReplicas); err != nil && !errors.Is(err, bus.ErrNotConnected) {
		return nil, fmt.Errorf("stream %s: %w", bus.StreamName, err)
	}

	tokens, devTokens, err := identity(cfg)
	if err != nil {
		return nil, err
	}
	in.devTokens = devTokens

	hub, err := live.New(ctx, st, live.Options{Logger: logger, Metrics: live.NewMetrics(reg)})
	if err != nil {
		return nil, err
	}
	in.hub = hub
	ropts := relay.Options{Logger: logger, Registerer: reg}
	if pg != nil {
		ropts.Notify = pg.Notify
	}
	rel, err := relay.New(st, b, ropts)
	if err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in.cancel = cancel
	in.goWork(func() { _ = rel.Run(runCtx) })
	in.goWork(func() { _ = hub.Run(runCtx) })
	in.goWork(func() { _ = b.Consume(runCtx, hub.Deliver) })
	if pg != nil {
		in.goWork(func() { _ = pg.Listen(runCtx, rel.WakeFromPeer) }) // returns only when runCtx ends
	}

	svc := app.New(st, app.OnCommit(rel.Wake))
	in.handler = server.New(server.Options{
		GraphQL: graph.NewHandler(svc, graph.Options{
			Logger:   logger,
			Registry: reg,
			Hub:      hub,
			Websocket: &graph.WebsocketOptions{
				Tokens:         tokens,
				AllowedOrigins: cfg.AllowedOrigins,
				DevMode:        cfg.DevMode(),
				Registry:       in.sockets,
				Logger:         logger,
			},
		}),
		Schema:    edupulse.Schema,
		Tokens:    tokens,
		Ready:     func(ctx context.Context) error { return errors.Join(st.Ping(ctx), b.Ping(ctx)) },
		Logger:    logger,
		Registry:  reg,
		DevTokens: devTokens,
	})
	return in, nil
}

func (in *instance) goWork(f func()) {
	in.workers.Add(1)
	go func() {
		defer in.workers.Done()
		f()
	}()
}

// closeSockets ends every websocket with 1012 (service restart), which the
// graphql-ws client answers by reconnecting, to another instance or to
// this one once it is back.
func (in *instance) closeSockets() {
	in.sockets.CloseAll(wsgorilla.CloseServiceRestart, "server shutting down")
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
