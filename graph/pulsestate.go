package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/liveop"
	"github.com/edupulse/edupulse-live/internal/store"
)

// pulseState is the pulseState subscription: the hub keeps the pulse's
// state and each subscriber's one pending state; this only opens it. An
// unknown pulse is NOT_FOUND, found while executing: a `next` carrying the
// error, then `complete`.
func (r *Resolver) pulseState(ctx context.Context, id uuid.UUID) (<-chan store.Pulse, error) {
	if _, ok := auth.ActorFrom(ctx); !ok {
		return nil, app.ErrUnauthenticated
	}
	if r.hub == nil {
		return nil, errNoHub
	}
	sub, err := r.hub.WatchPulse(ctx, id)
	if err != nil {
		return nil, err
	}
	op := liveop.From(ctx)
	if op.Pushes() {
		// Told when a state comes, instead of a goroutine waiting in Next.
		sub.SetNotify(op.Notify)
	}
	return tappedState(ctx, sub, op), nil
}

// stateTap is tap for pulse states: the operation's goroutine takes the
// next state from the hub only when the previous one has been written, so
// a subscriber whose socket is slow skips intermediate states (the hub
// replaces its pending state) instead of queueing them.
type stateTap struct {
	src *live.StateSubscription
	out chan store.Pulse
}

type stateTapKey struct{}

func tappedState(ctx context.Context, sub *live.StateSubscription, op *liveop.Op) <-chan store.Pulse {
	if t, ok := ctx.Value(stateTapKey{}).(*stateTap); ok {
		t.src = sub
		// With a tap, a transport that pushes calls the response handler
		// only when Next would not wait.
		op.Attach(sub.Ready)
		return t.out
	}
	// No render interceptor: feed a channel, one state at a time.
	out := make(chan store.Pulse)
	go func() {
		defer close(out)
		for {
			st, ok := sub.Next()
			if !ok {
				return
			}
			select {
			case out <- st.Pulse:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// renderStates renders each state once per kind of viewer: for a
// selection without viewer-relative fields, once per role; with them
// (`responses`, `events`), once for those who see every response of the
// pulse (its teacher, admins; per role all the same) and once per viewer
// for the others, whose view is their own.
func (x renderOnce) renderStates(rc *graphql.OperationContext, actor auth.Actor, t *stateTap, render graphql.ResponseHandler) graphql.ResponseHandler {
	doc, relative, ok := documentDigest(rc)
	return func(ctx context.Context) *graphql.Response {
		st, open := t.src.Next()
		if !open {
			close(t.out)
			return render(ctx)
		}
		if !ok {
			t.out <- st.Pulse
			resp := render(ctx)
			if resp != nil {
				x.own.Inc()
			}
			return resp
		}
		// The hub's Seq names the state: negative, it cannot be an event's
		// position, and the pulse's id is not an event's id.
		key := renderKey{doc: doc, role: actor.Role, event: st.Pulse.ID, position: -int64(st.Seq)}
		if relative && !seesEveryResponse(actor, st.Pulse.TeacherID) {
			key.viewer = actor.ID
		}
		resp, encoded, made := x.cache.do(key, func() *graphql.Response {
			t.out <- st.Pulse
			return render(ctx)
		})
		if encoded != nil {
			// As for events: every subscriber's frame carries these bytes.
			liveop.From(ctx).ShareEncoded(resp, encoded)
		}
		switch {
		case resp == nil:
		case made:
			x.rendered.Inc()
		default:
			x.shared.Inc()
		}
		return resp
	}
}

// seesEveryResponse: a sees every response of the pulse of this teacher,
// so its view of the pulse's responses and events is not its own.
func seesEveryResponse(a auth.Actor, teacher uuid.UUID) bool {
	other := uuid.Nil
	if a.ID == other {
		other = uuid.Max
	}
	return auth.CanSeeResponse(a, other, teacher)
}
