// Package live is the in-process fan-out of committed events to
// subscribers. One bus consumer per instance wakes the hub; the hub reads
// the events from the store (what arrives from the bus is never handed out
// as such), keeps the global position order (positions are contiguous, so
// a gap is filled and a duplicate is dropped), works out each
// event's audience once, and hands the event to every matching subscriber
// through a bounded queue. A subscriber that falls behind its queue is cut
// off with ErrSlowConsumer and a cursor to resume from; it never slows the
// hub or the other subscribers.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// Reader is what the hub reads from the store: replays, gap fills, and the
// rows that events point to.
type Reader interface {
	EventsAfter(ctx context.Context, position int64, limit int) ([]event.Envelope, error)
	LastPosition(ctx context.Context) (int64, error)
	Event(ctx context.Context, id uuid.UUID) (event.Envelope, error)
	PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Pulse, error)
	ResponsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Response, error)
	PulseStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.PulseState, error)
}

// Options tune a Hub; zero values take the defaults.
type Options struct {
	// Buffer is how many events may wait for one subscriber before it is
	// cut off as a slow consumer (default 1024).
	Buffer int
	// SyncInterval is how often the hub checks the store for events the bus
	// has not brought (a message lost, or the bus down): default 250 ms.
	// It bounds live latency while the bus is away, on every instance
	// (Wake serves the instance whose relay positions the events sooner);
	// one check is a one-row read.
	SyncInterval time.Duration
	// StateInterval is the least time between two states handed to one
	// pulseState subscriber (default 20 ms; negative: none). A burst then
	// costs each subscriber at most one message per interval, the latest
	// state, instead of one per answer; the state it takes is still the
	// latest when it takes it.
	StateInterval time.Duration
	// Replay, when set, serves what each subscriber reads for itself
	// (replays, a pulse's first state), so that many of them cannot take
	// the connections the hub's own reads of new events need; default:
	// the hub's Reader.
	Replay  Reader
	Logger  *slog.Logger
	Metrics *Metrics
}

// Hub fans events out to subscribers.
type Hub struct {
	r      Reader
	opts   Options
	log    *slog.Logger
	shared *Shared
	m      *Metrics
	states *states

	// ingest serialises Deliver and the store sync, so events are handed
	// out strictly in position order.
	ingest sync.Mutex

	// wake asks Run for a store sync now (at most one pending).
	wake chan struct{}

	// positioned holds the trace contexts of events this instance's relay
	// gave positions to (Positioned), for the sync that hands them out
	// before their bus message comes: their delivery spans then belong to
	// the mutation's trace too. Only while tracing is on.
	traceMu    sync.Mutex
	positioned []tracing.Announced

	mu   sync.Mutex
	head int64 // the last position handed out
	subs map[*Subscription]struct{}
}

// New returns a hub whose head is the store's last position: subscribers
// get what is committed from now on (or replay from a cursor).
func New(ctx context.Context, r Reader, o Options) (*Hub, error) {
	if o.Buffer <= 0 {
		o.Buffer = 1024
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 250 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Replay == nil {
		o.Replay = r
	}
	if o.StateInterval == 0 {
		o.StateInterval = 20 * time.Millisecond
	}
	head, err := r.LastPosition(ctx)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return &Hub{r: r, opts: o, log: o.Logger, shared: newShared(4096), m: o.Metrics, states: newStates(r, o.Logger),
		wake: make(chan struct{}, 1), head: head, subs: map[*Subscription]struct{}{}}, nil
}

// Shared is the cache of rows that events point to, loaded once per event
// for all subscribers; the GraphQL loaders read it before the store.
func (h *Hub) Shared() *Shared { return h.shared }

// Subscriptions is the number of active subscriptions.
func (h *Hub) Subscriptions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Head is the last position handed out.
func (h *Hub) Head() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head
}

// Deliver takes one message from the bus. The bus is a trust boundary: a
// message only says that the store has something at its position. The hub
// reads what the store has from its head up to that position and hands
// that out, so a message the store disagrees with (forged, or another
// service's on our subjects) is never delivered and never takes the place
// of the real event, which arrives with the same position later. One read
// covers every position up to the message's, shared by every subscriber;
// the bus consumer hands over only the last message of a burst, so a
// burst costs one read.
func (h *Hub) Deliver(ctx context.Context, e event.Envelope) error {
	if e.Position <= 0 {
		return fmt.Errorf("live: event %s has no position", e.ID)
	}
	h.ingest.Lock()
	defer h.ingest.Unlock()
	if e.Position <= h.Head() {
		h.m.duplicate()
		return nil
	}
	return h.catchUp(ctx, e.Position, &e)
}

// Sync hands out whatever the store has past the head: events whose bus
// message was lost or is late, or every event while the bus is down.
func (h *Hub) Sync(ctx context.Context) error {
	last, err := h.r.LastPosition(ctx)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	h.ingest.Lock()
	defer h.ingest.Unlock()
	return h.catchUp(h.takePositioned(ctx), last, nil)
}

// maxPositionedTraces bounds what Positioned keeps between two syncs.
const maxPositionedTraces = 4096

// Positioned tells the hub that this instance's relay gave entries their
// positions: it syncs with the store at once (Wake) rather than waiting
// for the bus's round trip, and keeps their trace contexts for the
// delivery spans. It never blocks on the hub's work.
func (h *Hub) Positioned(entries []store.OutboxEntry) {
	if tracing.Enabled() {
		h.traceMu.Lock()
		for _, e := range entries {
			if e.TraceParent != "" && len(h.positioned) < maxPositionedTraces {
				h.positioned = append(h.positioned, tracing.Announced{Position: e.Position, TraceParent: e.TraceParent})
			}
		}
		h.traceMu.Unlock()
	}
	h.Wake()
}

