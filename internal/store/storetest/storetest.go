// Package storetest is the one conformance suite every store backend runs:
// the behaviour the rest of the service relies on, written once.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) store.Store

// Run exercises a backend. Each sub-test gets its own store and runs in
// parallel with the others.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, store.Store){
		"CreatePulseRoundTrip":           testCreatePulseRoundTrip,
		"FailedUnitOfWorkLeavesNothing":  testFailedUnitOfWorkLeavesNothing,
		"InvalidEventLeavesNoRow":        testInvalidEventLeavesNoRow,
		"ConcurrentAppendsAreContiguous": testConcurrentAppendsAreContiguous,
		"RespondRacingClose":             testRespondRacingClose,
		"ExpectedVersion":                testExpectedVersion,
		"OneResponsePerStudent":          testOneResponsePerStudent,
		"NotFound":                       testNotFound,
		"IdempotentRetry":                testIdempotentRetry,
		"ConcurrentIdempotentRetries":    testConcurrentIdempotentRetries,
		"PulsesKeysetPages":              testPulsesKeysetPages,
		"ResponsesKeysetPages":           testResponsesKeysetPages,
		"AggregateEventsInVersionOrder":  testAggregateEventsInVersionOrder,
		"OutboxClaimAndAck":              testOutboxClaimAndAck,
		"OutboxClaimAfterInFlight":       testOutboxClaimAfterInFlight,
		"OutboxKeepsAggregateOrder":      testOutboxKeepsAggregateOrder,
		"OutboxOneHolder":                testOutboxOneHolder,
		"EraseActor":                     testEraseActor,
		"AggregateIsTypeAndID":           testAggregateIsTypeAndID,
		"PaymentAfterQuizOnItsID":        testPaymentAfterQuizOnItsID,
		"AppendRefusesForeignEvents":     testAppendRefusesForeignEvents,
		"OutboxTellsAggregatesApart":     testOutboxTellsAggregatesApart,
		"ConfidenceCounts":               testConfidenceCounts,
		"ConfidenceCountsRacingClose":    testConfidenceCountsRacingClose,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
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
