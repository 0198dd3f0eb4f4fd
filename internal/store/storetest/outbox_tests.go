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

var acquireOutboxCases = []testCase{
	{"OneHolder", testOutboxOneHolder},
	{"GivesUpWhenContextEnds", testAcquireOutboxContext},
}

var claimCases = []testCase{
	{"ClaimAndAck", testOutboxClaimAndAck},
	{"CarriesTheWireBody", testClaimCarriesWireBody},
	{"KeepsAggregateOrder", testOutboxKeepsAggregateOrder},
	{"TellsAggregatesApart", testOutboxTellsAggregatesApart},
	{"NeverSkipsLateCommit", testOutboxNeverSkipsLateCommit},
}

var claimAfterCases = []testCase{
	{"LeavesOutInFlight", testOutboxClaimAfterInFlight},
}

var ackCases = []testCase{
	{"RemovesOnlyTheGivenEntries", testAckRemovesGiven},
}

var pendingCases = []testCase{
	{"CountsUnacknowledged", testPendingCounts},
}

var releaseCases = []testCase{
	{"HandsOverWhereItStopped", testReleaseHandsOver},
}

var pingCases = []testCase{
	{"AnswersWhileOpen", testPing},
}

var closeCases = []testCase{
	{"PingFailsAfterClose", testClose},
}

func testClaimCarriesWireBody(t *testing.T, b *testBundle) {
	_, ev := createPulse(t, b.store, uuid.New(), epoch)
	entries := drain(t, b.store)
	require.Len(t, entries, 1)
	body, err := event.Marshal(ev)
	require.NoError(t, err)
	require.Equal(t, string(body), string(entries[0].Body), "the outbox carries the exact wire body")
	require.Equal(t, "edupulse.web_social.learning_pulse_created", entries[0].Subject)
	e := entries[0]
	require.Equal(t, ev.ID, e.EventID)
	require.Equal(t, ev.AggregateID, e.AggregateID)
	require.Equal(t, ev.AggregateType, e.AggregateType)
	require.EqualValues(t, 1, e.Version)
	require.EqualValues(t, 1, e.Position)
}

// testOutboxNeverSkipsLateCommit (property 5): two transactions commit in
// the opposite order of their start, and the tail reads between the two
// commits: it takes the one committed, and the late one when it commits,
// next, skipping neither.
func testOutboxNeverSkipsLateCommit(t *testing.T, b *testBundle) {
	if b.cfg.oneWriter != "" {
		t.Skip("no commit can be late: " + b.cfg.oneWriter)
	}
	s := b.store
	early := Lesson(uuid.New())
	started, release := make(chan struct{}), make(chan struct{})
	earlyDone := HoldOpen(s, &early, nil, started, release)
	<-started

	late := Lesson(uuid.New())
	require.NoError(t, appendOne(t, s, store.ExpectAny, &late), "the younger transaction commits first")

	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	between, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Len(t, between, 1, "what is committed is claimed, without waiting for the older transaction")
	require.Equal(t, late.ID, between[0].EventID)
	require.EqualValues(t, 1, between[0].Position)

	close(release)
	require.NoError(t, <-earlyDone)

	entries, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Len(t, entries, 2, "the unacknowledged one again, then the older transaction's, committed last, not skipped")
	require.Equal(t, late.ID, entries[0].EventID)
	require.Equal(t, early.ID, entries[1].EventID)
	require.EqualValues(t, 2, entries[1].Position, "the next position: no gap")
}

func testAckRemovesGiven(t *testing.T, b *testBundle) {
	s := b.store
	for i := range 3 {
		createPulse(t, s, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
	}
	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	claimed := Claim(t, ob, 10, 3)
	require.NoError(t, ob.Ack(ctx(t), nil), "nothing to acknowledge")
	require.NoError(t, ob.Ack(ctx(t), []uuid.UUID{claimed[1].EventID}))
	rest, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Equal(t, []store.OutboxEntry{claimed[0], claimed[2]}, rest, "the others are offered again, same positions")
	count, _, err := ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 2, count)
}

func testPendingCounts(t *testing.T, b *testBundle) {
	s := b.store
	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	count, oldest, err := ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Zero(t, count)
	require.Zero(t, oldest, "no age without an entry")

	for i := range 4 {
		createPulse(t, s, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
	}
	count, oldest, err = ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 4, count, "committed entries count before any claim")
	require.GreaterOrEqual(t, oldest, time.Duration(0))
	require.Less(t, oldest, time.Hour, "the age is since the commit, not since the event's own time")

	claimed := Claim(t, ob, 2, 2)
	count, _, err = ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 4, count, "claimed but unacknowledged entries still count")
	require.NoError(t, ob.Ack(ctx(t), claimIDs(claimed)))
	count, _, err = ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 2, count)
}

