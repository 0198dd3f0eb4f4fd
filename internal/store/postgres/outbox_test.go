package postgres_test

import (
	"context"
	"math/rand/v2"
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

// A standby waiting for the outbox must not hold a snapshot all along: its
// xmin would keep every row the leader deletes (acknowledged entries, old
// versions of relay_state) from being removed, and the leader's claims
// would wade through all of them.
func TestOutboxStandbyDoesNotHoldBackVacuum(t *testing.T) {
	t.Parallel()
	url := testpg.Database(t, postgres.Migrate)
	ctx := context.Background()
	a, err := postgres.Open(ctx, url, postgres.Options{})
	require.NoError(t, err)
	defer a.Close()
	b, err := postgres.Open(ctx, url, postgres.Options{})
	require.NoError(t, err)
	defer b.Close()

	leader, err := a.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer leader.Release()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan store.Outbox, 1)
	go func() {
		ob, err := b.AcquireOutbox(wctx)
		if err == nil {
			got <- ob
		}
	}()
	standbyXmin := func() (xmin uint64, waiting bool) {
		err := a.Pool().QueryRow(ctx, `
			SELECT coalesce(backend_xmin::text::bigint, 0), true FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`).
			Scan(&xmin, &waiting)
		if err != nil {
			return 0, false
		}
		return xmin, true
	}
	require.Eventually(t, func() bool { _, w := standbyXmin(); return w }, 10*time.Second, 10*time.Millisecond)

	// A transaction commits after the standby started waiting; then the
	// xmin of a snapshot taken now is past it, unless an older transaction
	// still runs somewhere on the server (then this proves nothing, but
	// cannot fail either: snapshot xmins never go backwards).
	_, err = a.Pool().Exec(ctx, `SELECT pg_current_xact_id()`)
	require.NoError(t, err)
	var now uint64
	// backend_xmin is an xid: 32 bits, no epoch.
	require.NoError(t, a.Pool().QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296`).Scan(&now))
	require.Eventually(t, func() bool {
		xmin, waiting := standbyXmin()
		return waiting && xmin >= now
	}, 10*time.Second, 50*time.Millisecond, "the waiting standby holds on to an old snapshot")

	select {
	case <-got:
		t.Fatal("the standby got the outbox while the leader held it")
	default:
	}
	leader.Release()
	select {
	case ob := <-got:
		ob.Release()
	case <-time.After(10 * time.Second):
		t.Fatal("the standby did not take over")
	}
}

// The holder keeps relay_state's counters in memory between claims. Under
// any mix of claims, claims ahead and acknowledgements (in order, out of
// order, partial, repeated), what it believes must be what the table
// holds, and what it hands out must stay contiguous and complete.
func TestOutboxKnownStateMatchesTable(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()

	rng := rand.New(rand.NewPCG(1, 2))
	var (
		committed = map[uuid.UUID]bool{}
		acked     = map[uuid.UUID]bool{}
		positions = map[uuid.UUID]int64{}
		inFlight  []store.OutboxEntry // handed out, not acknowledged
	)
	check := func(step int) {
		last, floor, known := postgres.OutboxState(ob)
		if !known {
			return
		}
		var dbLast, dbFloor int64
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT last_position, claim_floor FROM relay_state`).Scan(&dbLast, &dbFloor))
		require.Equal(t, dbLast, last, "step %d: last_position", step)
		require.Equal(t, dbFloor, floor, "step %d: claim_floor", step)
	}
	take := func(entries []store.OutboxEntry) {
		for _, e := range entries {
			if p, ok := positions[e.EventID]; ok {
				require.Equal(t, p, e.Position, "an entry offered again keeps its position")
			} else {
				require.EqualValues(t, len(positions)+1, e.Position, "positions are contiguous")
				positions[e.EventID] = e.Position
			}
		}
	}
	for step := range 300 {
		switch op := rng.IntN(10); {
		case op < 3:
			ev := storetest.Lesson(uuid.New())
			_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
				return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
			})
			require.NoError(t, err)
			committed[ev.ID] = true
		case op < 5:
			entries, err := ob.Claim(ctx, 1+rng.IntN(4))
			require.NoError(t, err)
			take(entries)
			inFlight = entries
		case op < 7 && len(inFlight) > 0:
			entries, err := ob.ClaimAfter(ctx, inFlight[len(inFlight)-1].Position, 1+rng.IntN(4))
			require.NoError(t, err)
			take(entries)
			inFlight = append(inFlight, entries...)
		case len(inFlight) > 0:
			// A prefix (as the relay acknowledges), or any subset.
			k := 1 + rng.IntN(len(inFlight))
			var ids []uuid.UUID
			if rng.IntN(2) == 0 {
				for _, e := range inFlight[:k] {
					ids = append(ids, e.EventID)
				}
				inFlight = inFlight[k:]
			} else {
				var rest []store.OutboxEntry
				for _, e := range inFlight {
					if rng.IntN(2) == 0 {
						ids = append(ids, e.EventID)
					} else {
						rest = append(rest, e)
					}
				}
				inFlight = rest
			}
			require.NoError(t, ob.Ack(ctx, ids))
			for _, id := range ids {
				acked[id] = true
			}
		}
		check(step)
	}
	// Drain: everything committed is handed out, once acknowledged gone.
	for {
		entries, err := ob.Claim(ctx, 16)
		require.NoError(t, err)
		if len(entries) == 0 {
			break
		}
		take(entries)
		ids := make([]uuid.UUID, len(entries))
		for i, e := range entries {
			ids[i] = e.EventID
			acked[e.EventID] = true
		}
		require.NoError(t, ob.Ack(ctx, ids))
		check(-1)
	}
	for id := range committed {
		require.True(t, acked[id], "every committed entry is handed out and acknowledged")
	}
	n, _, err := ob.Pending(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

// Pending moves up the transaction id below which the outbox's scans do not
// look. A transaction that took its id before, and appends and commits
// only after, acknowledged entries and Pending calls, is still claimed.
func TestOutboxBoundNeverPassesRunningTransaction(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	commit := func() event.Envelope {
		ev := storetest.Lesson(uuid.New())
		_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
		})
		require.NoError(t, err)
		return ev
	}
	p := store.Pulse{ID: uuid.New(), TeacherID: uuid.New(), Title: "lock me", CreatedAt: time.Now()}
	_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return store.Outcome{}, tx.InsertPulse(ctx, p)
	})
	require.NoError(t, err)

	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()
	drainAll := func() []store.OutboxEntry {
		var all []store.OutboxEntry
		for {
			entries, err := ob.Claim(ctx, 10)
			require.NoError(t, err)
			if len(entries) == 0 {
				return all
			}
			ids := make([]uuid.UUID, len(entries))
			for i, e := range entries {
				ids[i] = e.EventID
			}
			require.NoError(t, ob.Ack(ctx, ids))
			all = append(all, entries...)
		}
	}
	commit()
	drainAll()
	_, _, err = ob.Pending(ctx)
	require.NoError(t, err)

	late := storetest.Lesson(uuid.New())
	started, release := make(chan struct{}), make(chan struct{})
	lateDone := storetest.HoldOpen(s, &late, &p.ID, started, release)
	<-started // it has its transaction id, and no outbox entry yet
	for range 3 {
		commit()
		require.Len(t, drainAll(), 1)
		n, _, err := ob.Pending(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	}
	close(release)
	require.NoError(t, <-lateDone)

	got := drainAll()
	require.Len(t, got, 1, "the late transaction's entry, below every entry acknowledged meanwhile in transaction order")
	require.Equal(t, late.ID, got[0].EventID)
	require.EqualValues(t, 5, got[0].Position)
}
