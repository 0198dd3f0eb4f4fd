package server

import (
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/tracing"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// traceRequests continues the caller's trace (its traceparent header) on
// /query and gives each GraphQL request over HTTP a server span, the
// parent of the operation's. A websocket upgrade only carries the
// caller's trace on: the connection lives far longer than any span should,
// and each operation on it gets its own. Off, it costs one atomic load.
func traceRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tracing.Enabled() || r.URL.Path != "/query" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := tracing.Extract(r.Context(), r.Header.Get(tracing.Header), r.Header.Get("tracestate"))
		if transport.WebsocketRequested(r) || transport.SSERequested(r) || r.Method == http.MethodOptions {
			// A socket or an event stream lives for many operations or a
			// whole subscription: each operation has its own span instead.
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx, span := tracing.Start(ctx, r.Method+" /query", trace.SpanKindServer)
		defer span.End()
		tracing.String(span, "http.request.method", r.Method)
		rec := &statusOnly{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		tracing.Int(span, "http.response.status_code", rec.code())
	})
}

// statusOnly keeps the status for the span; observe's recorder, further
// in, keeps the optional interfaces (Flush, Unwrap) for the handlers.
type statusOnly struct {
	http.ResponseWriter
	status int
}

func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusOnly) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusOnly) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusOnly) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}
