package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

var writeCases = []testCase{
	{"FailedUnitOfWorkLeavesNothing", testFailedUnitOfWorkLeavesNothing},
	{"IdempotentRetry", testIdempotentRetry},
	{"ConcurrentIdempotentRetries", testConcurrentIdempotentRetries},
}

var insertPulseCases = []testCase{
	{"RoundTrip", testInsertPulseRoundTrip},
	{"DuplicateIDConflicts", testInsertPulseDuplicate},
}

var lockPulseCases = []testCase{
	{"ReadsPulseAndVersion", testLockPulseReadsVersion},
	{"NotFound", testLockPulseNotFound},
}

var closePulseCases = []testCase{
	{"RacingResponses", testRespondRacingClose},
	{"NotFound", testClosePulseNotFound},
}

var insertResponseCases = []testCase{
	{"OneResponsePerStudent", testOneResponsePerStudent},
	{"UnknownPulseNotFound", testInsertResponseUnknownPulse},
}

var eraseActorCases = []testCase{
	{"ErasesOnlyTheActorsText", testEraseActor},
}

var appendCases = []testCase{
	{"ExpectedVersion", testExpectedVersion},
	{"ConcurrentAppendsAreContiguous", testConcurrentAppendsAreContiguous},
	{"InvalidEventLeavesNoRow", testInvalidEventLeavesNoRow},
	{"AggregateIsTypeAndID", testAggregateIsTypeAndID},
	{"PaymentAfterQuizOnItsID", testPaymentAfterQuizOnItsID},
	{"RefusesForeignEvents", testAppendRefusesForeignEvents},
}

func testInsertPulseRoundTrip(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch.Add(123*time.Millisecond))
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got, "the row reads back exactly, times in UTC at ms precision")

	bare := store.Pulse{ID: uuid.New(), TeacherID: uuid.New(), Title: "no description, no due date", CreatedAt: epoch}
	_, _, err = s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.InsertPulse(ctx, bare)
	})
	require.NoError(t, err)
	got, err = s.Pulse(ctx(t), bare.ID)
	require.NoError(t, err)
	require.Equal(t, bare, got)
}

func testInsertPulseDuplicate(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.InsertPulse(ctx, store.Pulse{ID: p.ID, TeacherID: uuid.New(), Title: "again", CreatedAt: epoch})
	})
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got, "the first pulse is untouched")
}

// The version LockPulse reads is the pulse aggregate's alone: events of
// another aggregate type on the same id do not move it.
func testLockPulseReadsVersion(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	_, err := Respond(ctx(t), s, p.ID, uuid.New())
	require.NoError(t, err)
	quiz := quizOn(p.ID, uuid.New())
	require.NoError(t, appendOne(t, s, store.ExpectAny, &quiz))

	_, _, err = s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		got, version, err := tx.LockPulse(ctx, p.ID)
		require.NoError(t, err)
		require.EqualValues(t, 2, version, "created and one response")
		require.Equal(t, p.ID, got.ID)
		require.Equal(t, 1, got.ResponseCount)
		return store.Outcome{}, nil
	})
	require.NoError(t, err)
}

func testLockPulseNotFound(t *testing.T, b *testBundle) {
	_, _, err := b.store.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		_, _, err := tx.LockPulse(ctx, uuid.New())
		return store.Outcome{}, err
	})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testClosePulseNotFound(t *testing.T, b *testBundle) {
	_, _, err := b.store.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.ClosePulse(ctx, uuid.New(), epoch)
	})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testInsertResponseUnknownPulse(t *testing.T, b *testBundle) {
	_, err := Respond(ctx(t), b.store, uuid.New(), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound, "through LockPulse")
	_, _, err = b.store.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.InsertResponse(ctx, store.Response{ID: uuid.New(), PulseID: uuid.New(),
			StudentID: uuid.New(), Answer: "a", CreatedAt: epoch, Seq: 2})
	})
	require.ErrorIs(t, err, store.ErrNotFound, "without the lock")
}

