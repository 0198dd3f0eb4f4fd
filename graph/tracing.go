package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/tracing"
)

// traceOperations gives every GraphQL operation a span, named as
// OpenTelemetry's GraphQL conventions say ("mutation createPulse"), the
// parent of the store transaction's span and so of the event's whole way
// to the subscribers. A subscription's span covers its start only: it
// lives as long as the client stays, far too long for a span, and each
// event it receives is traced from its own mutation.
type traceOperations struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = traceOperations{}

func (traceOperations) ExtensionName() string                   { return "Tracing" }
func (traceOperations) Validate(graphql.ExecutableSchema) error { return nil }

func (traceOperations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !tracing.Enabled() {
		return next(ctx)
	}
	rc := graphql.GetOperationContext(ctx)
	kind, op := "query", rc.OperationName
	if rc.Operation != nil {
		kind = string(rc.Operation.Operation)
		if op == "" {
			op = rc.Operation.Name
		}
	}
	name := kind
	if op != "" {
		name += " " + op
	}
	ctx, span := tracing.Start(ctx, name, trace.SpanKindInternal)
	tracing.String(span, "graphql.operation.type", kind)
	if op != "" {
		tracing.String(span, "graphql.operation.name", op)
	}
	h := next(ctx)
	if rc.Operation != nil && rc.Operation.Operation == ast.Subscription {
		span.End()
		return h
	}
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if first {
			first = false
			var err error
			if resp != nil && len(resp.Errors) > 0 {
				tracing.Int(span, "graphql.errors", len(resp.Errors))
				err = errors.New(resp.Errors[0].Message)
			}
			tracing.End(span, err)
		}
		return resp
	}
}
