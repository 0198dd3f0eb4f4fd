package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

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

// testAggregateIsTypeAndID: a quiz submitted with a pulse's id is a quiz
// aggregate of its own. The pulse's history, version and lock do not see
// it, before or after the pulse is closed.
func testAggregateIsTypeAndID(t *testing.T, s store.Store) {
	teacher, student := uuid.New(), uuid.New()
	p, created := createPulse(t, s, teacher, epoch)

	q1, q2 := quizOn(p.ID, student), quizOn(p.ID, student)
	require.NoError(t, appendOne(t, s, store.ExpectAny, &q1))
	require.NoError(t, appendOne(t, s, store.ExpectAny, &q2))
	require.EqualValues(t, 1, q1.Version, "the quiz aggregate starts at 1, not after the pulse")
	require.EqualValues(t, 2, q2.Version)

	responded, err := Respond(ctx(t), s, p.ID, uuid.New())
	require.NoError(t, err)
	require.EqualValues(t, 2, responded.Version, "the pulse's version did not move")
	closed, err := closePulse(ctx(t), s, p.ID, teacher)
	require.NoError(t, err)
	require.EqualValues(t, 3, closed.Version)

	q3 := quizOn(p.ID, student)
	require.NoError(t, appendOne(t, s, store.ExpectAny, &q3))
	require.EqualValues(t, 3, q3.Version)

	require.Equal(t, []event.Envelope{created, responded, closed}, aggregateEvents(t, s, event.AggregatePulse, p.ID))
	require.Equal(t, []event.Envelope{q1, q2, q3}, aggregateEvents(t, s, event.AggregateQuiz, p.ID))
	types, err := s.AggregateTypes(ctx(t), p.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []event.AggregateType{event.AggregatePulse, event.AggregateQuiz}, types)

	// An exact expectation is checked against this type's aggregate: the
	// pulse's version says nothing about a lesson with the same id.
	lesson := event.New(event.LessonPublished{LessonID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epoch)
	require.ErrorIs(t, appendOne(t, s, closed.Version, &lesson), store.ErrConflict)
	require.Empty(t, aggregateEvents(t, s, event.AggregateLesson, p.ID))
	_, err = s.Event(ctx(t), lesson.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testPaymentAfterQuizOnItsID: a quiz submitted with a payment's id before
// the payment is recorded does not take the id: the payment is recorded
// once, as new, and only a second recording conflicts.
func testPaymentAfterQuizOnItsID(t *testing.T, s store.Store) {
	paymentID, payer := uuid.New(), uuid.New()
	quiz := quizOn(paymentID, uuid.New())
	require.NoError(t, appendOne(t, s, store.ExpectAny, &quiz))

	pay := func() (event.Envelope, error) {
		ev := event.New(event.PaymentProcessed{PaymentID: paymentID, OrderTotalCents: 1999, PayerID: payer},
			event.Meta{ActorID: payer}, epoch)
		return ev, appendOne(t, s, store.ExpectNew, &ev)
	}
	first, err := pay()
	require.NoError(t, err)
	require.EqualValues(t, 1, first.Version)
	_, err = pay()
	require.ErrorIs(t, err, store.ErrConflict, "the payment itself is recorded once")

	require.Equal(t, []event.Envelope{first}, aggregateEvents(t, s, event.AggregatePayment, paymentID))
	require.Equal(t, []event.Envelope{quiz}, aggregateEvents(t, s, event.AggregateQuiz, paymentID))
}

// testAppendRefusesForeignEvents: whoever builds the envelopes, an event
// cannot be filed under an aggregate that is not its payload's, nor
// slipped into another aggregate's Append; nothing of such a unit of work
// is written.
func testAppendRefusesForeignEvents(t *testing.T, s store.Store) {
	teacher, student := uuid.New(), uuid.New()
	p, created := createPulse(t, s, teacher, epoch)

	forged := quizOn(p.ID, student)
	forged.AggregateType = event.AggregatePulse
	require.Error(t, appendOne(t, s, store.ExpectAny, &forged))

	closed := event.New(event.LearningPulseClosed{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epoch)
	quiz := quizOn(p.ID, student)
	_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.Append(ctx, store.ExpectAny, &closed, &quiz)
	})
	require.Error(t, err)

	for _, id := range []uuid.UUID{forged.ID, closed.ID, quiz.ID} {
		_, err := s.Event(ctx(t), id)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	require.Equal(t, []event.Envelope{created}, aggregateEvents(t, s, event.AggregatePulse, p.ID))
	require.Empty(t, aggregateEvents(t, s, event.AggregateQuiz, p.ID))
}

// testOutboxTellsAggregatesApart: outbox entries carry the aggregate's
// type, so that the relay orders each (type, id) on its own.
func testOutboxTellsAggregatesApart(t *testing.T, s store.Store) {
	p, created := createPulse(t, s, uuid.New(), epoch)
	quiz := quizOn(p.ID, uuid.New())
	require.NoError(t, appendOne(t, s, store.ExpectAny, &quiz))

	got := map[uuid.UUID]store.OutboxEntry{}
	for _, e := range drain(t, s) {
		got[e.EventID] = e
	}
	require.Len(t, got, 2)
	for _, ev := range []event.Envelope{created, quiz} {
		e := got[ev.ID]
		require.Equal(t, ev.AggregateType, e.AggregateType)
		require.Equal(t, p.ID, e.AggregateID)
		require.EqualValues(t, 1, e.Version)
	}
}
