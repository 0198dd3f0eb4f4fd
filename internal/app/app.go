// Package app holds the use cases of the API: who may do what, what input
// is valid, and what each mutation writes. It knows the store, the events
// and the auth rules, and nothing of GraphQL or HTTP, so the resolvers stay
// a thin layer of parsing and mapping.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/reqctx"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Service runs the use cases against one store.
type Service struct {
	store store.Store
	now   func() time.Time
	// committed is told after every successful write, so the outbox relay
	// can publish at once instead of waiting for its next poll.
	committed func()
	// changed is told each pulse state a committed write produced, before
	// the write answers (see OnPulseState).
	changed func(store.PulseState)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// OnCommit registers a function called after each committed write.
func OnCommit(f func()) Option { return func(s *Service) { s.committed = f } }

// OnPulseState registers a function told, after each committed write to a
// pulse and before the mutation answers, the pulse as that write left it.
// The write holds the pulse's lock, so it knows that state exactly without
// reading it back; live state subscribers then never get, after the
// answer, a state that misses it.
func OnPulseState(f func(store.PulseState)) Option { return func(s *Service) { s.changed = f } }

// New returns a Service.
func New(st store.Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, committed: func() {}, changed: func(store.PulseState) {}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store is the underlying store, for readers such as dataloaders.
func (s *Service) Store() store.Store { return s.store }

func actor(ctx context.Context) (auth.Actor, error) {
	a, ok := auth.ActorFrom(ctx)
	if !ok {
		return auth.Actor{}, ErrUnauthenticated
	}
	return a, nil
}

func meta(ctx context.Context, a auth.Actor) event.Meta {
	return event.Meta{ActorID: a.ID, CorrelationID: reqctx.CorrelationID(ctx)}
}

// idempotency builds the key of a request. The fingerprint hashes the
// operation and its input, so reusing a key for another request is told
// apart from a retry.
func idempotency(a auth.Actor, key *string, op string, input any) (*store.Idempotency, error) {
	if key == nil {
		return nil, nil
	}
	k := *key
	if err := storable("idempotencyKey", k); err != nil {
		return nil, err
	}
	if n := len([]rune(k)); n < 1 || n > 200 {
		return nil, invalid("idempotencyKey", "must be 1 to 200 characters")
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), raw...))
	return &store.Idempotency{ActorID: a.ID, Key: k, Fingerprint: op + ":" + hex.EncodeToString(sum[:16])}, nil
}

// write runs fn as one unit of work and wakes the relay after a commit.
func (s *Service) write(ctx context.Context, idem *store.Idempotency, fn func(context.Context, store.Tx) (store.Outcome, error)) (store.Outcome, bool, error) {
	out, replayed, err := s.store.Write(ctx, idem, fn)
	if err == nil && !replayed {
		s.committed()
	}
	return out, replayed, err
}

// firstEvent loads the event an outcome recorded.
func (s *Service) firstEvent(ctx context.Context, out store.Outcome) (event.Envelope, error) {
	if len(out.EventIDs) == 0 {
		return event.Envelope{}, ErrNotFound
	}
	return s.store.Event(ctx, out.EventIDs[0])
}

func newID() uuid.UUID { return uuid.New() }
