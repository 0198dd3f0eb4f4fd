package graph

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// idleLimiterTTL: a limiter untouched this long is full again anyway, so
// it is dropped; the table then holds only actors active recently.
const idleLimiterTTL = time.Minute

// mutationLimit is a token bucket per actor, counting mutation fields (500
// aliased createPulse in one request are 500 writes, not one). Past it the
// operation is refused before it runs, with RATE_LIMITED and
// retryAfterMs. Queries and subscriptions are not counted: their cost is
// bounded by depth and complexity.
type mutationLimit struct {
	perSecond rate.Limit
	burst     int
	now       func() time.Time
	refused   prometheus.Counter

	mu        sync.Mutex
	actors    map[uuid.UUID]*actorBucket
	lastSweep time.Time
}

type actorBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*mutationLimit)(nil)

// newMutationLimit allows perSecond mutations per actor with a burst of
// twice that (contract §8, Production mode).
func newMutationLimit(perSecond float64, refused prometheus.Counter) *mutationLimit {
	return &mutationLimit{
		perSecond: rate.Limit(perSecond),
		burst:     max(1, int(math.Ceil(2*perSecond))),
		now:       time.Now,
		refused:   refused,
		actors:    map[uuid.UUID]*actorBucket{},
	}
}

func (*mutationLimit) ExtensionName() string                   { return "MutationRateLimit" }
func (*mutationLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l *mutationLimit) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || op.Operation.Operation != ast.Mutation {
		return nil
	}
	actor, ok := auth.ActorFrom(ctx)
	if !ok {
		return nil // requireActor refuses it
	}
	n := min(max(1, len(op.Operation.SelectionSet)), l.burst)
	wait, ok := l.take(actor.ID, n)
	if ok {
		return nil
	}
	if l.refused != nil {
		l.refused.Inc()
	}
	refuse(ctx, CodeRateLimited)
	return &gqlerror.Error{
		Message: "too many mutations: slow down",
		Extensions: map[string]any{
			"code":         CodeRateLimited,
			"retryAfterMs": max(1, wait.Milliseconds()),
		},
	}
}

// take spends n tokens of the actor's bucket, or reports how long until
// they would be there.
func (l *mutationLimit) take(id uuid.UUID, n int) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.actors[id]
	if b == nil {
		b = &actorBucket{lim: rate.NewLimiter(l.perSecond, l.burst)}
		l.actors[id] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, n)
	if !r.OK() {
		return time.Second, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

func (l *mutationLimit) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < idleLimiterTTL {
		return
	}
	l.lastSweep = now
	for id, b := range l.actors {
		if now.Sub(b.seen) > idleLimiterTTL {
			delete(l.actors, id)
		}
	}
}

func rateLimitedCounter(reg prometheus.Registerer) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "edupulse_mutations_rate_limited_total",
		Help: "Mutation requests refused with RATE_LIMITED (EDUPULSE_RATE_LIMIT).",
	})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(prometheus.Counter); ok {
				return existing
			}
		}
	}
	return c
}
