// Package storetest is the one conformance suite every store backend runs:
// the behaviour the rest of the service relies on, written once.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) store.Store

// Option adapts the suite to what a backend is by design.
type Option func(*config)

type config struct {
	// oneWriter is why the backend runs one unit of work at a time, or "".
	oneWriter string
}

// OneWriter declares that the backend runs one unit of work at a time, for
// the reason given: the cases about concurrent transactions that commit in
// another order than they started are skipped with that reason.
func OneWriter(reason string) Option { return func(c *config) { c.oneWriter = reason } }

// testBundle is what one case gets: a fresh store of its own and what the
// backend declared.
type testBundle struct {
	store store.Store
	cfg   config
}

// method is one method of the store port and the cases that exercise it.
type method struct {
	name  string
	cases []testCase
}

type testCase struct {
	name string
	run  func(t *testing.T, b *testBundle)
}

// methods lists every method of store.Store, store.Tx and store.Outbox
// with its cases; TestEveryMethodIsExercised keeps the list complete.
var methods = []method{
	{"Write", writeCases},
	{"Tx.InsertPulse", insertPulseCases},
	{"Tx.LockPulse", lockPulseCases},
	{"Tx.ClosePulse", closePulseCases},
	{"Tx.InsertResponse", insertResponseCases},
	{"Tx.EraseActor", eraseActorCases},
	{"Tx.Append", appendCases},
	{"Pulse", pulseCases},
	{"PulsesByID", pulsesByIDCases},
	{"ListPulses", listPulsesCases},
	{"ListResponses", listResponsesCases},
	{"ResponsesByID", responsesByIDCases},
	{"Event", eventCases},
	{"EventsByID", eventsByIDCases},
	{"AggregateEvents", aggregateEventsCases},
	{"AggregateTypes", aggregateTypesCases},
	{"EventsAfter", eventsAfterCases},
	{"LastPosition", lastPositionCases},
	{"AcquireOutbox", acquireOutboxCases},
	{"Outbox.Claim", claimCases},
	{"Outbox.ClaimAfter", claimAfterCases},
	{"Outbox.Ack", ackCases},
	{"Outbox.Pending", pendingCases},
	{"Outbox.Release", releaseCases},
	{"PulseStates", pulseStatesCases},
	{"Ping", pingCases},
	{"Close", closeCases},
}

// Run exercises a backend: one sub-test per method of the store port, and
// in it one per case. Every case gets its own store from open and runs in
// parallel with the others.
func Run(t *testing.T, open Opener, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{store: open(t), cfg: cfg}
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range m.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, setup(t))
				})
			}
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// createPulse writes a pulse and its LearningPulseCreated event, as the
// createPulse use case does.
func createPulse(t *testing.T, s store.Store, teacher uuid.UUID, createdAt time.Time) (store.Pulse, event.Envelope) {
	t.Helper()
	desc := "Rate today's lesson"
	due := createdAt.Add(time.Hour)
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "Check-in é", Description: &desc, DueDate: &due, CreatedAt: createdAt}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, createdAt)
	_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{ResourceID: p.ID, EventIDs: []uuid.UUID{ev.ID}}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(t, err)
	require.EqualValues(t, 1, ev.Version)
	return p, ev
}

// Respond answers a pulse the way the respondToPulse use case does: lock
// the pulse, refuse when closed, insert, append after the version read
// under the lock.
func Respond(ctx context.Context, s store.Store, pulseID, student uuid.UUID) (event.Envelope, error) {
	ev := event.New(event.LearningPulseResponded{PulseID: pulseID, StudentID: student, ResponseID: uuid.New()},
		event.Meta{ActorID: student}, time.Now())
	_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		p, version, err := tx.LockPulse(ctx, pulseID)
		if err != nil {
			return store.Outcome{}, err
		}
		if p.ClosedAt != nil {
			return store.Outcome{}, store.ErrConflict
		}
		if err := tx.Append(ctx, version, &ev); err != nil {
			return store.Outcome{}, err
		}
		conf := 3
		r := store.Response{ID: ev.Payload.(event.LearningPulseResponded).ResponseID, PulseID: pulseID,
			StudentID: student, Answer: "42", Confidence: &conf, CreatedAt: ev.OccurredAt, Seq: ev.Version}
		return store.Outcome{ResourceID: r.ID, EventIDs: []uuid.UUID{ev.ID}}, tx.InsertResponse(ctx, r)
	})
	return ev, err
}

