package graph

import (
	"context"
	"errors"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/liveop"
)

var errNoHub = errors.New("live delivery is not configured")

// subscribe is every subscription: authenticate, build the matcher, decode
// `after`, and hand over to the hub, which owns the channel. When the hub
// ends the subscription (a slow consumer), the client gets an `error`
// message with the cursor to resume from.
func (r *Resolver) subscribe(ctx context.Context, after *string, match func(auth.Actor) (live.MatchFunc, error)) (<-chan event.Envelope, error) {
	a, ok := auth.ActorFrom(ctx)
	if !ok {
		return nil, app.ErrUnauthenticated
	}
	m, err := match(a)
	if err != nil {
		return nil, err
	}
	op := liveop.From(ctx)
	if op != nil && op.ResumeAfter != "" {
		// An SSE client's Last-Event-ID: what it has seen last, so later
		// than any `after` it subscribed with.
		after = &op.ResumeAfter
	}
	var cursor *live.Cursor
	if after != nil {
		k, err := app.ParseEventCursor(*after)
		if err != nil {
			return nil, err
		}
		cursor = &live.Cursor{Position: k.Position, EventID: k.ID}
	}
	if r.hub == nil {
		return nil, errNoHub
	}
	req := live.Request{Actor: a, Match: m, After: cursor, End: func(err error) {
		var end *live.EndError
		if errors.As(err, &end) {
			// The transport sends it as the operation's last message.
			op.End(endError(end))
		}
	}}
	// A transport that pushes is told when the subscription has an event,
	// instead of a goroutine waiting for one.
	if op.Pushes() {
		req.Notify = op.Notify
	}
	sub, err := r.hub.Open(ctx, req)
	if errors.Is(err, live.ErrUnknownCursor) {
		return nil, &app.InputError{Field: "after", Message: live.ErrUnknownCursor.Error()}
	}
	if err != nil {
		return nil, err
	}
	return tapped(ctx, sub, op), nil
}

// endError is the `error` message that ends a subscription, carrying the
// last cursor delivered so that the client resumes with no gap.
func endError(end *live.EndError) *gqlerror.Error {
	last := event.Envelope{Position: end.Position}
	if end.Last != nil {
		last = *end.Last
	}
	code, msg := CodeInternal, "internal error"
	if errors.Is(end, live.ErrSlowConsumer) {
		code, msg = CodeSlowConsumer, end.Err.Error()
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code, "lastCursor": app.EventCursor(last)}}
}