// takePositioned returns ctx carrying the trace contexts Positioned kept,
// and forgets them: events the bus delivered first had theirs from it.
func (h *Hub) takePositioned(ctx context.Context) context.Context {
	h.traceMu.Lock()
	as := h.positioned
	h.positioned = nil
	h.traceMu.Unlock()
	return tracing.WithAnnounced(ctx, as)
}

// Wake asks Run to sync with the store now: events were given positions
// that the bus may not bring soon (it is down). It never blocks.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run syncs with the store every SyncInterval, and when woken, until ctx
// ends. A failed sync is logged and tried again at the next tick.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(h.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.wake:
		}
		if err := h.Sync(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("live: store sync failed", "err", err)
		}
	}
}

// readAhead is the most events one store read hands out.
const readAhead = 500

// catchUp hands out events from the store up to position `to`. Reading no
// further than the bus has announced keeps fan-out bursts no larger than
// the bus's own, which subscribers' queues are sized for. announced, when
// set, is the bus message that asked for the read: checked against the
// store's event at its position, never handed out itself. Called with
// ingest held.
func (h *Hub) catchUp(ctx context.Context, to int64, announced *event.Envelope) error {
	for head := h.Head(); head < to; head = h.Head() {
		evs, err := h.r.EventsAfter(ctx, head, int(min(to-head, readAhead)))
		if err != nil {
			return fmt.Errorf("live: fill positions %d..%d: %w", head+1, to, err)
		}
		if len(evs) == 0 || evs[0].Position != head+1 {
			// Positions become visible in order, so this is a store that
			// has not caught up with what we were told (or a message that
			// names a position the store never gave out); try again later.
			return fmt.Errorf("live: position %d is not readable yet", head+1)
		}
		fills := len(evs)
		if announced != nil {
			for _, se := range evs {
				if se.Position != announced.Position {
					continue
				}
				fills--
				if se.ID != announced.ID {
					h.m.mismatch()
					h.log.Warn("live: a bus message disagrees with the store; the store's event is handed out",
						"position", se.Position, "bus_event", announced.ID, "store_event", se.ID)
				}
				announced = nil
				break
			}
		}
		h.m.filled(fills)
		if h.Subscriptions() > 0 {
			// Rows for nobody would be a query per pulse under write load
			// (see fanOut).
			h.shared.prefetch(ctx, h.r, evs)
		}
		for _, e := range evs {
			h.fanOut(ctx, e)
		}
		h.states.seen(evs)
	}
	return nil
}

// fanOut prepares e once (its audience, the rows it points to) and queues
// it for every subscriber that matches and may see it. With nobody
// subscribed it only moves the head (and keeps the shared cache true):
// loading rows for no one was a query per created pulse under write load.
// A subscriber that joins after that starts past e; one that joined before
// the audience was worked out is served below.
func (h *Hub) fanOut(ctx context.Context, e event.Envelope) {
	d := startDelivery(ctx, e)
	defer d.end(e)
	h.mu.Lock()
	if len(h.subs) == 0 {
		h.head = e.Position
		h.mu.Unlock()
		h.invalidate(e)
		return
	}
	h.mu.Unlock()
	h.invalidate(e)
	au := h.audience(ctx, e)
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.accepts(e, au) {
			continue
		}
		if !s.enqueue(e) {
			h.cutLocked(s)
			continue
		}
		d.queued(s)
	}
	h.head = e.Position
}

// invalidate drops what e makes stale in the shared cache. Only the event's
// arrival does: a replay hands out events the hub has taken in already,
// and replaying an erasure must not empty the cache of every subscriber
// (any subscriber could do it again and again with an old cursor).
func (h *Hub) invalidate(e event.Envelope) {
	switch p := e.Payload.(type) {
	case event.ActorErased:
		// The cached rows may hold the erased texts.
		h.shared.clear()
	case event.LearningPulseClosed:
		h.shared.forgetPulse(p.PulseID) // closedAt changed
	}
}

// visible reports whether a may see e.
func (h *Hub) visible(ctx context.Context, e event.Envelope, a auth.Actor) bool {
	return h.audience(ctx, e).Visible(a)
}

// audience works out who may see e, loading the pulse (for its teacher)
// and the response it points to once, into the shared cache.
func (h *Hub) audience(ctx context.Context, e event.Envelope) auth.Audience {
	var teacher uuid.UUID
	switch p := e.Payload.(type) {
	case event.LearningPulseResponded:
		if pl, ok := h.shared.pulse(ctx, h.r, p.PulseID); ok {
			teacher = pl.TeacherID
		}
		h.shared.response(ctx, h.r, p.ResponseID)
	case event.LearningPulseCreated:
		h.shared.pulse(ctx, h.r, p.PulseID)
	case event.LearningPulseClosed:
		h.shared.pulse(ctx, h.r, p.PulseID)
	}
	return auth.AudienceOf(e, teacher)
}

func (h *Hub) cutLocked(s *Subscription) {
	delete(h.subs, s)
	h.m.slowConsumer()
	h.m.subscriptions(len(h.subs))
	s.cut()
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		h.m.subscriptions(len(h.subs))
	}
}

// ErrSlowConsumer ends a subscription whose queue overflowed.
var ErrSlowConsumer = errors.New("subscriber too slow: resubscribe with lastCursor")

// EndError tells how a subscription ended, with where to resume.
type EndError struct {
	Err error
	// Last is the last event delivered, if any; otherwise resume from
	// Position.
	Last     *event.Envelope
	Position int64
}

func (e *EndError) Error() string { return e.Err.Error() }
func (e *EndError) Unwrap() error { return e.Err }
