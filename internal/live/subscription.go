package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
	// Notify, if set, is called (without blocking, from the hub's
	// goroutine or any other) whenever Next may have something new to
	// return: an event queued, the subscriber cut off, the subscription
	// ended. A reader driven by it calls Next only while Ready is true,
	// and so never waits in Next for a live event.
	Notify func()
}

// MatchFunc selects events for a subscription; au is the event's audience,
// worked out once for all subscribers.
type MatchFunc func(e event.Envelope, au auth.Audience) bool

// Cursor is a resume point.
type Cursor struct {
	Position int64
	EventID  uuid.UUID
}

// ErrUnknownCursor is a cursor naming no event the subscriber may resume
// from: one that does not exist, one it may not see, or a position past
// the store's head. All are answered alike, so that a cursor cannot tell
// whether an event exists; a position past the head would otherwise hide
// every event up to it from the subscriber, silently.
var ErrUnknownCursor = errors.New("the cursor names no event to resume from")

// Subscription is one subscriber's queue, read with Next (or through the
// channel Subscribe returns).
type Subscription struct {
	hub  *Hub
	req  Request
	ctx  context.Context
	done <-chan struct{} // ctx.Done(), looked up once: ctx is a long chain of values
	// renderGroup is WithRenderGroup's, for the delivery span (tracing on).
	renderGroup string
	start       int64 // replay runs up to here; the queue holds what comes after

	// The reader's state: only Next touches it.
	from      int64            // the resume position; -1: none
	replayAt  int64            // the replay's cursor
	page      []event.Envelope // replay page not yet handed out
	ahead     *page            // the next replay page, being read
	batch     []event.Envelope // live events taken from the queue, not yet handed out
	live      bool             // the replay is over
	last      *event.Envelope  // the last event handed out
	held      *event.Envelope  // read by Ready, handed out by Next
	position  int64            // where to resume from
	finishing sync.Once
	finished  atomic.Bool

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

// ByPulse matches the events of one pulse: of its aggregate, not of
// another type's that has the same id.
func ByPulse(id uuid.UUID) MatchFunc {
	return func(e event.Envelope, _ auth.Audience) bool {
		return e.AggregateID == id && e.AggregateType == event.AggregatePulse
	}
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
	s.notify()
	return true
}

func (s *Subscription) notify() {
	if s.req.Notify != nil {
		s.req.Notify()
	}
}

// Ready reports whether Next would return without waiting for a live
// event: one is queued, or the subscription is over. While the replay
// runs it reads the store for the next replayed event. Only Next's
// goroutine may call it.
func (s *Subscription) Ready() bool {
	if s.finished.Load() || s.held != nil {
		return true
	}
	for !s.live {
		// The replay's next event is read here, so that Next does not
		// go on to wait for a live one once the replay is over.
		e, ok, err := s.replayed()
		if err != nil {
			s.finish(&EndError{Err: fmt.Errorf("replay: %w", err), Last: s.last, Position: s.position})
			return true
		}
		if ok {
			s.held = &e
			return true
		}
	}
	select {
	case <-s.cutoff:
		return true
	case <-s.done:
		return true
	default:
	}
	// What the client already has is skipped here, as Next would, so
	// that a true answer is never one Next would wait after.
	for len(s.batch) > 0 && s.batch[0].Position <= s.from {
		s.batch = s.batch[1:]
	}
	if len(s.batch) > 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.queue {
		if e.Position > s.from {
			return true
		}
	}
	return false
}

func (s *Subscription) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isCut {
		s.isCut = true
		close(s.cutoff)
		defer s.notify()
	}
}

// Subscribe starts a subscription and returns its events as a channel
// (see Events).
func (h *Hub) Subscribe(ctx context.Context, req Request) (<-chan event.Envelope, error) {
	s, err := h.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return s.Events(), nil
}

// Events hands the subscription's events out on a channel, fed by a
// goroutine of its own, for a reader that needs a channel; the channel
// closes when the subscription ends (after req.End). Use either Events or
// Next, not both.
func (s *Subscription) Events() <-chan event.Envelope {
	out := make(chan event.Envelope)
	go func() {
		defer close(out)
		for {
			e, ok := s.next()
			if !ok {
				return
			}
			select {
			case out <- e:
				s.handedOut(e)
			case <-s.done:
				s.finish(nil)
				return
			case <-s.cutoff:
				s.finish(s.slow())
				return
			}
		}
	}()
	return out
}

// Open starts a subscription read with Next. It ends when ctx ends, when
// the subscriber is cut off or when the store fails; req.End is called
// once then. Only one goroutine at a time may call Next.
func (h *Hub) Open(ctx context.Context, req Request) (*Subscription, error) {
	from := int64(-1) // no replay
	if req.After != nil {
		pos, err := h.resolve(ctx, req.Actor, *req.After)
		if err != nil {
			return nil, err
		}
		from = pos
	}
	s := &Subscription{hub: h, req: req, ctx: ctx, done: ctx.Done(), from: from, replayAt: from, renderGroup: renderGroupOf(ctx),
		wake: make(chan struct{}, 1), cutoff: make(chan struct{}), replaying: from >= 0}
	h.mu.Lock()
	s.start = h.head
	h.subs[s] = struct{}{}
	h.m.subscriptions(len(h.subs))
	h.mu.Unlock()
	s.position = s.start
	if from >= 0 {
		s.position = from
	}
	s.live = from < 0
	// Nobody may be reading when ctx ends: leave the hub then all the same.
	context.AfterFunc(ctx, func() { s.finish(nil); s.notify() })
	return s, nil
}

