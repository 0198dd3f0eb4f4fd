package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

const eventFields = `event { id aggregateId version cursor }`

type eventRef struct {
	ID          string `json:"id"`
	AggregateID string `json:"aggregateId"`
	Version     int64  `json:"version"`
	Cursor      string `json:"cursor"`
}

// openPulse is a pulse the writers are still answering.
type openPulse struct {
	id        string
	teacher   actor
	target    int // responses before the teacher closes it
	answered  map[int]bool
	inFlight  int
	closing   bool
	responses int
}

// writers drive the mutations: teachers open pulses, students answer them,
// teachers close them, spread over the instances at a steady rate. Every
// mutation carries an idempotency key and is retried on another instance
// while the server fails, so that "acknowledged" is exact: one answer, one
// event.
type writers struct {
	f        *fleet
	hc       *http.Client
	teachers []actor
	students []actor
	rate     float64
	obs      *observations
	// onCreated is told of every pulse created (the subscribers follow
	// some of them).
	onCreated func(pulseID string, teacher actor, created eventRef)

	mu        sync.Mutex
	rng       *rand.Rand
	open      map[string]*openPulse
	creating  int
	acks      []Ack
	successes []time.Time // completion times of acknowledged mutations
	failures  []failedWrite
	next      int // round robin over instances

	skipped  atomic.Int64 // ticks with every worker busy
	gaveUp   atomic.Int64 // mutations abandoned after their retry budget
	attempts atomic.Int64
}

const (
	maxInFlight = 24
	openPulses  = 4
	retryBudget = 45 * time.Second
)

func newWriters(f *fleet, teachers, students []actor, rate float64, seed uint64, obs *observations) *writers {
	return &writers{
		f: f, teachers: teachers, students: students, rate: rate, obs: obs,
		hc:   &http.Client{Timeout: 10 * time.Second},
		rng:  rand.New(rand.NewPCG(seed, 0x5eed)), //nolint:gosec // a reproducible schedule, not a secret
		open: map[string]*openPulse{},
	}
}

// run writes until ctx ends, then waits for the mutations in flight.
func (w *writers) run(ctx context.Context) {
	opCtx, cancelOps := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelOps()
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / w.rate))
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			w.skipped.Add(1)
			continue
		}
		op := w.pick()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			op(opCtx)
		}()
	}
	// Let the mutations in flight finish (or give up), so that each is
	// either acknowledged or known unacknowledged before reconciling.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(retryBudget + 15*time.Second):
		cancelOps()
		<-done
	}
}

// pick chooses the next mutation from the state of the open pulses.
func (w *writers) pick() func(context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open)+w.creating < openPulses {
		w.creating++
		t := w.teachers[w.rng.IntN(len(w.teachers))]
		return func(ctx context.Context) { w.create(ctx, t) }
	}
	var candidates []*openPulse
	for _, p := range w.open {
		if !p.closing {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		return func(context.Context) {} // every pulse is closing: skip a beat
	}
	p := candidates[w.rng.IntN(len(candidates))]
	if p.responses+p.inFlight >= p.target {
		if p.inFlight > 0 {
			return func(context.Context) {} // close once its answers are in
		}
		p.closing = true
		return func(ctx context.Context) { w.close(ctx, p) }
	}
	s := w.rng.IntN(len(w.students))
	for p.answered[s] {
		s = (s + 1) % len(w.students)
	}
	p.answered[s] = true
	p.inFlight++
	conf := 1 + w.rng.IntN(5)
	return func(ctx context.Context) { w.respond(ctx, p, w.students[s], conf) }
}

func (w *writers) create(ctx context.Context, t actor) {
	key := uuid.NewString()
	var out struct {
		CreatePulse struct {
			Pulse struct{ ID string } `json:"pulse"`
			Event eventRef            `json:"event"`
		} `json:"createPulse"`
	}
	ok := w.do(ctx, "createPulse", t.token,
		`mutation($in: CreatePulseInput!) { createPulse(input: $in) { pulse { id } `+eventFields+` } }`,
		map[string]any{"in": map[string]any{"title": "chaos " + key, "idempotencyKey": key}}, &out,
		func() eventRef { return out.CreatePulse.Event })
	w.mu.Lock()
	w.creating--
	if ok {
		target := 6 + w.rng.IntN(min(15, len(w.students)-6))
		w.open[out.CreatePulse.Pulse.ID] = &openPulse{id: out.CreatePulse.Pulse.ID, teacher: t, target: target, answered: map[int]bool{}}
	}
	w.mu.Unlock()
	if ok && w.onCreated != nil {
		w.onCreated(out.CreatePulse.Pulse.ID, t, out.CreatePulse.Event)
	}
}

