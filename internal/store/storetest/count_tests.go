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

// respondWith answers like Respond, with the given confidence (nil: none),
// and returns the pulse state the unit of work knew it left, as the
// respondToPulse use case works it out under the pulse's lock.
func respondWith(ctx context.Context, s store.Store, pulseID, student uuid.UUID, confidence *int) (store.PulseState, error) {
	ev := event.New(event.LearningPulseResponded{PulseID: pulseID, StudentID: student, ResponseID: uuid.New()},
		event.Meta{ActorID: student}, time.Now())
	var after store.PulseState
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
		r := store.Response{ID: ev.Payload.(event.LearningPulseResponded).ResponseID, PulseID: pulseID,
			StudentID: student, Answer: "42", Confidence: confidence, CreatedAt: ev.OccurredAt, Seq: ev.Version}
		p.Count(r)
		after = store.PulseState{Pulse: p, Version: ev.Version}
		return store.Outcome{ResourceID: r.ID, EventIDs: []uuid.UUID{ev.ID}}, tx.InsertResponse(ctx, r)
	})
	return after, err
}

func pulseState(t *testing.T, s store.Store, id uuid.UUID) store.PulseState {
	t.Helper()
	m, err := s.PulseStates(ctx(t), []uuid.UUID{id})
	require.NoError(t, err)
	st, ok := m[id]
	require.True(t, ok, "pulse %s has a state", id)
	return st
}

// confidenceOf spreads the students over no confidence and 1 to 5.
func confidenceOf(i int) *int {
	if i%6 == 0 {
		return nil
	}
	c := i % 6
	return &c
}

// testConfidenceCounts: the row counts each response by its confidence,
// reads return the counts, and PulseStates returns the row with its
// aggregate's version.
func testConfidenceCounts(t *testing.T, s store.Store) {
	p, _ := createPulse(t, s, uuid.New(), epoch)
	st := pulseState(t, s, p.ID)
	require.EqualValues(t, 1, st.Version)
	require.Equal(t, [5]int{}, st.Pulse.Confidences)
	require.Equal(t, []int{0, 0, 0, 0, 0}, st.Pulse.ConfidenceCounts())

	var want [5]int
	for i := range 14 {
		c := confidenceOf(i)
		after, err := respondWith(ctx(t), s, p.ID, uuid.New(), c)
		require.NoError(t, err)
		if c != nil {
			want[*c-1]++
		}
		require.Equal(t, want, after.Pulse.Confidences, "what the unit of work knew")
		require.Equal(t, after, pulseState(t, s, p.ID), "what it wrote")
	}
	got, err := s.Pulse(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, 14, got.ResponseCount)
	require.Equal(t, [5]int{3, 2, 2, 2, 2}, got.Confidences)
	many, err := s.PulsesByID(ctx(t), []uuid.UUID{p.ID})
	require.NoError(t, err)
	require.Equal(t, got, many[p.ID])
	page, err := s.ListPulses(ctx(t), store.PulseFilter{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, got, page[0])
	require.EqualValues(t, 15, pulseState(t, s, p.ID).Version)

	none, err := s.PulseStates(ctx(t), []uuid.UUID{uuid.New()})
	require.NoError(t, err)
	require.Empty(t, none)
}

// testConfidenceCountsRacingClose: students answer with every confidence
// while the teacher closes the pulse. The counts are exactly those of the
// accepted answers, whatever the interleaving, and the state each writer
// knew it left is the one the version names.
func testConfidenceCountsRacingClose(t *testing.T, s store.Store) {
	teacher := uuid.New()
	p, _ := createPulse(t, s, teacher, epoch)
	const n = 40
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		mu     sync.Mutex
		want   [5]int
		ok     int
		states = map[int64]store.PulseState{}
	)
	for i := range n + 1 {
		wg.Go(func() {
			<-start
			if i == n*3/4 {
				_, err := closePulse(ctx(t), s, p.ID, teacher)
				assert.NoError(t, err)
				return
			}
			c := confidenceOf(i)
			after, err := respondWith(ctx(t), s, p.ID, uuid.New(), c)
			if errors.Is(err, store.ErrConflict) || !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ok++
			if c != nil {
				want[*c-1]++
			}
			states[after.Version] = after
		})
	}
	close(start)
	wg.Wait()

	final := pulseState(t, s, p.ID)
	require.NotNil(t, final.Pulse.ClosedAt)
	require.Equal(t, ok, final.Pulse.ResponseCount)
	require.Equal(t, want, final.Pulse.Confidences)
	require.EqualValues(t, ok+2, final.Version, "created, the answers, closed")

	// Each writer's state is the row at its version: its counts are those
	// of the answers up to that version.
	rs, err := s.ListResponses(ctx(t), store.ResponseFilter{PulseID: p.ID, Limit: 1000})
	require.NoError(t, err)
	require.Len(t, rs, ok)
	var running [5]int
	for i, r := range rs {
		if r.Confidence != nil {
			running[*r.Confidence-1]++
		}
		st, found := states[r.Seq]
		require.True(t, found, "response %d has its writer's state", r.Seq)
		require.Equal(t, i+1, st.Pulse.ResponseCount)
		require.Equal(t, running, st.Pulse.Confidences)
		require.Nil(t, st.Pulse.ClosedAt)
	}
}