// resolve turns a cursor into a position. A cursor made before the relay
// had positioned its event names the event; the position follows within
// milliseconds of the commit, so wait for it, once a has been found to
// see the event (an event a may not see is answered at once, as one that
// does not exist).
func (h *Hub) resolve(ctx context.Context, a auth.Actor, c Cursor) (int64, error) {
	if c.Position > 0 || c.EventID == uuid.Nil {
		return c.Position, h.withinHead(ctx, c.Position)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for checked := false; ; checked = true {
		e, err := h.r.Event(ctx, c.EventID)
		if errors.Is(err, store.ErrNotFound) {
			return 0, ErrUnknownCursor
		}
		if err != nil {
			return 0, fmt.Errorf("live: resolve cursor: %w", err)
		}
		if !checked && !h.visible(ctx, e, a) {
			return 0, ErrUnknownCursor
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

// withinHead refuses a position past the store's head. The hub's own head
// answers most cursors without a query; it may lag behind the store (its
// bus late, or the cursor made on another instance), so the store decides
// the rest.
func (h *Hub) withinHead(ctx context.Context, pos int64) error {
	if pos <= h.Head() {
		return nil
	}
	last, err := h.r.LastPosition(ctx)
	if err != nil {
		return fmt.Errorf("live: resolve cursor: %w", err)
	}
	if pos > last {
		return ErrUnknownCursor
	}
	return nil
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

// Next returns the next event: first those replayed from the store
// (positions after the cursor up to where the hub stood at Open), then the
// live queue. It blocks until there is one; false when the subscription
// has ended (req.End has been called).
func (s *Subscription) Next() (event.Envelope, bool) {
	e, ok := s.next()
	if ok {
		s.handedOut(e)
	}
	return e, ok
}

func (s *Subscription) handedOut(e event.Envelope) {
	s.last, s.position = &e, e.Position
	s.hub.m.delivered(e)
}

func (s *Subscription) slow() error {
	return &EndError{Err: ErrSlowConsumer, Last: s.last, Position: s.position}
}

// finish leaves the hub and reports the end, once.
func (s *Subscription) finish(err error) {
	s.finishing.Do(func() {
		s.finished.Store(true)
		s.hub.remove(s)
		if s.req.End != nil {
			s.req.End(err)
		}
	})
}

func (s *Subscription) next() (event.Envelope, bool) {
	for {
		if s.finished.Load() {
			return event.Envelope{}, false
		}
		if e := s.held; e != nil {
			s.held = nil
			return *e, true
		}
		select {
		case <-s.cutoff:
			s.finish(s.slow())
			return event.Envelope{}, false
		default:
		}
		if !s.live {
			e, ok, err := s.replayed()
			if err != nil {
				s.finish(&EndError{Err: fmt.Errorf("replay: %w", err), Last: s.last, Position: s.position})
				return event.Envelope{}, false
			}
			if ok {
				return e, true
			}
			continue // caught up (or re-reading what overflowed)
		}
		if len(s.batch) > 0 {
			e := s.batch[0]
			s.batch = s.batch[1:]
			// A cursor from an instance whose hub was ahead of this one's:
			// what the client already has comes through the queue too.
			if e.Position <= s.from {
				continue
			}
			return e, true
		}
		select {
		case <-s.done:
			s.finish(nil)
			return event.Envelope{}, false
		case <-s.cutoff:
			continue
		case <-s.wake:
		}
		s.mu.Lock()
		s.batch, s.queue = s.queue, nil
		s.mu.Unlock()
	}
}

// replayed returns the next event replayed from the store: what was handed
// out before this subscription joined (positions up to start) and, if the
// queue overflowed meanwhile, what was handed out since. false when there
// is none to return now: the replay is over (s.live) or starts afresh.
func (s *Subscription) replayed() (event.Envelope, bool, error) {
	for {
		for len(s.page) > 0 {
			e := s.page[0]
			s.page = s.page[1:]
			if e.Position > s.start {
				s.page, s.replayAt = nil, s.start
				break
			}
			s.replayAt = e.Position
			if s.accepts(e, s.hub.audience(s.ctx, e)) {
				return e, true, nil
			}
		}
		if s.replayAt >= s.start {
			break
		}
		f := s.ahead
		if f == nil || f.after != s.replayAt {
			f = s.fetch(s.replayAt)
		}
		s.ahead = nil
		<-f.done
		if f.err != nil {
			return event.Envelope{}, false, f.err
		}
		if len(f.evs) == 0 {
			break
		}
		s.page = f.evs
		// Read the next page while this one is handed out: a replay then
		// waits for the store once, not once per page.
		if last := f.evs[len(f.evs)-1].Position; last < s.start {
			s.ahead = s.fetch(last)
		}
	}
	s.page = nil
	if s.caughtUp() {
		s.live = true
		s.position = max(s.position, s.start)
	}
	return event.Envelope{}, false, nil
}

// page is a replay page being read: the events after `after`, with the
// rows they point to loaded into the shared cache.
type page struct {
	after int64
	done  chan struct{}
	evs   []event.Envelope
	err   error
}

// replayPage is how many events a replay reads at once.
const replayPage = 500

func (s *Subscription) fetch(after int64) *page {
	p := &page{after: after, done: make(chan struct{})}
	n := int(min(s.start-after, replayPage))
	go func() {
		defer close(p.done)
		p.evs, p.err = s.hub.opts.Replay.EventsAfter(s.ctx, after, n)
		if p.err == nil {
			s.hub.shared.prefetch(s.ctx, s.hub.opts.Replay, p.evs)
		}
	}()
	return p
}
