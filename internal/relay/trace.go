package relay

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// tracedClaim runs claim and, when it claimed anything, records a span of
// it (an empty claim, most of them at a trickle of writes, is no news).
// A claim serves many traces at once, so its span is a root linked to the
// transactions whose entries it positioned, as OpenTelemetry models a
// batch.
func tracedClaim(ctx context.Context, claim func() ([]store.OutboxEntry, error)) ([]store.OutboxEntry, error) {
	if !tracing.Enabled() {
		return claim()
	}
	start := time.Now()
	batch, err := claim()
	if len(batch) == 0 && err == nil {
		return batch, nil
	}
	var links []trace.Link
	for _, e := range batch {
		if sc := tracing.SpanContext(e.TraceParent); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	_, span := tracing.StartLinked(ctx, "relay.claim", start, links)
	tracing.Int(span, "edupulse.entries", len(batch))
	tracing.End(span, err)
	return batch, err
}

// publishSpans are the spans of one batch's publish: one per traced
// entry, each the child of the transaction that queued it and the parent
// (through the message's traceparent header) of every instance's
// delivery of it.
type publishSpans []trace.Span

// startPublish starts them and puts their contexts into msgs (msgs[i] is
// batch[i]'s). Off, the entries' stored contexts go out as they are.
func startPublish(ctx context.Context, batch []store.OutboxEntry, msgs []bus.Message) publishSpans {
	if !tracing.Enabled() {
		return nil
	}
	var spans publishSpans
	for i, e := range batch {
		sc := tracing.SpanContext(e.TraceParent)
		if !sc.IsValid() {
			continue
		}
		sctx, span := tracing.Start(trace.ContextWithRemoteSpanContext(ctx, sc), "relay.publish", trace.SpanKindProducer)
		tracing.Int(span, "edupulse.position", int(e.Position))
		tracing.Int(span, "edupulse.batch", len(batch))
		msgs[i].TraceParent = tracing.TraceParent(sctx)
		spans = append(spans, span)
	}
	return spans
}

// end ends the spans once the batch is acknowledged, or failed.
func (p publishSpans) end(err error) {
	for _, s := range p {
		tracing.End(s, err)
	}
}
