// Package reqctx carries per-request values that the HTTP layer sets and the
// use cases read: today, the correlation id that ends up in every event
// written while serving the request.
//
// It is a package of its own, importing nothing of ours, so that
// internal/app can read what internal/server wrote without depending on the
// HTTP wiring (dependencies point inwards).
package reqctx

import (
	"context"

	"github.com/google/uuid"
)

// correlationKey is unexported so that only WithCorrelationID can set the
// value: no other package can collide with it or forge a different type.
type correlationKey struct{}

// WithCorrelationID returns a copy of ctx carrying id as the request's
// correlation id.
func WithCorrelationID(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation id carried by ctx, or uuid.Nil when
// there is none (a background job, a test): callers store Nil as "no
// correlation id" (null in the event envelope).
func CorrelationID(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(correlationKey{}).(uuid.UUID)
	return id
}