var errBoom = errors.New("boom")

func testFailedUnitOfWorkLeavesNothing(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: epoch}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epoch)
	idem := &store.Idempotency{ActorID: teacher, Key: "k1", Fingerprint: "f"}
	_, _, err := s.Write(ctx(t), idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		require.NoError(t, tx.InsertPulse(ctx, p))
		require.NoError(t, tx.Append(ctx, store.ExpectNew, &ev))
		return store.Outcome{}, errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assertNothingWritten(t, s, p.ID, ev.ID)

	// The key was rolled back with the rest: a retry does the work.
	calls := 0
	_, replayed, err := s.Write(ctx(t), idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		calls++
		return store.Outcome{ResourceID: p.ID}, nil
	})
	require.NoError(t, err)
	require.False(t, replayed)
	require.Equal(t, 1, calls)
}

func testInvalidEventLeavesNoRow(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: epoch}
	// A payment with a non-positive total cannot be encoded: the pulse row
	// queued before it must not survive.
	bad := event.New(event.PaymentProcessed{PaymentID: uuid.New(), PayerID: teacher, OrderTotalCents: -5}, event.Meta{}, epoch)
	_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectAny, &bad)
	})
	require.Error(t, err)
	assertNothingWritten(t, s, p.ID, bad.ID)
}

func assertNothingWritten(t *testing.T, s store.Store, pulseID, eventID uuid.UUID) {
	t.Helper()
	_, err := s.Pulse(ctx(t), pulseID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Event(ctx(t), eventID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Empty(t, drain(t, s), "no outbox entry")
}

func testConcurrentAppendsAreContiguous(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	p, _ := createPulse(t, s, teacher, epoch)
	const n = 50
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		versions = make(chan int64, n)
		errs     = make(chan error, n)
	)
	for range n {
		wg.Go(func() {
			<-start
			ev, err := Respond(ctx(t), s, p.ID, uuid.New())
			if err != nil {
				errs <- err
				return
			}
			versions <- ev.Version
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(versions)
	for err := range errs {
		require.NoError(t, err, "no concurrent responder may fail")
	}
	seen := map[int64]bool{}
	for v := range versions {
		require.False(t, seen[v], "version %d assigned twice", v)
		seen[v] = true
	}
	for v := int64(2); v <= n+1; v++ {
		require.True(t, seen[v], "version %d missing: versions must be 2..%d", v, n+1)
	}
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, n, got.ResponseCount)
	evs, err := s.AggregateEvents(ctx(t), event.AggregatePulse, p.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, evs, n+1)
	for i, e := range evs {
		require.EqualValues(t, i+1, e.Version)
	}
}

// testRespondRacingClose: responders race a close. Every responder either
// succeeds before the close (a lower version) or gets ErrConflict; none is
// half-written.
func testRespondRacingClose(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	p, _ := createPulse(t, s, teacher, epoch)
	const n = 20
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		mu        sync.Mutex
		okVers    []int64
		conflicts int
		closeVer  int64
	)
	for i := range n + 1 {
		wg.Go(func() {
			<-start
			if i == n/2 {
				ev, err := closePulse(ctx(t), s, p.ID, teacher)
				assert.NoError(t, err)
				mu.Lock()
				closeVer = ev.Version
				mu.Unlock()
				return
			}
			ev, err := Respond(ctx(t), s, p.ID, uuid.New())
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, store.ErrConflict) {
				conflicts++
				return
			}
			assert.NoError(t, err)
			okVers = append(okVers, ev.Version)
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, n, len(okVers)+conflicts)
	for _, v := range okVers {
		require.Less(t, v, closeVer, "no response is accepted after the close")
	}
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.NotNil(t, got.ClosedAt)
	require.Equal(t, len(okVers), got.ResponseCount, "a refused response left no row")
	evs, err := s.AggregateEvents(ctx(t), event.AggregatePulse, p.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, evs, len(okVers)+2, "created + accepted responses + closed, nothing else")
	require.Equal(t, event.TypeLearningPulseClosed, evs[len(evs)-1].Type())

	_, err = closePulse(ctx(t), s, p.ID, teacher)
	require.ErrorIs(t, err, store.ErrConflict, "a second close conflicts")
}

func testExpectedVersion(t *testing.T, b *testBundle) {
	s := b.store
	lesson := uuid.New()
	teacher := uuid.New()
	appendLesson := func(expected int64) (event.Envelope, error) {
		ev := event.New(event.LessonPublished{LessonID: lesson, TeacherID: teacher}, event.Meta{ActorID: teacher}, epoch)
		_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, expected, &ev)
		})
		return ev, err
	}
	ev, err := appendLesson(store.ExpectNew)
	require.NoError(t, err)
	require.EqualValues(t, 1, ev.Version)
	_, err = appendLesson(store.ExpectNew)
	require.ErrorIs(t, err, store.ErrConflict, "the aggregate exists")
	ev, err = appendLesson(1)
	require.NoError(t, err)
	require.EqualValues(t, 2, ev.Version)
	_, err = appendLesson(1)
	require.ErrorIs(t, err, store.ErrConflict, "version moved to 2")
	ev, err = appendLesson(store.ExpectAny)
	require.NoError(t, err)
	require.EqualValues(t, 3, ev.Version)

	// Several events in one call get consecutive versions.
	first := event.New(event.LessonPublished{LessonID: lesson, TeacherID: teacher}, event.Meta{}, epoch)
	second := event.New(event.LessonPublished{LessonID: lesson, TeacherID: teacher}, event.Meta{}, epoch)
	_, _, err = s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.Append(ctx, 3, &first, &second)
	})
	require.NoError(t, err)
	require.EqualValues(t, 4, first.Version)
	require.EqualValues(t, 5, second.Version)
}