func closePulse(ctx context.Context, s store.Store, pulseID, teacher uuid.UUID) (event.Envelope, error) {
	ev := event.New(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
	_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		p, version, err := tx.LockPulse(ctx, pulseID)
		if err != nil {
			return store.Outcome{}, err
		}
		if p.ClosedAt != nil {
			return store.Outcome{}, store.ErrConflict
		}
		if err := tx.ClosePulse(ctx, pulseID, ev.OccurredAt); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{ResourceID: pulseID, EventIDs: []uuid.UUID{ev.ID}}, tx.Append(ctx, version, &ev)
	})
	return ev, err
}

// Claim claims until at least want entries come back (or 30 s pass), for
// callers that commit from other goroutines.
func Claim(t *testing.T, ob store.Outbox, limit, want int) []store.OutboxEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		entries, err := ob.Claim(ctx(t), limit)
		require.NoError(t, err)
		if len(entries) >= want || time.Now().After(deadline) {
			return entries
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drain claims and acknowledges everything the outbox holds.
func drain(t *testing.T, s store.Store) []store.OutboxEntry {
	t.Helper()
	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	var all []store.OutboxEntry
	for {
		pending, _, err := ob.Pending(ctx(t))
		require.NoError(t, err)
		if pending == 0 {
			return all
		}
		batch := Claim(t, ob, 100, 1)
		require.NotEmpty(t, batch, "%d entries pending but none claimable", pending)
		ids := make([]uuid.UUID, len(batch))
		for i, e := range batch {
			ids[i] = e.EventID
		}
		require.NoError(t, ob.Ack(ctx(t), ids))
		all = append(all, batch...)
	}
}

// HoldOpen starts a unit of work that appends ev and then waits,
// uncommitted, until release is closed. started is closed once its writes
// exist in the database. With lockFirst set, the unit of work first locks
// that pulse (on PostgreSQL this takes its transaction id then) and waits
// for release before appending.
func HoldOpen(s store.Store, ev *event.Envelope, lockFirst *uuid.UUID, started chan<- struct{}, release <-chan struct{}) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			if lockFirst != nil {
				if _, _, err := tx.LockPulse(ctx, *lockFirst); err != nil {
					return store.Outcome{}, err
				}
				close(started)
				<-release
			}
			if err := tx.Append(ctx, store.ExpectAny, ev); err != nil {
				return store.Outcome{}, err
			}
			if lockFirst == nil {
				// A backend may send the append lazily: a read that must
				// answer makes sure it reached the database.
				if _, _, err := tx.LockPulse(ctx, ev.AggregateID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return store.Outcome{}, err
				}
				close(started)
				<-release
			}
			return store.Outcome{}, nil
		})
		done <- err
	}()
	return done
}

// Lesson is a LessonPublished event on aggregate id.
func Lesson(id uuid.UUID) event.Envelope {
	return event.New(event.LessonPublished{LessonID: id, TeacherID: uuid.New()}, event.Meta{}, time.Now())
}

// appendOne appends ev alone in its own unit of work.
func appendOne(t *testing.T, s store.Store, expected int64, ev *event.Envelope) error {
	t.Helper()
	_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{EventIDs: []uuid.UUID{ev.ID}}, tx.Append(ctx, expected, ev)
	})
	return err
}

func quizOn(id, student uuid.UUID) event.Envelope {
	return event.New(event.QuizSubmitted{QuizID: id, StudentID: student, ScorePercentage: 50},
		event.Meta{ActorID: student}, epoch)
}

func aggregateEvents(t *testing.T, s store.Store, at event.AggregateType, id uuid.UUID) []event.Envelope {
	t.Helper()
	evs, err := s.AggregateEvents(ctx(t), at, id, 0, 100)
	require.NoError(t, err)
	return evs
}

// claimIDs is the event ids of entries, in order.
func claimIDs(es []store.OutboxEntry) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(es))
	for _, e := range es {
		out = append(out, e.EventID)
	}
	return out
}
