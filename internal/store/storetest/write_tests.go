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

func testCreatePulseRoundTrip(t *testing.T, s store.Store) {
	teacher := uuid.New()
	at := epoch.Add(123 * time.Millisecond)
	p, ev := createPulse(t, s, teacher, at)

	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got, "the row reads back exactly, times in UTC at ms precision")

	stored, err := s.Event(ctx(t), ev.ID)
	require.NoError(t, err)
	require.Equal(t, ev, stored)

	byID, err := s.EventsByID(ctx(t), []uuid.UUID{ev.ID, uuid.New()})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]event.Envelope{ev.ID: ev}, byID)

	pulses, err := s.PulsesByID(ctx(t), []uuid.UUID{p.ID, uuid.New()})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]store.Pulse{p.ID: p}, pulses)

	entries := drain(t, s)
	require.Len(t, entries, 1)
	body, err := event.Marshal(ev)
	require.NoError(t, err)
	require.Equal(t, string(body), string(entries[0].Body), "the outbox carries the exact wire body")
	require.Equal(t, "edupulse.web_social.learning_pulse_created", entries[0].Subject)
}

var errBoom = errors.New("boom")

func testFailedUnitOfWorkLeavesNothing(t *testing.T, s store.Store) {
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

func testInvalidEventLeavesNoRow(t *testing.T, s store.Store) {
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

func testConcurrentAppendsAreContiguous(t *testing.T, s store.Store) {
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
func testRespondRacingClose(t *testing.T, s store.Store) {
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

func testExpectedVersion(t *testing.T, s store.Store) {
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
	a := event.New(event.LessonPublished{LessonID: lesson, TeacherID: teacher}, event.Meta{}, epoch)
	b := event.New(event.LessonPublished{LessonID: lesson, TeacherID: teacher}, event.Meta{}, epoch)
	_, _, err = s.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.Append(ctx, 3, &a, &b)
	})
	require.NoError(t, err)
	require.EqualValues(t, 4, a.Version)
	require.EqualValues(t, 5, b.Version)
}

func testOneResponsePerStudent(t *testing.T, s store.Store) {
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

func testNotFound(t *testing.T, s store.Store) {
	_, err := s.Pulse(ctx(t), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Event(ctx(t), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = Respond(ctx(t), s, uuid.New(), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
	evs, err := s.AggregateEvents(ctx(t), event.AggregatePulse, uuid.New(), 0, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
}

func testIdempotentRetry(t *testing.T, s store.Store) {
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

func testConcurrentIdempotentRetries(t *testing.T, s store.Store) {
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

func testEraseActor(t *testing.T, s store.Store) {
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
