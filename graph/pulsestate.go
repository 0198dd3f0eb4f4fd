package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/store"
)

// pulseState is the pulseState subscription (live state follows).
func (r *Resolver) pulseState(ctx context.Context, id uuid.UUID) (<-chan store.Pulse, error) {
	return nil, errNoHub
}