func testOneResponsePerStudent(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	student := uuid.New()
	_, err := Respond(ctx(t), s, p.ID, student)
	require.NoError(t, err)
	second, err := Respond(ctx(t), s, p.ID, student)
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = s.Event(ctx(t), second.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "the refused response's event was rolled back")
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.ResponseCount)
}

func testIdempotentRetry(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	idem := &store.Idempotency{ActorID: teacher, Key: "retry-1", Fingerprint: "createPulse:abc"}
	calls := 0
	create := func() (store.Outcome, bool, error) {
		return s.Write(ctx(t), idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			calls++
			p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: epoch}
			ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epoch)
			if err := tx.InsertPulse(ctx, p); err != nil {
				return store.Outcome{}, err
			}
			return store.Outcome{ResourceID: p.ID, EventIDs: []uuid.UUID{ev.ID}}, tx.Append(ctx, store.ExpectNew, &ev)
		})
	}
	first, replayed, err := create()
	require.NoError(t, err)
	require.False(t, replayed)
	again, replayed, err := create()
	require.NoError(t, err)
	require.True(t, replayed)
	require.Equal(t, first, again, "a retry returns the first outcome")
	require.Equal(t, 1, calls, "and does not run the work again")

	pulses, err := s.ListPulses(ctx(t), store.PulseFilter{TeacherID: &teacher})
	require.NoError(t, err)
	require.Len(t, pulses, 1, "one pulse, not two")
	require.Len(t, drain(t, s), 1, "one event, not two")

	// The same key from another actor is another request.
	other := *idem
	other.ActorID = uuid.New()
	_, replayed, err = s.Write(ctx(t), &other, func(context.Context, store.Tx) (store.Outcome, error) { return store.Outcome{}, nil })
	require.NoError(t, err)
	require.False(t, replayed)

	// The same key for a different request is refused and writes nothing.
	reused := *idem
	reused.Fingerprint = "createPulse:other"
	_, _, err = s.Write(ctx(t), &reused, func(context.Context, store.Tx) (store.Outcome, error) {
		t.Fatal("must not run")
		return store.Outcome{}, nil
	})
	require.ErrorIs(t, err, store.ErrIdempotencyKeyReused)
}

