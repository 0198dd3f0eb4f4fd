package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/store"
)

// loaders batch the by-id reads of one response: the pulses and responses
// that the events of a page point to are read in one query each, however
// many events the page holds.
type loaders struct {
	// shared is the hub's copy of the rows recent events point to, loaded
	// once for every subscriber. Served straight from there, a subscription
	// event costs no query and no batching wait per subscriber. Only what
	// does not change is taken from it: responses (erasure clears it) and
	// a pulse's teacher; a pulse itself (its count, its closing) is read
	// fresh.
	shared    *live.Shared
	pulses    *dataloadgen.Loader[uuid.UUID, store.Pulse]
	responses *dataloadgen.Loader[uuid.UUID, store.Response]
}

// loaderWait is how long a loader collects keys before it queries. gqlgen
// resolves a list's items concurrently, so they all ask within microseconds.
const loaderWait = 2 * time.Millisecond

// loaderBatch caps the ids of one query (three pages of the largest size).
const loaderBatch = 300

func newLoaders(r store.Reader, shared *live.Shared) *loaders {
	return &loaders{
		shared: shared,
		pulses: dataloadgen.NewMappedLoader(r.PulsesByID,
			dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(loaderBatch)),
		responses: dataloadgen.NewMappedLoader(r.ResponsesByID,
			dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(loaderBatch)),
	}
}

type loadersKey struct{}

// installLoaders gives each response fresh loaders: one per query or
// mutation, one per subscription event (so that a long subscription never
// serves a pulse from a stale cache). They are made on first use: most
// responses (a mutation's payload, a subscription event shared from another
// subscriber's rendering) never load anything.
func installLoaders(r store.Reader, shared *live.Shared) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(context.WithValue(ctx, loadersKey{}, &lazyLoaders{r: r, shared: shared}))
	}
}

// lazyLoaders makes a response's loaders when a resolver first asks. The
// resolvers of one response may ask concurrently.
type lazyLoaders struct {
	once   sync.Once
	l      *loaders
	r      store.Reader
	shared *live.Shared
}

func (z *lazyLoaders) get() *loaders {
	z.once.Do(func() { z.l = newLoaders(z.r, z.shared) })
	return z.l
}

// loaders returns the loaders of the current response. Outside NewHandler's
// middleware (which always installs them) it falls back to loaders of its
// own: correct, only unbatched.
func (r *Resolver) loaders(ctx context.Context) *loaders {
	if z, ok := ctx.Value(loadersKey{}).(*lazyLoaders); ok {
		return z.get()
	}
	return newLoaders(r.svc.Store(), r.shared())
}

// pulse loads a pulse; ok is false when it does not exist.
func (l *loaders) pulse(ctx context.Context, id uuid.UUID) (store.Pulse, bool, error) {
	p, err := l.pulses.Load(ctx, id)
	return found(p, err)
}

// response loads a response; ok is false when it does not exist.
func (l *loaders) response(ctx context.Context, id uuid.UUID) (store.Response, bool, error) {
	if l.shared != nil {
		if r, ok := l.shared.Response(id); ok {
			return r, true, nil
		}
	}
	r, err := l.responses.Load(ctx, id)
	return found(r, err)
}

// pulseTeacher is the teacher of a pulse, for visibility checks; ok is
// false when the pulse does not exist.
func (l *loaders) pulseTeacher(ctx context.Context, id uuid.UUID) (uuid.UUID, bool, error) {
	if l.shared != nil {
		if p, ok := l.shared.Pulse(id); ok {
			return p.TeacherID, true, nil
		}
	}
	p, ok, err := l.pulse(ctx, id)
	return p.TeacherID, ok, err
}

func found[T any](v T, err error) (T, bool, error) {
	var zero T
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, dataloadgen.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return zero, false, nil
	default:
		return zero, false, err
	}
}

// primePulse replaces what the loader holds for p after a mutation changed
// it, so later fields of the same response see the new state.
func (l *loaders) primePulse(p store.Pulse) {
	l.pulses.Clear(p.ID)
	l.pulses.Prime(p.ID, p)
}

// forgetPulse drops a pulse whose row a mutation changed (a response
// counted on it).
func (l *loaders) forgetPulse(id uuid.UUID) { l.pulses.Clear(id) }

func (l *loaders) primeResponse(r store.Response) {
	l.responses.Clear(r.ID)
	l.responses.Prime(r.ID, r)
}

func (r *Resolver) shared() *live.Shared {
	if r.hub == nil {
		return nil
	}
	return r.hub.Shared()
}
