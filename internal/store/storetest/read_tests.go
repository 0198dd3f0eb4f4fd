package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

var pulseCases = []testCase{
	{"NotFound", testPulseNotFound},
}

var pulsesByIDCases = []testCase{
	{"FoundAndMissing", testPulsesByID},
}

var listPulsesCases = []testCase{
	{"KeysetPages", testPulsesKeysetPages},
}

var listResponsesCases = []testCase{
	{"KeysetPages", testResponsesKeysetPages},
}

var responsesByIDCases = []testCase{
	{"FoundAndMissing", testResponsesByID},
}

var eventCases = []testCase{
	{"RoundTrip", testEventRoundTrip},
	{"NotFound", testEventNotFound},
}

var eventsByIDCases = []testCase{
	{"FoundAndMissing", testEventsByID},
}

var aggregateEventsCases = []testCase{
	{"InVersionOrder", testAggregateEventsInVersionOrder},
	{"UnknownIsEmpty", testAggregateEventsUnknown},
}

var aggregateTypesCases = []testCase{
	{"EveryTypeOnTheID", testAggregateTypes},
}

var eventsAfterCases = []testCase{
	{"PublishedInPositionOrder", testEventsAfter},
}

var lastPositionCases = []testCase{
	{"FollowsClaims", testLastPosition},
}

func testPulseNotFound(t *testing.T, b *testBundle) {
	_, err := b.store.Pulse(ctx(t), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testPulsesByID(t *testing.T, b *testBundle) {
	s := b.store
	p1, _ := createPulse(t, s, uuid.New(), epoch)
	p2, _ := createPulse(t, s, uuid.New(), epoch.Add(time.Second))
	got, err := s.PulsesByID(ctx(t), []uuid.UUID{p1.ID, uuid.New(), p2.ID, p1.ID})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]store.Pulse{p1.ID: p1, p2.ID: p2}, got, "missing ids are absent, repeated ones once")
	none, err := s.PulsesByID(ctx(t), nil)
	require.NoError(t, err)
	require.Empty(t, none)
}

func testResponsesByID(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	for range 3 {
		_, err := Respond(ctx(t), s, p.ID, uuid.New())
		require.NoError(t, err)
	}
	all, err := s.ListResponses(ctx(t), store.ResponseFilter{PulseID: p.ID})
	require.NoError(t, err)
	require.Len(t, all, 3)
	got, err := s.ResponsesByID(ctx(t), []uuid.UUID{all[0].ID, uuid.New(), all[2].ID})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]store.Response{all[0].ID: all[0], all[2].ID: all[2]}, got)
	none, err := s.ResponsesByID(ctx(t), nil)
	require.NoError(t, err)
	require.Empty(t, none)
}

// An event reads back exactly as appended; once claimed it carries its
// position.
func testEventRoundTrip(t *testing.T, b *testBundle) {
	s := b.store
	_, ev := createPulse(t, s, uuid.New(), epoch.Add(123*time.Millisecond))
	stored, err := s.Event(ctx(t), ev.ID)
	require.NoError(t, err)
	require.Equal(t, ev, stored)
	require.Zero(t, stored.Position, "no position before the relay claims it")

	drain(t, s)
	stored, err = s.Event(ctx(t), ev.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1, stored.Position)
}

func testEventNotFound(t *testing.T, b *testBundle) {
	_, err := b.store.Event(ctx(t), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testEventsByID(t *testing.T, b *testBundle) {
	s := b.store
	_, e1 := createPulse(t, s, uuid.New(), epoch)
	_, e2 := createPulse(t, s, uuid.New(), epoch)
	got, err := s.EventsByID(ctx(t), []uuid.UUID{e1.ID, uuid.New(), e2.ID})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]event.Envelope{e1.ID: e1, e2.ID: e2}, got)
	none, err := s.EventsByID(ctx(t), nil)
	require.NoError(t, err)
	require.Empty(t, none)
}

func testAggregateEventsUnknown(t *testing.T, b *testBundle) {
	evs, err := b.store.AggregateEvents(ctx(t), event.AggregatePulse, uuid.New(), 0, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
}

func testAggregateTypes(t *testing.T, b *testBundle) {
	s := b.store
	p, _ := createPulse(t, s, uuid.New(), epoch)
	types, err := s.AggregateTypes(ctx(t), p.ID)
	require.NoError(t, err)
	require.Equal(t, []event.AggregateType{event.AggregatePulse}, types)

	quiz := quizOn(p.ID, uuid.New())
	require.NoError(t, appendOne(t, s, store.ExpectAny, &quiz))
	types, err = s.AggregateTypes(ctx(t), p.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []event.AggregateType{event.AggregatePulse, event.AggregateQuiz}, types)

	none, err := s.AggregateTypes(ctx(t), uuid.New())
	require.NoError(t, err)
	require.Empty(t, none)
}

// EventsAfter lists only events that have a position (claimed by the
// relay), from the one after the given position, in position order, at
// most limit of them.
func testEventsAfter(t *testing.T, b *testBundle) {
	s := b.store
	var written []event.Envelope
	for i := range 5 {
		_, ev := createPulse(t, s, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
		written = append(written, ev)
	}
	none, err := s.EventsAfter(ctx(t), 0, 10)
	require.NoError(t, err)
	require.Empty(t, none, "committed but not yet claimed: no position to resume from")

	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	require.Len(t, Claim(t, ob, 4, 4), 4)

	after, err := s.EventsAfter(ctx(t), 1, 10)
	require.NoError(t, err)
	require.Len(t, after, 3, "positions 2..4; the fifth is unclaimed")
	for i, e := range after {
		require.EqualValues(t, i+2, e.Position)
		want := written[i+1]
		want.Position = e.Position
		require.Equal(t, want, e)
	}
	limited, err := s.EventsAfter(ctx(t), 0, 2)
	require.NoError(t, err)
	require.Equal(t, []uuid.UUID{written[0].ID, written[1].ID}, []uuid.UUID{limited[0].ID, limited[1].ID})
	require.Len(t, limited, 2)
	past, err := s.EventsAfter(ctx(t), 4, 10)
	require.NoError(t, err)
	require.Empty(t, past)
}

func testLastPosition(t *testing.T, b *testBundle) {
	s := b.store
	for i := range 3 {
		createPulse(t, s, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
	}
	last, err := s.LastPosition(ctx(t))
	require.NoError(t, err)
	require.Zero(t, last, "no position before the first claim")

	ob, err := s.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	require.Len(t, Claim(t, ob, 2, 2), 2)
	last, err = s.LastPosition(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 2, last)
	require.Len(t, Claim(t, ob, 10, 3), 3)
	last, err = s.LastPosition(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 3, last)
}

func testPulsesKeysetPages(t *testing.T, b *testBundle) {
	s := b.store
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

func testResponsesKeysetPages(t *testing.T, b *testBundle) {
	s := b.store
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

func testAggregateEventsInVersionOrder(t *testing.T, b *testBundle) {
	s := b.store
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
