package tracing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/tracing"
)

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestOffByDefault(t *testing.T) {
	if tracing.Wanted(func(string) string { return "" }) {
		t.Fatal("no OTEL_* variable must mean no tracing")
	}
	for env, want := range map[[2]string]bool{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}: true,
		{"OTEL_TRACES_EXPORTER", "console"}:                      true,
		{"OTEL_TRACES_EXPORTER", "none"}:                         false,
		{"OTEL_SERVICE_NAME", "edupulse"}:                        false,
	} {
		if got := tracing.Wanted(func(k string) string {
			if k == env[0] {
				return env[1]
			}
			return ""
		}); got != want {
			t.Errorf("%s=%s: Wanted %v", env[0], env[1], got)
		}
	}
	disabled := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
	if tracing.Wanted(func(k string) string { return disabled[k] }) {
		t.Fatal("OTEL_SDK_DISABLED=true wins")
	}
	ctx := context.Background()
	got, span := tracing.Start(ctx, "x", trace.SpanKindInternal)
	if got != ctx || span.IsRecording() || tracing.TraceParent(tracing.Extract(ctx, parent, "")) != "" {
		t.Fatal("off, the helpers must hand back what they got")
	}
	if allocs := testing.AllocsPerRun(100, func() {
		c, s := tracing.Start(ctx, "x", trace.SpanKindInternal)
		tracing.Int(s, "k", 1)
		tracing.End(s, nil)
		_ = tracing.TraceParent(c)
	}); allocs != 0 {
		t.Fatalf("off, a span costs %v allocations", allocs)
	}
}

func TestContinuesTheCallersTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Install(tp)
	t.Cleanup(func() { tracing.Install(nil) })

	for name, ctx := range map[string]context.Context{
		"header":       tracing.Extract(context.Background(), parent, ""),
		"init payload": tracing.FromInitPayload(context.Background(), map[string]any{"traceparent": parent, "Authorization": "x"}),
		"init headers": tracing.FromInitPayload(context.Background(), map[string]any{"headers": map[string]any{"Traceparent": parent}}),
	} {
		ctx, span := tracing.Start(ctx, "op", trace.SpanKindServer)
		if tracing.TraceID(ctx) != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("%s: trace id %q", name, tracing.TraceID(ctx))
		}
		tp := tracing.TraceParent(ctx)
		if sc := tracing.SpanContext(tp); sc.SpanID() != span.SpanContext().SpanID() {
			t.Errorf("%s: traceparent %q does not name the span", name, tp)
		}
		span.End()
	}
	if got := tracing.FromInitPayload(context.Background(), map[string]any{"traceparent": "garbage"}); tracing.TraceID(got) != "" {
		t.Fatal("a malformed traceparent starts nothing")
	}

	// A delivery continues the publish its bus message announced.
	ctx := tracing.WithAnnounced(context.Background(), []tracing.Announced{{Position: 7, TraceParent: parent}})
	_, d := tracing.StartDelivery(ctx, 7)
	d.End()
	_, other := tracing.StartDelivery(ctx, 8)
	other.End()
	spans := exp.GetSpans()
	last := spans[len(spans)-2:]
	if last[0].Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("delivery parent %s", last[0].Parent.SpanID())
	}
	if last[1].Parent.IsValid() {
		t.Fatal("a delivery without its announcement is a root")
	}
}
