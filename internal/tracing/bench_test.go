package tracing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/tracing"
)

// BenchmarkMutationSpans is the tracing work one mutation causes, in the
// order the service does it, off and on (every trace sampled, batched to
// an exporter that discards them): the request's and the operation's
// spans, the transaction's and its traceparent for the outbox, the
// relay's publish span and header, and the delivery span on two
// instances.
func BenchmarkMutationSpans(b *testing.B) {
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
			bg := context.Background()
			b.ReportAllocs()
			for range b.N {
				ctx := tracing.Extract(bg, parent, "")
				ctx, req := tracing.Start(ctx, "POST /query", trace.SpanKindServer)
				ctx, op := tracing.Start(ctx, "mutation respondToPulse", trace.SpanKindInternal)
				ctx, tx := tracing.Start(ctx, "store.write", trace.SpanKindInternal)
				stored := tracing.TraceParent(ctx)
				tracing.End(tx, nil)
				tracing.End(op, nil)
				tracing.End(req, nil)

				pctx, pub := tracing.Start(trace.ContextWithRemoteSpanContext(bg, tracing.SpanContext(stored)), "relay.publish", trace.SpanKindProducer)
				header := tracing.TraceParent(pctx)
				tracing.End(pub, nil)

				for range 2 {
					dctx := tracing.WithAnnounced(bg, []tracing.Announced{{Position: 1, TraceParent: header}})
					_, d := tracing.StartDelivery(dctx, 1)
					tracing.Int(d, "edupulse.subscribers", 50)
					tracing.Int(d, "edupulse.renders", 1)
					d.End()
				}
			}
		})
	}
}
