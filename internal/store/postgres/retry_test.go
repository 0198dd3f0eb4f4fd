package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func newPulse(t *testing.T, s store.Store) uuid.UUID {
	t.Helper()
	teacher := uuid.New()
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: time.Now()}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
	_, _, err := s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(t, err)
	return p.ID
}

func lockedAppend(ctx context.Context, tx store.Tx, id uuid.UUID) error {
	_, version, err := tx.LockPulse(ctx, id)
	if err != nil {
		return err
	}
	ev := event.New(event.LearningPulseClosed{PulseID: id, TeacherID: uuid.New()}, event.Meta{}, time.Now())
	return tx.Append(ctx, version, &ev)
}

// Two units of work that lock two pulses in opposite orders deadlock;
// PostgreSQL aborts one with 40P01. That is the database's doing, not a
// domain conflict: the aborted one runs again and both succeed.
func TestDeadlockIsRetried(t *testing.T) {
	t.Parallel()
	s := open(t)
	a, b := newPulse(t, s), newPulse(t, s)

	var attempts atomic.Int32
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	crossed := func(first, second uuid.UUID) error {
		var once sync.Once
		_, _, err := s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			attempts.Add(1)
			if _, _, err := tx.LockPulse(ctx, first); err != nil {
				return store.Outcome{}, err
			}
			once.Do(func() { // only the first attempt waits for the other
				bothLocked.Done()
				bothLocked.Wait()
			})
			if err := lockedAppend(ctx, tx, second); err != nil {
				return store.Outcome{}, err
			}
			return store.Outcome{}, nil
		})
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- crossed(a, b) }()
	go func() { errs <- crossed(b, a) }()
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	require.EqualValues(t, 3, attempts.Load(), "one of the two ran twice")

	for _, id := range []uuid.UUID{a, b} {
		evs, err := s.AggregateEvents(context.Background(), event.AggregatePulse, id, 0, 10)
		require.NoError(t, err)
		require.Len(t, evs, 2, "created, then exactly one append")
	}
}

// A session killed in the middle of a unit of work (a restart, a failover,
// an operator's pg_terminate_backend) has committed nothing: the work runs
// again on a fresh connection, and its event is stored once.
func TestConnectionKilledMidTransactionIsRetried(t *testing.T) {
	t.Parallel()
	url := testpg.Database(t, postgres.Migrate)
	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	admin, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })

	id := newPulse(t, s)
	var pids []uint32
	postgres.OnWriteAttempt(s, func(pid uint32) { pids = append(pids, pid) })
	ev := event.New(event.LearningPulseClosed{PulseID: id, TeacherID: uuid.New()}, event.Meta{}, time.Now())
	attempts := 0
	_, _, err = s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		attempts++
		_, version, err := tx.LockPulse(ctx, id) // the transaction is open now
		if err != nil {
			return store.Outcome{}, err
		}
		if attempts == 1 {
			var ok bool
			require.NoError(t, admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pids[0]).Scan(&ok))
			require.True(t, ok)
		}
		return store.Outcome{}, tx.Append(ctx, version, &ev)
	})
	require.NoError(t, err)
	require.Equal(t, 2, attempts)
	require.Len(t, pids, 2)
	require.NotEqual(t, pids[0], pids[1], "the second attempt ran on another connection")

	evs, err := s.AggregateEvents(context.Background(), event.AggregatePulse, id, 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, ev.ID, evs[1].ID)
}

// Retries are bounded: a failure that keeps coming back ends as
// ErrUnavailable, never as a domain conflict.
func TestTransientFailureThatPersistsIsUnavailable(t *testing.T) {
	t.Parallel()
	s := open(t)
	postgres.SetWriteRetries(s, 3)
	attempts := 0
	_, _, err := s.Write(context.Background(), nil, func(context.Context, store.Tx) (store.Outcome, error) {
		attempts++
		return store.Outcome{}, &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	})
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.NotErrorIs(t, err, store.ErrConflict)
	require.Equal(t, 3, attempts)

	// A domain error is not retried.
	attempts = 0
	_, _, err = s.Write(context.Background(), nil, func(context.Context, store.Tx) (store.Outcome, error) {
		attempts++
		return store.Outcome{}, store.ErrConflict
	})
	require.ErrorIs(t, err, store.ErrConflict)
	require.Equal(t, 1, attempts)
}