// A new holder carries on where the last one released the outbox: what
// was claimed but not acknowledged is offered again at the same position.
func testReleaseHandsOver(t *testing.T, b *testBundle) {
	s := b.store
	for i := range 3 {
		createPulse(t, s, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
	}
	first, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	claimed := Claim(t, first, 2, 2)
	require.NoError(t, first.Ack(ctx(t), []uuid.UUID{claimed[0].EventID}))
	first.Release()
	first.Release() // a second Release is harmless

	next, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer next.Release()
	rest := Claim(t, next, 10, 2)
	require.Len(t, rest, 2)
	require.Equal(t, claimed[1], rest[0])
	require.EqualValues(t, 3, rest[1].Position)
}

func testAcquireOutboxContext(t *testing.T, b *testBundle) {
	holder, err := b.store.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer holder.Release()
	short, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
	defer cancel()
	_, err = b.store.AcquireOutbox(short)
	require.Error(t, err)
}

func testPing(t *testing.T, b *testBundle) {
	require.NoError(t, b.store.Ping(ctx(t)))
}

func testClose(t *testing.T, b *testBundle) {
	b.store.Close()
	require.Error(t, b.store.Ping(ctx(t)), "a closed store does not answer")
}

func testOutboxClaimAndAck(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	var written []event.Envelope
	for i := range 5 {
		_, ev := createPulse(t, s, teacher, epoch.Add(time.Duration(i)*time.Second))
		written = append(written, ev)
	}
	last, err := s.LastPosition(ctx(t))
	require.NoError(t, err)
	require.Zero(t, last, "no position before the first claim")

	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()

	count, _, err := ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 5, count)

	first := Claim(t, ob, 3, 3)
	require.Len(t, first, 3)
	for i, e := range first {
		require.EqualValues(t, i+1, e.Position, "positions start at 1 and have no gap")
		require.Equal(t, written[i].ID, e.EventID, "in commit order")
	}
	// Not acknowledged: claimed again, same positions, before anything new.
	again := Claim(t, ob, 10, 5)
	require.Len(t, again, 5)
	require.Equal(t, first, again[:3])
	require.EqualValues(t, 4, again[3].Position)
	require.EqualValues(t, 5, again[4].Position)

	require.NoError(t, ob.Ack(ctx(t), []uuid.UUID{again[0].EventID, again[1].EventID}))
	rest, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Equal(t, again[2:], rest)

	last, err = s.LastPosition(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 5, last)

	// Published positions are readable for a resume.
	after, err := s.EventsAfter(ctx(t), 2, 10)
	require.NoError(t, err)
	require.Len(t, after, 3)
	for i, e := range after {
		require.EqualValues(t, i+3, e.Position)
		require.Equal(t, written[i+2].ID, e.ID)
	}
	stored, err := s.Event(ctx(t), written[0].ID)
	require.NoError(t, err)
	require.EqualValues(t, 1, stored.Position)

	ids := []uuid.UUID{}
	for _, e := range rest {
		ids = append(ids, e.EventID)
	}
	require.NoError(t, ob.Ack(ctx(t), ids))
	empty, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Empty(t, empty)
	count, _, err = ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Zero(t, count)
}

// A batch in flight is left out of the next claim (ClaimAfter), so that
// the relay can claim while it publishes; a plain Claim offers every
// unacknowledged entry again, and so does ClaimAfter past the in-flight
// ones.
func testOutboxClaimAfterInFlight(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	var written []uuid.UUID
	for i := range 5 {
		_, ev := createPulse(t, s, teacher, epoch.Add(time.Duration(i)*time.Second))
		written = append(written, ev.ID)
	}
	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	ids := func(es []store.OutboxEntry) (out []uuid.UUID) {
		for _, e := range es {
			out = append(out, e.EventID)
		}
		return out
	}

	inFlight := Claim(t, ob, 3, 3)
	next, err := ob.ClaimAfter(ctx(t), inFlight[2].Position, 3)
	require.NoError(t, err)
	require.Equal(t, written[3:], ids(next), "the batch in flight is left out")
	require.EqualValues(t, 4, next[0].Position, "positions go on with no gap")

	again, err := ob.Claim(ctx(t), 10)
	require.NoError(t, err)
	require.Equal(t, written, ids(again), "a plain claim offers everything unacknowledged")

	require.NoError(t, ob.Ack(ctx(t), ids(inFlight)))
	rest, err := ob.ClaimAfter(ctx(t), inFlight[2].Position, 10)
	require.NoError(t, err)
	require.Equal(t, written[3:], ids(rest), "unacknowledged past the in-flight ones: offered again")
	require.NoError(t, ob.Ack(ctx(t), ids(rest)))
	empty, err := ob.ClaimAfter(ctx(t), rest[1].Position, 10)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testOutboxKeepsAggregateOrder(t *testing.T, b *testBundle) {
	s := b.store
	teacher := uuid.New()
	p, _ := createPulse(t, s, teacher, epoch)
	for range 30 {
		_, err := Respond(ctx(t), s, p.ID, uuid.New())
		require.NoError(t, err)
	}
	entries := drain(t, s)
	require.Len(t, entries, 31)
	for i, e := range entries {
		require.EqualValues(t, i+1, e.Version, "versions leave the outbox in order")
		require.EqualValues(t, i+1, e.Position)
	}
}

func testOutboxOneHolder(t *testing.T, b *testBundle) {
	s := b.store
	first, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	acquired := make(chan store.Outbox, 1)
	go func() {
		ob, err := s.AcquireOutbox(ctx(t))
		if err == nil {
			acquired <- ob
		}
	}()
	select {
	case <-acquired:
		t.Fatal("a second holder got the outbox while the first held it")
	case <-time.After(300 * time.Millisecond):
	}
	first.Release()
	select {
	case ob := <-acquired:
		ob.Release()
	case <-time.After(10 * time.Second):
		t.Fatal("the outbox was not handed over after Release")
	}
}

// testOutboxTellsAggregatesApart: outbox entries carry the aggregate's
// type, so that the relay orders each (type, id) on its own.
func testOutboxTellsAggregatesApart(t *testing.T, b *testBundle) {
	s := b.store
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
