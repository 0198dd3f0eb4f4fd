package tracing

import (
	"context"

	"go.opentelemetry.io/otel/trace"
)

// Announced is the trace context a bus message brought for the event at
// Position: the relay's publish span, the parent of the delivery.
type Announced struct {
	Position    int64
	TraceParent string
}

type announcedKey struct{}

// WithAnnounced hands the hub the trace contexts of the messages behind
// one delivery: the bus consumer passes on only the last message of a
// burst, and the hub reads every position up to it from the store, so the
// others' contexts travel beside it. as is read, not kept, by the callee.
func WithAnnounced(ctx context.Context, as []Announced) context.Context {
	if !on.Load() || len(as) == 0 {
		return ctx
	}
	return context.WithValue(ctx, announcedKey{}, as)
}

// StartDelivery starts the span of an event's delivery on this instance:
// the child of its publish when ctx carries its announced trace context
// (WithAnnounced), else a root of its own (an event the hub read from the
// store before, or without, its bus message).
func StartDelivery(ctx context.Context, position int64) (context.Context, trace.Span) {
	if !on.Load() {
		return ctx, noSpan
	}
	parent := ctx
	if as, ok := ctx.Value(announcedKey{}).([]Announced); ok {
		for _, a := range as {
			if a.Position != position {
				continue
			}
			if sc := SpanContext(a.TraceParent); sc.IsValid() {
				parent = trace.ContextWithRemoteSpanContext(ctx, sc)
			}
			break
		}
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	if parent == ctx {
		opts = append(opts, trace.WithNewRoot())
	}
	return (*tracer.Load()).Start(parent, "live.deliver", opts...)
}
