package live

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

type renderGroupKey struct{}

// WithRenderGroup tells Open that the subscription's events are rendered
// once for every subscription of the same group (the GraphQL layer's
// shared renderings: one document, one role). Without one, each of its
// events is rendered for it alone. Only the delivery span's render count
// reads it.
func WithRenderGroup(ctx context.Context, group string) context.Context {
	return context.WithValue(ctx, renderGroupKey{}, group)
}

func renderGroupOf(ctx context.Context) string {
	if !tracing.Enabled() {
		return ""
	}
	g, _ := ctx.Value(renderGroupKey{}).(string)
	return g
}

// delivery is the span of one event's fan-out on this instance, with what
// it counts: the subscribers it was queued for, and the renderings that
// makes (one per render group, one per subscriber without a group).
type delivery struct {
	span trace.Span
	// recording is span.IsRecording(), asked once rather than per
	// subscriber.
	recording   bool
	subscribers int
	own         int
	groups      map[string]struct{}
}

func startDelivery(ctx context.Context, e event.Envelope) delivery {
	_, span := tracing.StartDelivery(ctx, e.Position)
	return delivery{span: span, recording: span.IsRecording()}
}

// queued counts s; a no-op unless the span records.
func (d *delivery) queued(s *Subscription) {
	if !d.recording {
		return
	}
	d.subscribers++
	if s.renderGroup == "" {
		d.own++
		return
	}
	if d.groups == nil {
		d.groups = map[string]struct{}{}
	}
	d.groups[s.renderGroup] = struct{}{}
}

func (d *delivery) end(e event.Envelope) {
	if d.recording {
		tracing.Int(d.span, "edupulse.position", int(e.Position))
		tracing.String(d.span, "edupulse.event_type", string(e.Type()))
		tracing.Int(d.span, "edupulse.subscribers", d.subscribers)
		tracing.Int(d.span, "edupulse.renders", d.own+len(d.groups))
	}
	d.span.End()
}
