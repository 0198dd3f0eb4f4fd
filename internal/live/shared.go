package live

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Shared holds the rows recent events point to (pulses, responses), loaded
// once per event for every subscriber instead of once per subscriber. It
// keeps two generations of at most size entries each: cheap, bounded, and
// recent rows stay.
type Shared struct {
	mu        sync.Mutex
	size      int
	pulses    [2]map[uuid.UUID]store.Pulse
	responses [2]map[uuid.UUID]store.Response
}

func newShared(size int) *Shared {
	return &Shared{size: size,
		pulses:    [2]map[uuid.UUID]store.Pulse{{}, {}},
		responses: [2]map[uuid.UUID]store.Response{{}, {}}}
}

// Pulse returns a cached pulse.
func (c *Shared) Pulse(id uuid.UUID) (store.Pulse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return lookup(c.pulses, id)
}

// Response returns a cached response.
func (c *Shared) Response(id uuid.UUID) (store.Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return lookup(c.responses, id)
}

func (c *Shared) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pulses = [2]map[uuid.UUID]store.Pulse{{}, {}}
	c.responses = [2]map[uuid.UUID]store.Response{{}, {}}
}

func (c *Shared) forgetPulse(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pulses[0], id)
	delete(c.pulses[1], id)
}

func (c *Shared) pulse(ctx context.Context, r Reader, id uuid.UUID) (store.Pulse, bool) {
	if p, ok := c.Pulse(id); ok {
		return p, true
	}
	m, err := r.PulsesByID(ctx, []uuid.UUID{id})
	p, ok := m[id]
	if err != nil || !ok {
		return store.Pulse{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	put(&c.pulses, c.size, id, p)
	return p, true
}

func (c *Shared) response(ctx context.Context, r Reader, id uuid.UUID) {
	if _, ok := c.Response(id); ok {
		return
	}
	m, err := r.ResponsesByID(ctx, []uuid.UUID{id})
	if rs, ok := m[id]; err == nil && ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		put(&c.responses, c.size, id, rs)
	}
}

// prefetch loads what a page of events points to (pulses, responses) and
// the cache lacks, in one query per kind, so that working out the page's
// audiences and resolving its fields cost no query per event. A closed
// pulse is left to audience, which reloads it anyway.
func (c *Shared) prefetch(ctx context.Context, r Reader, evs []event.Envelope) {
	var pulses, responses []uuid.UUID
	c.mu.Lock()
	for _, e := range evs {
		switch p := e.Payload.(type) {
		case event.LearningPulseResponded:
			if _, ok := lookup(c.pulses, p.PulseID); !ok && !slices.Contains(pulses, p.PulseID) {
				pulses = append(pulses, p.PulseID)
			}
			if _, ok := lookup(c.responses, p.ResponseID); !ok {
				responses = append(responses, p.ResponseID)
			}
		case event.LearningPulseCreated:
			if _, ok := lookup(c.pulses, p.PulseID); !ok && !slices.Contains(pulses, p.PulseID) {
				pulses = append(pulses, p.PulseID)
			}
		}
	}
	c.mu.Unlock()
	if len(pulses) > 0 {
		if m, err := r.PulsesByID(ctx, pulses); err == nil {
			c.mu.Lock()
			for id, p := range m {
				put(&c.pulses, c.size, id, p)
			}
			c.mu.Unlock()
		}
	}
	if len(responses) > 0 {
		if m, err := r.ResponsesByID(ctx, responses); err == nil {
			c.mu.Lock()
			for id, rs := range m {
				put(&c.responses, c.size, id, rs)
			}
			c.mu.Unlock()
		}
	}
}

func lookup[V any](gens [2]map[uuid.UUID]V, id uuid.UUID) (V, bool) {
	if v, ok := gens[0][id]; ok {
		return v, true
	}
	v, ok := gens[1][id]
	return v, ok
}

func put[V any](gens *[2]map[uuid.UUID]V, size int, id uuid.UUID, v V) {
	if len(gens[0]) >= size {
		gens[1], gens[0] = gens[0], map[uuid.UUID]V{}
	}
	gens[0][id] = v
}
