package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/live"
)

// loaders batch the by-id reads of one response: the pulses and responses
// that the events of a page point to are read in one query each, however
// many events the page holds. They read through the service, which applies
// visibility: a response the caller may not see is absent.
type loaders struct {
	r app.BatchReader
	// shared is the hub's copy of the rows recent events point to, loaded
	// once for every subscriber. Served straight from there, a subscription
	// event costs no query and no batching wait per subscriber. Only what
	// does not change is taken from it: responses (erasure clears it) and
	// a pulse's teacher; a pulse itself (its count, its closing) is read
	// fresh.
	shared    *live.Shared
	pulses    *dataloadgen.Loader[uuid.UUID, app.Pulse]
	responses *dataloadgen.Loader[uuid.UUID, app.Response]
}

// loaderWait is how long a loader collects keys before it queries. gqlgen
// resolves a list's items concurrently, so they all ask within microseconds.
const loaderWait = 2 * time.Millisecond

// loaderBatch caps the ids of one query (three pages of the largest size).
const loaderBatch = 300

func newLoaders(r app.BatchReader, shared *live.Shared) *loaders {
	l := &loaders{r: r, shared: shared}
	l.pulses = dataloadgen.NewMappedLoader(r.PulsesByID,
		dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(loaderBatch))
	// The pulses a batch of responses needs for visibility are read
	// through the pulse loader, together with the page's other pulses.
	l.responses = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]app.Response, error) {
		return r.ResponsesByID(ctx, ids, l.pulsesByID)
	}, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(loaderBatch))
	return l
}

// pulsesByID loads pulses through the loader, in one batch with the other
// pulses asked for meanwhile; missing ones are absent.
func (l *loaders) pulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]app.Pulse, error) {
	thunks := make([]func() (app.Pulse, error), len(ids))
	for i, id := range ids {
		thunks[i] = l.pulses.LoadThunk(ctx, id)
	}
	out := make(map[uuid.UUID]app.Pulse, len(ids))
	for i, thunk := range thunks {
		p, ok, err := found(thunk())
		if err != nil {
			return nil, err
		}
		if ok {
			out[ids[i]] = p
		}
	}
	return out, nil
}

type loadersKey struct{}

// installLoaders gives each response fresh loaders: one per query or
// mutation, one per subscription event (so that a long subscription never
// serves a pulse from a stale cache). They are made on first use: most
// responses (a mutation's payload, a subscription event shared from another
// subscriber's rendering) never load anything.
func installLoaders(r app.BatchReader, shared *live.Shared) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(context.WithValue(ctx, loadersKey{}, &lazyLoaders{r: r, shared: shared}))
	}
}

// lazyLoaders makes a response's loaders when a resolver first asks. The
// resolvers of one response may ask concurrently.
type lazyLoaders struct {
	once   sync.Once
	l      *loaders
	r      app.BatchReader
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
func (l *loaders) pulse(ctx context.Context, id uuid.UUID) (app.Pulse, bool, error) {
	p, err := l.pulses.Load(ctx, id)
	return found(p, err)
}

// response loads a response; ok is false when it does not exist or the
// caller may not see it.
func (l *loaders) response(ctx context.Context, id uuid.UUID) (app.Response, bool, error) {
	if l.shared != nil {
		if r, ok := l.shared.Response(id); ok {
			if p, ok := l.shared.Pulse(r.PulseID); ok {
				visible, err := l.r.CanSeeResponse(ctx, r, p.TeacherID)
				return r, visible && err == nil, err
			}
		}
	}
	r, err := l.responses.Load(ctx, id)
	return found(r, err)
}

func found[T any](v T, err error) (T, bool, error) {
	var zero T
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, dataloadgen.ErrNotFound), errors.Is(err, app.ErrNotFound):
		return zero, false, nil
	default:
		return zero, false, err
	}
}

// primePulse replaces what the loader holds for p after a mutation changed
// it, so later fields of the same response see the new state.
func (l *loaders) primePulse(p app.Pulse) {
	l.pulses.Clear(p.ID)
	l.pulses.Prime(p.ID, p)
}

// forgetPulse drops a pulse whose row a mutation changed (a response
// counted on it).
func (l *loaders) forgetPulse(id uuid.UUID) { l.pulses.Clear(id) }

func (l *loaders) primeResponse(r app.Response) {
	l.responses.Clear(r.ID)
	l.responses.Prime(r.ID, r)
}

func (r *Resolver) shared() *live.Shared {
	if r.hub == nil {
		return nil
	}
	return r.hub.Shared()
}
