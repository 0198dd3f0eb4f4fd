package live

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// BenchmarkDeliverySpan is what tracing adds to one event's fan-out to
// 100 subscribers (of 3 render groups), off and on: the span, its parent
// from the bus message, and the counts. The fan-out itself is
// BenchmarkDeliver's.
func BenchmarkDeliverySpan(b *testing.B) {
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
			subs := make([]*Subscription, 100)
			for i := range subs {
				subs[i] = &Subscription{renderGroup: []string{"a", "b", "c"}[i%3]}
			}
			e := event.Envelope{Position: 7, Payload: event.LearningPulseCreated{}}
			ctx := tracing.WithAnnounced(context.Background(),
				[]tracing.Announced{{Position: 7, TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
			b.ReportAllocs()
			for range b.N {
				d := startDelivery(ctx, e)
				for _, s := range subs {
					d.queued(s)
				}
				d.end(e)
			}
		})
	}
}
