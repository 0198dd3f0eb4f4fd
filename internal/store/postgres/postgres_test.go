package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/storetest"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testpg.M(m)) }

func open(t *testing.T) *postgres.Store {
	t.Helper()
	url := testpg.Database(t, postgres.Migrate)
	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	url := testpg.Database(t, postgres.Migrate)
	for range 2 {
		require.NoError(t, postgres.Migrate(context.Background(), url))
	}
}

// A transaction takes its id early, then appends to an aggregate after a
// younger transaction did: xid order is the reverse of version order. The
// tail must still hand the aggregate's events out in version order.
func TestOutboxRestoresVersionOrder(t *testing.T) {
	t.Parallel()
	t.Run("whole batch", func(t *testing.T) { outboxRestoresVersionOrder(t, 10) })
	// The first row in xid order is version 2: a claim of one takes
	// version 1 along instead of holding version 2 back (which, when every
	// row of a batch waits for a row further on, stalls the tail for good).
	t.Run("batch of one", func(t *testing.T) { outboxRestoresVersionOrder(t, 1) })
}

func outboxRestoresVersionOrder(t *testing.T, limit int) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()

	teacher := uuid.New()
	other := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "lock me", CreatedAt: time.Now()}
	created := event.New(event.LearningPulseCreated{PulseID: other.ID, TeacherID: teacher}, event.Meta{}, time.Now())
	_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		require.NoError(t, tx.InsertPulse(ctx, other))
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &created)
	})
	require.NoError(t, err)
	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()
	pre := storetest.Claim(t, ob, 10, 1)
	require.NoError(t, ob.Ack(ctx, []uuid.UUID{pre[0].EventID}))

	agg := uuid.New()
	older := storetest.Lesson(agg)
	started, release := make(chan struct{}), make(chan struct{})
	olderDone := storetest.HoldOpen(s, &older, &other.ID, started, release)
	<-started // the older transaction has its id

	younger := storetest.Lesson(agg)
	_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.Append(ctx, store.ExpectAny, &younger)
	})
	require.NoError(t, err)
	close(release)
	require.NoError(t, <-olderDone)
	require.EqualValues(t, 1, younger.Version)
	require.EqualValues(t, 2, older.Version, "the older transaction appended second")

	entries := storetest.Claim(t, ob, limit, 1)
	require.Len(t, entries, 2, "one claim takes both")
	require.Equal(t, younger.ID, entries[0].EventID, "version 1 first, although its transaction id is higher")
	require.Equal(t, older.ID, entries[1].EventID)
	require.Less(t, entries[0].Position, entries[1].Position)
}

// Two processes: the second relay waits until the first lets go, then
// carries on from the same place.
func TestOutboxHandOver(t *testing.T) {
	t.Parallel()
	url := testpg.Database(t, postgres.Migrate)
	ctx := context.Background()
	a, err := postgres.Open(ctx, url, postgres.Options{})
	require.NoError(t, err)
	defer a.Close()
	b, err := postgres.Open(ctx, url, postgres.Options{})
	require.NoError(t, err)
	defer b.Close()

	for range 3 {
		ev := storetest.Lesson(uuid.New())
		_, _, err := a.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
		})
		require.NoError(t, err)
	}
	leader, err := a.AcquireOutbox(ctx)
	require.NoError(t, err)
	claimed := storetest.Claim(t, leader, 2, 2)
	require.Len(t, claimed, 2)
	require.NoError(t, leader.Ack(ctx, []uuid.UUID{claimed[0].EventID}))

	got := make(chan store.Outbox, 1)
	go func() {
		ob, err := b.AcquireOutbox(ctx)
		if err == nil {
			got <- ob
		}
	}()
	select {
	case <-got:
		t.Fatal("two relays held the outbox at once")
	case <-time.After(300 * time.Millisecond):
	}
	leader.Release() // as if the process died: the lock goes with the connection
	standby := <-got
	defer standby.Release()
	rest := storetest.Claim(t, standby, 10, 2)
	require.Len(t, rest, 2)
	require.Equal(t, claimed[1], rest[0], "the unacknowledged claim is offered again, same position")
	require.EqualValues(t, 3, rest[1].Position)
}
