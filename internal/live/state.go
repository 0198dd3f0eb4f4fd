package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Live pulse states (the pulseState subscription). A state subscriber
// wants the pulse as it is, not every event: each pulse watched has one
// current state, and each subscriber at most one pending state, replaced
// by a newer one, so a subscriber that reads slowly is never cut off and
// never handed a state older than one it has.
//
// States come from two places, and neither costs a read per subscriber:
//   - a write on this instance offers the state it left (OfferPulseState,
//     before the mutation answers): it holds the pulse's lock, so it knows
//     that state without reading it back, and a subscriber that takes a
//     state after the answer takes one that includes it;
//   - events the hub takes in (writes on other instances, or a write whose
//     event comes back before its offer) mark the pulse behind; one reader
//     reads every pulse behind in one query, as often as it can keep up,
//     so a burst costs a read per round, not per event.
//
// States are ordered by the aggregate's version, which the store reads
// with the row from one snapshot.

// State is a pulse's state as handed to subscribers.
type State struct {
	store.PulseState
	// Seq orders the states this hub accepted for the pulse; a state's
	// rendering may be shared under (pulse, Seq). An erasure can change a
	// pulse's text without moving its version: Seq moves all the same.
	Seq uint64
}

type states struct {
	r   Reader
	log interface {
		Warn(msg string, args ...any)
	}

	mu     sync.Mutex
	seq    uint64
	topics map[uuid.UUID]*topic
	// behind: pulses whose events the hub has seen past their state, with
	// the least version wanted (0: reread whatever the version, for an
	// erasure); reading: the reader is running.
	behind  map[uuid.UUID]int64
	reading bool
}

type topic struct {
	cur  State
	subs map[*StateSubscription]struct{}
}

func newStates(r Reader, log interface{ Warn(string, ...any) }) *states {
	return &states{r: r, log: log, topics: map[uuid.UUID]*topic{}, behind: map[uuid.UUID]int64{}}
}

// StateSubscription is one pulseState subscriber, read with Next.
type StateSubscription struct {
	st   *states
	id   uuid.UUID
	done <-chan struct{}
	wake chan struct{}
	// gap is the least time between two states handed out; last, when the
	// last one was (the reader's own).
	gap  time.Duration
	last time.Time

	// Guarded by st.mu.
	pending *State
	sent    uint64 // the Seq of the last state handed out
	ended   bool
	// notify, when set, is told that Ready may have turned true: a state
	// came, or the pause between two states is over (timer).
	notify func()
	timer  *time.Timer
}

// SetNotify makes the subscription call f (which must not block) whenever
// a state comes for it, and when a state held back by the least time
// between two states may be taken: a transport that pushes then calls Next
// only when Ready says it would not wait, instead of parking a goroutine
// in it.
func (s *StateSubscription) SetNotify(f func()) {
	s.st.mu.Lock()
	s.notify = f
	s.st.mu.Unlock()
}

// Ready reports whether Next would return without waiting: a state is
// pending and the least time since the last one has passed, or the
// subscription has ended. Called from one goroutine at a time, never
// alongside Next. A pending state held back by the pause arms a timer that
// notifies when it is over.
func (s *StateSubscription) Ready() bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.ended {
		return true
	}
	if s.pending == nil {
		return false
	}
	wait := time.Until(s.last.Add(s.gap))
	if s.gap <= 0 || wait <= 0 {
		return true
	}
	if s.timer == nil && s.notify != nil {
		s.timer = time.AfterFunc(wait, func() {
			s.st.mu.Lock()
			s.timer = nil
			f := s.notify
			ended := s.ended
			s.st.mu.Unlock()
			if !ended {
				f()
			}
		})
	}
	return false
}

// WatchPulse subscribes to a pulse's states: the first is the pulse as it
// stands, read from the store after the subscriber is registered, so that
// no change between the read and the registration is missed.
// store.ErrNotFound when the pulse does not exist. The subscription ends
// when ctx does.
func (h *Hub) WatchPulse(ctx context.Context, id uuid.UUID) (*StateSubscription, error) {
	st := h.states
	s := &StateSubscription{st: st, id: id, done: ctx.Done(), wake: make(chan struct{}, 1), gap: h.opts.StateInterval}
	st.mu.Lock()
	t, ok := st.topics[id]
	if !ok {
		t = &topic{subs: map[*StateSubscription]struct{}{}}
		st.topics[id] = t
	}
	t.subs[s] = struct{}{}
	st.mu.Unlock()

	m, err := h.opts.Replay.PulseStates(ctx, []uuid.UUID{id})
	if err == nil && len(m) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		st.leave(s)
		return nil, fmt.Errorf("live: pulse state: %w", err)
	}
	st.offer(m[id], false)
	st.mu.Lock()
	if s.pending == nil && s.sent == 0 {
		cur := t.cur
		s.pending = &cur
	}
	st.mu.Unlock()
	context.AfterFunc(ctx, func() { st.leave(s) })
	return s, nil
}

