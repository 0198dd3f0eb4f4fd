package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/storetest"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// A unit of work is sent in as few batches as its answers allow, with
// BEGIN and COMMIT riding in them, or none at all when everything goes in
// one batch. Either way a statement failing in the last batch undoes the
// whole unit, and the connection goes back to the pool outside any
// transaction: with a pool of one, every next write still works.
func TestFailedLastBatchUndoesTheUnit(t *testing.T) {
	t.Parallel()
	url := testpg.Database(t, postgres.Migrate)
	s, err := postgres.Open(context.Background(), url+"&pool_max_conns=1", postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ctx := context.Background()

	teacher := uuid.New()
	newPulse := func() (store.Pulse, event.Envelope) {
		p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: time.Now()}
		return p, event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{}, time.Now())
	}
	existing, created := newPulse()
	_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		require.NoError(t, tx.InsertPulse(ctx, existing))
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &created)
	})
	require.NoError(t, err)

	for range 3 {
		// One batch, no transaction block: the pulse row goes in, then the
		// append fails (the aggregate exists).
		p, _ := newPulse()
		clash := event.New(event.LearningPulseCreated{PulseID: existing.ID, TeacherID: teacher}, event.Meta{}, time.Now())
		_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			require.NoError(t, tx.InsertPulse(ctx, p))
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &clash)
		})
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = s.Pulse(ctx, p.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "the pulse of the failed unit is not there")

		// A transaction block (the lock needs an answer first), then the
		// same failure in the last batch.
		p2, _ := newPulse()
		_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			if _, _, err := tx.LockPulse(ctx, existing.ID); err != nil {
				return store.Outcome{}, err
			}
			require.NoError(t, tx.InsertPulse(ctx, p2))
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &clash)
		})
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = s.Pulse(ctx, p2.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	}

	ok, okEv := newPulse()
	_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		require.NoError(t, tx.InsertPulse(ctx, ok))
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &okEv)
	})
	require.NoError(t, err, "the one connection is usable after the failures")
	_, err = s.Pulse(ctx, ok.ID)
	require.NoError(t, err)
}

// The claim floor (below it, every position is acknowledged) moves when the
// oldest claimed entries are acknowledged, and only then: an entry left
// unacknowledged below others is offered again.
func TestClaimFloorFollowsAcks(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	for range 5 {
		ev := storetest.Lesson(uuid.New())
		_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
		})
		require.NoError(t, err)
	}
	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()
	floor := func() (f int64) {
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT claim_floor FROM relay_state`).Scan(&f))
		return f
	}

	batch, err := ob.Claim(ctx, 3)
	require.NoError(t, err)
	require.Len(t, batch, 3)
	require.NoError(t, ob.Ack(ctx, []uuid.UUID{batch[0].EventID, batch[1].EventID}))
	require.EqualValues(t, 2, floor(), "the two oldest are acknowledged")

	rest, err := ob.Claim(ctx, 3)
	require.NoError(t, err)
	require.Len(t, rest, 3)
	require.Equal(t, batch[2].EventID, rest[0].EventID, "the unacknowledged one first")
	require.NoError(t, ob.Ack(ctx, []uuid.UUID{rest[1].EventID, rest[2].EventID}))
	require.EqualValues(t, 2, floor(), "not the oldest: the floor stays")

	again, err := ob.Claim(ctx, 3)
	require.NoError(t, err)
	require.Len(t, again, 1)
	require.Equal(t, batch[2].EventID, again[0].EventID, "still offered")
	require.NoError(t, ob.Ack(ctx, []uuid.UUID{again[0].EventID}))
	require.EqualValues(t, 3, floor())
	// The floor moves over what was acknowledged out of order at the next claim.
	empty, err := ob.Claim(ctx, 3)
	require.NoError(t, err)
	require.Empty(t, empty)
	require.EqualValues(t, 5, floor())
}
