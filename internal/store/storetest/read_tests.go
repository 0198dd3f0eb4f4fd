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

func testPulsesKeysetPages(t *testing.T, s store.Store) {
	teacher, other := uuid.New(), uuid.New()
	var mine []uuid.UUID
	for i := range 7 {
		// Two pulses share each timestamp: the id breaks the tie.
		at := epoch.Add(time.Duration(i/2) * time.Second)
		p, _ := createPulse(t, s, teacher, at)
		mine = append(mine, p.ID)
		createPulse(t, s, other, at)
	}
	var (
		seen  []store.Pulse
		after *store.PulseKey
	)
	for range 10 {
		page, err := s.ListPulses(ctx(t), store.PulseFilter{TeacherID: &teacher, After: after, Limit: 3})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		seen = append(seen, page...)
		last := page[len(page)-1]
		after = &store.PulseKey{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	require.Len(t, seen, len(mine), "every pulse once, across pages")
	ids := map[uuid.UUID]bool{}
	for i, p := range seen {
		require.Equal(t, teacher, p.TeacherID)
		require.False(t, ids[p.ID], "duplicate across pages")
		ids[p.ID] = true
		if i > 0 {
			prev := seen[i-1]
			newer := prev.CreatedAt.After(p.CreatedAt) ||
				(prev.CreatedAt.Equal(p.CreatedAt) && prev.ID.String() > p.ID.String())
			require.True(t, newer, "newest first, ties by id descending")
		}
	}
	all, err := s.ListPulses(ctx(t), store.PulseFilter{Limit: 100})
	require.NoError(t, err)
	require.Len(t, all, 14)

	// A pulse created while paging does not shift later pages (no offset).
	page1, err := s.ListPulses(ctx(t), store.PulseFilter{TeacherID: &teacher, Limit: 2})
	require.NoError(t, err)
	createPulse(t, s, teacher, epoch.Add(time.Hour))
	last := page1[1]
	page2, err := s.ListPulses(ctx(t), store.PulseFilter{TeacherID: &teacher, Limit: 2,
		After: &store.PulseKey{CreatedAt: last.CreatedAt, ID: last.ID}})
	require.NoError(t, err)
	require.Equal(t, seen[2:4], page2)
}

func testResponsesKeysetPages(t *testing.T, s store.Store) {
	p, _ := createPulse(t, s, uuid.New(), epoch)
	var students []uuid.UUID
	for range 5 {
		st := uuid.New()
		students = append(students, st)
		_, err := Respond(ctx(t), s, p.ID, st)
		require.NoError(t, err)
	}
	var (
		seen  []store.Response
		after int64
	)
	for {
		page, err := s.ListResponses(ctx(t), store.ResponseFilter{PulseID: p.ID, AfterSeq: after, Limit: 2})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		seen = append(seen, page...)
		after = page[len(page)-1].Seq
	}
	require.Len(t, seen, 5)
	for i, r := range seen {
		require.Equal(t, students[i], r.StudentID, "oldest first, in commit order")
		require.Equal(t, "42", r.Answer)
		require.NotNil(t, r.Confidence)
		require.Equal(t, 3, *r.Confidence)
	}
	own, err := s.ListResponses(ctx(t), store.ResponseFilter{PulseID: p.ID, StudentID: &students[3]})
	require.NoError(t, err)
	require.Len(t, own, 1)
	require.Equal(t, students[3], own[0].StudentID)

	byID, err := s.ResponsesByID(ctx(t), []uuid.UUID{seen[0].ID, uuid.New()})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]store.Response{seen[0].ID: seen[0]}, byID)
}

func testAggregateEventsInVersionOrder(t *testing.T, s store.Store) {
	teacher := uuid.New()
	p, created := createPulse(t, s, teacher, epoch)
	var want []event.Envelope
	want = append(want, created)
	for range 4 {
		ev, err := Respond(ctx(t), s, p.ID, uuid.New())
		require.NoError(t, err)
		want = append(want, ev)
	}
	closed, err := closePulse(ctx(t), s, p.ID, teacher)
	require.NoError(t, err)
	want = append(want, closed)
	var got []event.Envelope
	var after int64
	for {
		page, err := s.AggregateEvents(ctx(t), event.AggregatePulse, p.ID, after, 4)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Version
	}
	require.Equal(t, want, got)
}

func testOutboxClaimAndAck(t *testing.T, s store.Store) {
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
func testOutboxClaimAfterInFlight(t *testing.T, s store.Store) {
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

func testOutboxKeepsAggregateOrder(t *testing.T, s store.Store) {
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

func testOutboxOneHolder(t *testing.T, s store.Store) {
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

	// A holder whose context ends gives up waiting.
	holder, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer holder.Release()
	short, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
	defer cancel()
	_, err = s.AcquireOutbox(short)
	require.Error(t, err)
}