func (w *writers) respond(ctx context.Context, p *openPulse, s actor, confidence int) {
	key := uuid.NewString()
	var out struct {
		RespondToPulse struct {
			Event eventRef `json:"event"`
		} `json:"respondToPulse"`
	}
	w.do(ctx, "respondToPulse", s.token,
		`mutation($in: RespondToPulseInput!) { respondToPulse(input: $in) { `+eventFields+` } }`,
		map[string]any{"in": map[string]any{"pulseId": p.id, "answer": "answer " + key, "confidence": confidence, "idempotencyKey": key}}, &out,
		func() eventRef { return out.RespondToPulse.Event })
	w.mu.Lock()
	p.inFlight--
	// Counted even when abandoned (its outcome is unknown), so that the
	// pulse still closes.
	p.responses++
	w.mu.Unlock()
}

func (w *writers) close(ctx context.Context, p *openPulse) {
	key := uuid.NewString()
	var out struct {
		ClosePulse struct {
			Event eventRef `json:"event"`
		} `json:"closePulse"`
	}
	w.do(ctx, "closePulse", p.teacher.token,
		`mutation($in: ClosePulseInput!) { closePulse(input: $in) { `+eventFields+` } }`,
		map[string]any{"in": map[string]any{"pulseId": p.id, "idempotencyKey": key}}, &out,
		func() eventRef { return out.ClosePulse.Event })
	w.mu.Lock()
	delete(w.open, p.id)
	w.mu.Unlock()
}

// do sends one mutation, retrying on the next instance while the failure is
// the server's, for up to retryBudget; it records the acknowledgement.
func (w *writers) do(ctx context.Context, op, token, query string, vars map[string]any, out any, ev func() eventRef) bool {
	deadline := time.Now().Add(retryBudget)
	for {
		i := w.instance()
		w.attempts.Add(1)
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := postGraphQL(rctx, w.hc, w.f.insts[i].url, token, query, vars, out)
		cancel()
		now := time.Now()
		if err == nil {
			e := ev()
			w.mu.Lock()
			w.acks = append(w.acks, Ack{Op: op, EventID: e.ID, Aggregate: e.AggregateID, Version: e.Version, At: now, Instance: i})
			w.successes = append(w.successes, now)
			w.mu.Unlock()
			return true
		}
		var ge *gqlError
		isGQL := errors.As(err, &ge)
		w.mu.Lock()
		w.failures = append(w.failures, failedWrite{At: now, Class: shortClass(ge, isGQL)})
		w.mu.Unlock()
		if !isGQL {
			w.obs.add("%s: %v", op, err)
			return false
		}
		if !ge.retriable() {
			w.obs.add("%s refused on instance %d: %s: %s", op, i+1, ge.class(), ge.Msg)
			w.gaveUp.Add(1)
			return false
		}
		if !ge.Transport {
			// An answer from a live instance that is a failure: what the
			// server fixes are about. Connection refusals from a killed
			// instance are the harness's own doing and not listed.
			w.obs.add("%s failed on instance %d: %s: %s", op, i+1, ge.class(), firstLine(ge.Msg))
		}
		if now.After(deadline) || ctx.Err() != nil {
			w.obs.add("%s abandoned after %s of retries: last error %s", op, retryBudget, ge.class())
			w.gaveUp.Add(1)
			return false
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// instance is the next live instance in turn (any, when none is alive).
func (w *writers) instance() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.f.insts)
	for range n {
		w.next = (w.next + 1) % n
		if w.f.alive(w.next) {
			return w.next
		}
	}
	return w.next
}

func (w *writers) snapshot() (acks []Ack, ok []time.Time, failed []failedWrite) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Ack(nil), w.acks...), append([]time.Time(nil), w.successes...), append([]failedWrite(nil), w.failures...)
}

// failedWrite is one failed attempt (retried unless the budget ran out).
type failedWrite struct {
	At    time.Time
	Class string
}

// shortClass is a failure's kind in a few characters, for the fault table.
func shortClass(ge *gqlError, ok bool) string {
	switch {
	case !ok:
		return "other"
	case ge.Transport:
		return "no answer"
	case ge.Code == "INTERNAL_SERVER_ERROR":
		return "ISE"
	case ge.Code != "":
		return ge.Code
	default:
		return fmt.Sprintf("HTTP %d", ge.Status)
	}
}

func (w *writers) summary() string {
	acks, _, failed := w.snapshot()
	return fmt.Sprintf("%d acknowledged, %d attempts failed (retried), %d abandoned, %d ticks skipped (all %d workers busy)",
		len(acks), len(failed), w.gaveUp.Load(), w.skipped.Load(), maxInFlight)
}
