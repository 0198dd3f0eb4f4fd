package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Request describes a subscription.
type Request struct {
	Actor auth.Actor
	// Match selects events beyond visibility (a pulse, "concerns me", an
	// admin filter); nil matches every visible event.
	Match MatchFunc
	// After resumes after an event: its position, or, when the event had
	// no position yet when the cursor was made, its id.
	After *Cursor
	// End is called once, just before the channel closes: nil when ctx
	// ended, an *EndError otherwise.
	End func(error)
}

// MatchFunc selects events for a subscription; au is the event's audience,
// worked out once for all subscribers.
type MatchFunc func(e event.Envelope, au auth.Audience) bool

// Cursor is a resume point.
type Cursor struct {
	Position int64
	EventID  uuid.UUID
}

// ErrUnknownCursor is a cursor naming an event that does not exist.
var ErrUnknownCursor = errors.New("the cursor names no event")

// Subscription is one subscriber's queue and pump.
type Subscription struct {
	hub   *Hub
	req   Request
	out   chan event.Envelope
	start int64 // replay runs up to here; the queue holds what comes after

	mu     sync.Mutex
	queue  []event.Envelope
	wake   chan struct{}
	cutoff chan struct{}
	isCut  bool
	// replaying: the pump is still reading from the store. A queue that
	// fills up meanwhile is dropped (overflowed) rather than cut off: the
	// subscriber is not slow, its replay is, and the pump reads the
	// dropped events from the store too before it turns to the queue.
	replaying, overflowed bool
}

// ByPulse matches the events of one pulse.
func ByPulse(id uuid.UUID) MatchFunc {
	return func(e event.Envelope, _ auth.Audience) bool { return e.AggregateID == id }
}

// Concerning matches events that concern a (as actor, student, teacher or
// payer).
func Concerning(a auth.Actor) MatchFunc {
	return func(_ event.Envelope, au auth.Audience) bool { return au.Concerns(a) }
}

// Filter is the admin `events` subscription's filter.
type Filter struct {
	Types       []event.Type
	AggregateID *uuid.UUID
	ActorID     *uuid.UUID
}

// Matching matches events passing f.
func Matching(f Filter) MatchFunc {
	return func(e event.Envelope, _ auth.Audience) bool {
		if f.AggregateID != nil && e.AggregateID != *f.AggregateID {
			return false
		}
		if f.ActorID != nil && (!e.ActorID.Valid || e.ActorID.UUID != *f.ActorID) {
			return false
		}
		if len(f.Types) == 0 {
			return true
		}
		for _, t := range f.Types {
			if t == e.Type() {
				return true
			}
		}
		return false
	}
}

func (s *Subscription) accepts(e event.Envelope, au auth.Audience) bool {
	return au.Visible(s.req.Actor) && (s.req.Match == nil || s.req.Match(e, au))
}

// enqueue queues e without blocking; false when the queue is full (while
// replaying, a full queue is dropped instead: see replaying).
func (s *Subscription) enqueue(e event.Envelope) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) >= s.hub.opts.Buffer {
		if !s.replaying {
			return false
		}
		s.queue, s.overflowed = nil, true
		return true
	}
	s.queue = append(s.queue, e)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

func (s *Subscription) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isCut {
		s.isCut = true
		close(s.cutoff)
	}
}

// Subscribe starts a subscription. The returned channel is owned by the
// subscription's pump: it closes when ctx ends or the subscriber is cut
// off (after calling req.End).
func (h *Hub) Subscribe(ctx context.Context, req Request) (<-chan event.Envelope, error) {
	from := int64(-1) // no replay
	if req.After != nil {
		pos, err := h.resolve(ctx, *req.After)
		if err != nil {
			return nil, err
		}
		from = pos
	}
	s := &Subscription{hub: h, req: req, out: make(chan event.Envelope),
		wake: make(chan struct{}, 1), cutoff: make(chan struct{}), replaying: from >= 0}
	h.mu.Lock()
	s.start = h.head
	h.subs[s] = struct{}{}
	h.m.subscriptions(len(h.subs))
	h.mu.Unlock()
	go s.pump(ctx, from)
	return s.out, nil
}

// resolve turns a cursor into a position. A cursor made before the relay
// had positioned its event names the event; the position follows within
// milliseconds of the commit, so wait for it.
func (h *Hub) resolve(ctx context.Context, c Cursor) (int64, error) {
	if c.Position > 0 || c.EventID == uuid.Nil {
		return c.Position, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		e, err := h.r.Event(ctx, c.EventID)
		if errors.Is(err, store.ErrNotFound) {
			return 0, ErrUnknownCursor
		}
		if err != nil {
			return 0, fmt.Errorf("live: resolve cursor: %w", err)
		}
		if e.Position > 0 {
			return e.Position, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("live: the cursor's event was not published in time: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// caughtUp ends the replay, unless the queue overflowed during it: then the
// queue starts afresh after the hub's head, which becomes the end of a
// further replay. Lock order as in fanOut: the hub, then the subscription.
func (s *Subscription) caughtUp() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.overflowed {
		s.replaying = false
		return true
	}
	s.overflowed, s.queue, s.start = false, nil, s.hub.head
	return false
}

// pump replays from the store (positions from+1..start), then forwards the
// live queue, blocking only itself when the subscriber is slow.
func (s *Subscription) pump(ctx context.Context, from int64) {
	var (
		last     *event.Envelope
		position = s.start
		endErr   error
	)
	if from >= 0 {
		position = from
	}
	defer func() {
		s.hub.remove(s)
		if s.req.End != nil {
			s.req.End(endErr)
		}
		close(s.out)
	}()
	send := func(e event.Envelope) bool {
		select {
		case s.out <- e:
			last, position = &e, e.Position
			s.hub.m.delivered(e)
			return true
		case <-ctx.Done():
			return false
		case <-s.cutoff:
			endErr = &EndError{Err: ErrSlowConsumer, Last: last, Position: position}
			return false
		}
	}
	// Replay: what was handed out before this subscription joined, and,
	// if the queue overflowed meanwhile, what was handed out since.
	for cursor := from; from >= 0; {
		for cursor < s.start {
			evs, err := s.hub.r.EventsAfter(ctx, cursor, int(min(s.start-cursor, 500)))
			if err != nil {
				endErr = &EndError{Err: fmt.Errorf("replay: %w", err), Last: last, Position: position}
				return
			}
			if len(evs) == 0 {
				break
			}
			s.hub.shared.prefetch(ctx, s.hub.r, evs)
			for _, e := range evs {
				if e.Position > s.start {
					break
				}
				cursor = e.Position
				if s.accepts(e, s.hub.audience(ctx, e)) && !send(e) {
					return
				}
			}
			cursor = max(cursor, evs[len(evs)-1].Position)
		}
		if s.caughtUp() {
			break
		}
	}
	if from >= 0 {
		position = max(position, s.start)
	}
	// Live: what the hub queued since.
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.cutoff:
			endErr = &EndError{Err: ErrSlowConsumer, Last: last, Position: position}
			return
		case <-s.wake:
		}
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, e := range batch {
			// A cursor from an instance whose hub was ahead of this one's:
			// what the client already has comes through the queue too.
			if e.Position <= from {
				continue
			}
			if !send(e) {
				return
			}
		}
	}
}
