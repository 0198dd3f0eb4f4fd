package auth

import (
	"context"
	"time"
)

type expiryKey struct{}

// WithExpiry returns a copy of ctx carrying the expiry of the token that
// authenticated it, for what outlives a request's usual span (a stream)
// to end when the token does.
func WithExpiry(ctx context.Context, exp time.Time) context.Context {
	return context.WithValue(ctx, expiryKey{}, exp)
}

// ExpiryFrom returns the expiry WithExpiry put in ctx.
func ExpiryFrom(ctx context.Context) (time.Time, bool) {
	exp, ok := ctx.Value(expiryKey{}).(time.Time)
	return exp, ok && !exp.IsZero()
}
