// Package reqctx carries request-scoped values that several layers read
// (the correlation id) without those layers importing one another.
package reqctx

import (
	"context"

	"github.com/google/uuid"
)

type correlationKey struct{}

// WithCorrelationID returns ctx carrying id.
func WithCorrelationID(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the request's correlation id, or uuid.Nil.
func CorrelationID(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(correlationKey{}).(uuid.UUID)
	return id
}