// OfferPulseState hands the hub a pulse's state, as a committed write left
// it. Older than what the hub has, or of a pulse nobody watches, it is
// dropped. It never blocks on subscribers.
func (h *Hub) OfferPulseState(ps store.PulseState) { h.states.offer(ps, false) }

// Next returns the latest state not handed out yet, waiting for one; false
// when the subscription has ended. Only one goroutine may call it.
func (s *StateSubscription) Next() (State, bool) {
	if wait := time.Until(s.last.Add(s.gap)); s.gap > 0 && wait > 0 {
		// States that come meanwhile replace one another: what is taken
		// after the pause is the latest.
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			s.st.leave(s)
			return State{}, false
		}
	}
	for {
		s.st.mu.Lock()
		if p := s.pending; p != nil && !s.ended {
			s.pending, s.sent = nil, p.Seq
			s.last = time.Now() // under the lock: Ready reads it
			s.st.mu.Unlock()
			return *p, true
		}
		ended := s.ended
		s.st.mu.Unlock()
		if ended {
			return State{}, false
		}
		select {
		case <-s.wake:
		case <-s.done:
			s.st.leave(s)
			return State{}, false
		}
	}
}

func (st *states) leave(s *StateSubscription) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.ended {
		return
	}
	s.ended, s.pending = true, nil
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if t, ok := st.topics[s.id]; ok {
		delete(t.subs, s)
		if len(t.subs) == 0 {
			delete(st.topics, s.id)
		}
	}
}

// offer makes ps the pulse's state if it is newer (or, with reread, as new)
// than the current one, and the pending state of each subscriber.
func (st *states) offer(ps store.PulseState, reread bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.topics[ps.Pulse.ID]
	if !ok {
		return
	}
	if t.cur.Seq != 0 && (ps.Version < t.cur.Version || ps.Version == t.cur.Version && !reread) {
		return
	}
	if v, ok := st.behind[ps.Pulse.ID]; ok && v > 0 && v <= ps.Version {
		delete(st.behind, ps.Pulse.ID)
	}
	st.seq++
	t.cur = State{PulseState: ps, Seq: st.seq}
	cur := t.cur // one copy for every subscriber: never written to
	for s := range t.subs {
		s.pending = &cur
		select {
		case s.wake <- struct{}{}:
		default:
		}
		if s.notify != nil && s.timer == nil {
			s.notify()
		}
	}
}

// seen tells the states what the hub took in: pulses watched whose events
// are past their state are read again. Called by the hub for each batch it
// fans out, in position order.
func (st *states) seen(evs []event.Envelope) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.topics) == 0 {
		return
	}
	marked := false
	for _, e := range evs {
		if _, ok := e.Payload.(event.ActorErased); ok {
			// The pulses' texts may have been erased: reread them all.
			for id := range st.topics {
				st.behind[id] = 0
			}
			marked = true
			continue
		}
		if e.AggregateType != event.AggregatePulse {
			continue
		}
		t, ok := st.topics[e.AggregateID]
		if !ok || t.cur.Version >= e.Version {
			continue
		}
		if v, ok := st.behind[e.AggregateID]; !ok || v != 0 && v < e.Version {
			st.behind[e.AggregateID] = e.Version
		}
		marked = true
	}
	if marked && !st.reading {
		st.reading = true
		go st.read()
	}
}

// read reads the pulses behind, all in one query per round, until none is
// left. A failed read is tried again shortly: a watched pulse must not
// stay behind for want of another event.
func (st *states) read() {
	for failures := 0; ; {
		st.mu.Lock()
		ids := make([]uuid.UUID, 0, len(st.behind))
		rereads := map[uuid.UUID]bool{}
		for id, v := range st.behind {
			if _, ok := st.topics[id]; !ok {
				delete(st.behind, id)
				continue
			}
			ids = append(ids, id)
			rereads[id] = v == 0
		}
		if len(ids) == 0 {
			st.reading = false
			st.mu.Unlock()
			return
		}
		// What this read covers is no longer behind; what comes in while it
		// runs marks the pulse again.
		for _, id := range ids {
			delete(st.behind, id)
		}
		st.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		m, err := st.r.PulseStates(ctx, ids)
		cancel()
		if err != nil {
			st.log.Warn("live: reading pulse states failed", "err", err)
			st.mu.Lock()
			for id, reread := range rereads {
				if _, ok := st.behind[id]; !ok {
					want := int64(1) // any version: read it again
					if reread {
						want = 0
					}
					st.behind[id] = want
				}
			}
			st.mu.Unlock()
			failures++
			time.Sleep(min(time.Duration(failures)*100*time.Millisecond, 2*time.Second))
			continue
		}
		failures = 0
		for _, id := range ids {
			if ps, ok := m[id]; ok {
				st.offer(ps, rereads[id])
			}
		}
	}
}
