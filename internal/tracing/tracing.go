// Package tracing is the service's OpenTelemetry tracing (contract §10, Observability):
// set up from the SDK's standard OTEL_* variables only, and off — every
// helper here returning at once, without allocating — when none asks for
// it. One trace follows a mutation from the request (its W3C traceparent,
// over HTTP or in a websocket connection_init payload) through the store
// transaction, the outbox (the trace context is stored with the entry),
// the relay's publish (sent as the NATS message's traceparent header) to
// each instance's delivery to its subscribers.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Header is the W3C trace context header, over HTTP and NATS alike, and
// the key of the websocket connection_init payload that carries it.
const Header = "traceparent"

// instrumentation names the tracer, as OpenTelemetry asks: the module.
const instrumentation = "github.com/edupulse/edupulse-live"

var (
	// on is read by every helper first: off, nothing else is touched.
	on     atomic.Bool
	tracer atomic.Pointer[trace.Tracer]
	// noSpan is what Start hands out while off.
	noSpan = trace.SpanFromContext(context.Background())
	// w3c reads and writes traceparent (and tracestate).
	w3c = propagation.TraceContext{}
)

func init() {
	t := noop.NewTracerProvider().Tracer(instrumentation)
	tracer.Store(&t)
}

// Enabled reports whether spans are recorded and exported at all.
func Enabled() bool { return on.Load() }

// Install makes tp the provider of every span from now on (nil: off
// again). Setup calls it; tests call it with an SDK provider over an
// in-memory exporter.
func Install(tp trace.TracerProvider) {
	if tp == nil {
		on.Store(false)
		t := noop.NewTracerProvider().Tracer(instrumentation)
		tracer.Store(&t)
		return
	}
	t := tp.Tracer(instrumentation)
	tracer.Store(&t)
	on.Store(true)
}

// Wanted reports whether the OTEL_* variables ask for tracing: an OTLP
// endpoint, or an exporter other than none, and the SDK not disabled.
func Wanted(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))) {
	case "none":
		return false
	case "":
	default:
		return true
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup turns tracing on when the OTEL_* variables ask for it (Wanted),
// with the exporter they name and the sampler, resource and endpoint the
// SDK reads from them itself. It returns what to call at exit, which
// flushes the spans still buffered; a no-op when tracing stays off.
func Setup(ctx context.Context, getenv func(string) string) (shutdown func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	if !Wanted(getenv) {
		return none, nil
	}
	var exp sdktrace.SpanExporter
	switch name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); name {
	case "", "otlp":
		proto := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
		if proto == "" {
			proto = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
		}
		if proto != "" && proto != "http/protobuf" {
			return none, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: only http/protobuf is built in (the collector's port 4318)", proto)
		}
		// The exporter reads OTEL_EXPORTER_OTLP_* itself.
		exp, err = otlptracehttp.New(ctx)
	case "console":
		exp, err = stdouttrace.New()
	default:
		return none, fmt.Errorf("OTEL_TRACES_EXPORTER %q: otlp, console or none", name)
	}
	if err != nil {
		return none, fmt.Errorf("tracing exporter: %w", err)
	}
	// resource.Default reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES;
	// a service name of its own is only the fallback.
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", "edupulse")),
		resource.Default())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return none, fmt.Errorf("tracing resource: %w", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER(_ARG), read by the SDK
	// (default: parentbased_always_on).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(w3c, propagation.Baggage{}))
	Install(tp)
	return func(ctx context.Context) error {
		Install(nil)
		return tp.Shutdown(ctx)
	}, nil
}

// Start starts a span named name as a child of ctx's (or of the remote
// parent ctx carries). Off, it returns ctx itself and a span that records
// nothing.
func Start(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	if !on.Load() {
		return ctx, noSpan
	}
	return (*tracer.Load()).Start(ctx, name, trace.WithSpanKind(kind))
}

// StartLinked starts, as of start, a root span linked to the spans of
// links (a batch that serves many traces, like the relay's claim).
func StartLinked(ctx context.Context, name string, start time.Time, links []trace.Link) (context.Context, trace.Span) {
	if !on.Load() {
		return ctx, noSpan
	}
	return (*tracer.Load()).Start(ctx, name, trace.WithNewRoot(), trace.WithTimestamp(start), trace.WithLinks(links...))
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Int sets an integer attribute on span when it records.
func Int(span trace.Span, key string, v int) {
	if span.IsRecording() {
		span.SetAttributes(attribute.Int(key, v))
	}
}

// String sets a string attribute on span when it records.
func String(span trace.Span, key, v string) {
	if span.IsRecording() {
		span.SetAttributes(attribute.String(key, v))
	}
}

// Extract returns ctx carrying the remote span context of a W3C
// traceparent (and tracestate) as parent; ctx unchanged when tracing is
// off or the value is not a valid traceparent.
func Extract(ctx context.Context, traceparent, tracestate string) context.Context {
	if !on.Load() || traceparent == "" {
		return ctx
	}
	c := propagation.MapCarrier{Header: traceparent}
	if tracestate != "" {
		c["tracestate"] = tracestate
	}
	return w3c.Extract(ctx, c)
}

// FromInitPayload continues the trace a websocket client names in its
// connection_init payload: {"traceparent": "00-…"} (or, as some clients
// send their headers, {"headers": {"traceparent": "00-…"}}). The
// websocket transport calls it once per connection; every operation of
// the connection is then part of that trace.
func FromInitPayload(ctx context.Context, payload map[string]any) context.Context {
	if !on.Load() || payload == nil {
		return ctx
	}
	tp, ts := payloadValue(payload, Header), payloadValue(payload, "tracestate")
	if tp == "" {
		if h, ok := payload["headers"].(map[string]any); ok {
			tp, ts = payloadValue(h, Header), payloadValue(h, "tracestate")
		}
	}
	return Extract(ctx, tp, ts)
}

func payloadValue(m map[string]any, key string) string {
	for k, v := range m {
		if s, ok := v.(string); ok && strings.EqualFold(k, key) {
			return s
		}
	}
	return ""
}

// TraceParent is the W3C traceparent of ctx's span, for the outbox and
// the NATS header; "" when tracing is off or ctx has no sampled span
// (an unsampled trace is not worth a column).
func TraceParent(ctx context.Context) string {
	if !on.Load() {
		return ""
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() || !sc.IsSampled() {
		return ""
	}
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c[Header]
}

// SpanContext parses a W3C traceparent; the zero (invalid) span context
// when it is not one.
func SpanContext(traceparent string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(w3c.Extract(context.Background(), propagation.MapCarrier{Header: traceparent}))
}

// TraceID is the trace id of ctx's span or remote parent, for logs beside
// the correlation id; "" when there is none.
func TraceID(ctx context.Context) string {
	if !on.Load() {
		return ""
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
