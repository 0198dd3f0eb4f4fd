package live_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// BenchmarkDeliverTracing is BenchmarkDeliver (one bus message's way to
// 100 subscribers, SQLite) with tracing off and on (every trace sampled,
// batched to an exporter that discards them): the on case adds the
// delivery span, child of the message's traceparent, and its counts.
func BenchmarkDeliverTracing(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "on" {
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				tracing.Install(tp)
				b.Cleanup(func() {
					tracing.Install(nil)
					_ = tp.Shutdown(context.Background())
				})
			}
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "edupulse.db"))
			require.NoError(b, err)
			defer st.Close()
			hub, err := live.New(context.Background(), st, live.Options{Buffer: 1 << 20})
			require.NoError(b, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range 100 {
				ch, err := hub.Subscribe(live.WithRenderGroup(ctx, "one kind"), live.Request{Actor: admin})
				require.NoError(b, err)
				go func() {
					for range ch {
					}
				}()
			}
			ob, err := st.AcquireOutbox(ctx)
			require.NoError(b, err)
			defer ob.Release()
			const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				write(b, st)
				entries, err := ob.Claim(ctx, 10)
				require.NoError(b, err)
				require.Len(b, entries, 1)
				e, err := event.Unmarshal(entries[0].Body)
				require.NoError(b, err)
				e.Position = entries[0].Position
				require.NoError(b, ob.Ack(ctx, []uuid.UUID{e.ID}))
				dctx := tracing.WithAnnounced(ctx, []tracing.Announced{{Position: e.Position, TraceParent: header}})
				b.StartTimer()
				require.NoError(b, hub.Deliver(dctx, e))
			}
		})
	}
}