func testConcurrentIdempotentRetries(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	student := uuid.New()
	idem := &store.Idempotency{ActorID: student, Key: "answer-once", Fingerprint: "respond"}
	const n = 10
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		outcomes = map[uuid.UUID]int{}
		fresh    int
	)
	for range n {
		wg.Go(func() {
			<-start
			ev := event.New(event.LearningPulseResponded{PulseID: p.ID, StudentID: student, ResponseID: uuid.New()}, event.Meta{ActorID: student}, epoch)
			out, replayed, err := s.Write(ctx(t), idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
				if _, _, err := tx.LockPulse(ctx, p.ID); err != nil {
					return store.Outcome{}, err
				}
				if err := tx.Append(ctx, store.ExpectAny, &ev); err != nil {
					return store.Outcome{}, err
				}
				r := store.Response{ID: ev.Payload.(event.LearningPulseResponded).ResponseID, PulseID: p.ID, StudentID: student,
					Answer: "a", CreatedAt: epoch, Seq: ev.Version}
				return store.Outcome{ResourceID: r.ID, EventIDs: []uuid.UUID{ev.ID}}, tx.InsertResponse(ctx, r)
			})
			assert.NoError(t, err, "a concurrent retry gets the first outcome, not a conflict")
			mu.Lock()
			defer mu.Unlock()
			outcomes[out.ResourceID]++
			if !replayed {
				fresh++
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, 1, fresh, "exactly one request did the work")
	require.Len(t, outcomes, 1, "all saw the same outcome")
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.ResponseCount)
}

func testEraseActor(t *testing.T, b *testBundle) {
	s := b.store
	teacher, student, other := uuid.New(), uuid.New(), uuid.New()
	p, _ := createPulse(t, s, teacher, epoch)
	_, err := Respond(ctx(t), s, p.ID, student)
	require.NoError(t, err)
	_, err = Respond(ctx(t), s, p.ID, other)
	require.NoError(t, err)
	before, err := s.AggregateEvents(ctx(t), event.AggregatePulse, p.ID, 0, 100)
	require.NoError(t, err)

	erase := func(actor uuid.UUID) int {
		var n int
		_, _, err := s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			var err error
			n, err = tx.EraseActor(ctx, actor)
			return store.Outcome{}, err
		})
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 1, erase(student), "one answer")
	require.Equal(t, 1, erase(teacher), "one pulse")
	require.Equal(t, 0, erase(uuid.New()))

	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, store.ErasedText, got.Title)
	require.Nil(t, got.Description)
	rs, err := s.ListResponses(ctx(t), store.ResponseFilter{PulseID: p.ID})
	require.NoError(t, err)
	require.Len(t, rs, 2, "rows are kept, their text is not")
	for _, r := range rs {
		if r.StudentID == student {
			require.Equal(t, store.ErasedText, r.Answer)
		} else {
			require.Equal(t, "42", r.Answer, "another student's answer is untouched")
		}
	}
	after, err := s.AggregateEvents(ctx(t), event.AggregatePulse, p.ID, 0, 100)
	require.NoError(t, err)
	require.Equal(t, before, after, "history keeps its shape and order")
}

// testAggregateIsTypeAndID: a quiz submitted with a pulse's id is a quiz
// aggregate of its own. The pulse's history, version and lock do not see
// it, before or after the pulse is closed.
func testAggregateIsTypeAndID(t *testing.T, b *testBundle) {
	s := b.store
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
func testPaymentAfterQuizOnItsID(t *testing.T, b *testBundle) {
	s := b.store
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
func testAppendRefusesForeignEvents(t *testing.T, b *testBundle) {
	s := b.store
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
