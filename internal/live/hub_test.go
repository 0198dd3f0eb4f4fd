package live_test

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/store/storetest"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testpg.M(m)) }

var backends = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edupulse.db"))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), testpg.Database(t, postgres.Migrate), postgres.Options{})
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	},
}

// each runs fn against every backend, in parallel.
func each(t *testing.T, fn func(t *testing.T, b *bundle)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			hub, err := live.New(context.Background(), st, live.Options{Buffer: 64})
			require.NoError(t, err)
			fn(t, &bundle{t: t, st: st, hub: hub})
		})
	}
}

type bundle struct {
	t   *testing.T
	st  store.Store
	hub *live.Hub
}

var (
	teacher = auth.Actor{ID: uuid.New(), Role: auth.RoleTeacher}
	admin   = auth.Actor{ID: uuid.New(), Role: auth.RoleAdmin}
)

func student() auth.Actor { return auth.Actor{ID: uuid.New(), Role: auth.RoleStudent} }

func (b *bundle) createPulse() uuid.UUID {
	id := uuid.New()
	now := event.Timestamp(time.Now())
	ev := event.New(event.LearningPulseCreated{PulseID: id, TeacherID: teacher.ID}, event.Meta{ActorID: teacher.ID}, now)
	_, _, err := b.st.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, store.Pulse{ID: id, TeacherID: teacher.ID, Title: "t", CreatedAt: now}); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(b.t, err)
	return id
}

func (b *bundle) respond(pulse uuid.UUID, st auth.Actor) error {
	now := event.Timestamp(time.Now())
	r := store.Response{ID: uuid.New(), PulseID: pulse, StudentID: st.ID, Answer: "a", CreatedAt: now}
	ev := event.New(event.LearningPulseResponded{PulseID: pulse, StudentID: st.ID, ResponseID: r.ID}, event.Meta{ActorID: st.ID}, now)
	_, _, err := b.st.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if _, _, err := tx.LockPulse(ctx, pulse); err != nil {
			return store.Outcome{}, err
		}
		if err := tx.Append(ctx, store.ExpectAny, &ev); err != nil {
			return store.Outcome{}, err
		}
		r.Seq = ev.Version
		return store.Outcome{}, tx.InsertResponse(ctx, r)
	})
	return err
}

// publish plays the relay and the bus: claims what the outbox holds and
// delivers it to the hub. It returns the delivered events.
func (b *bundle) publish() []event.Envelope {
	b.t.Helper()
	ob, err := b.st.AcquireOutbox(context.Background())
	require.NoError(b.t, err)
	defer ob.Release()
	var out []event.Envelope
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, _, err := ob.Pending(context.Background())
		require.NoError(b.t, err)
		if pending == 0 {
			return out
		}
		entries, err := ob.Claim(context.Background(), 500)
		require.NoError(b.t, err)
		if len(entries) == 0 {
			require.True(b.t, time.Now().Before(deadline), "outbox never became claimable")
			// Entries pending but none claimable: a commit is under way in
			// another goroutine, and nothing signals its end but a claim.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		ids := make([]uuid.UUID, 0, len(entries))
		for _, en := range entries {
			e, err := event.Unmarshal(en.Body)
			require.NoError(b.t, err)
			e.Position = en.Position
			require.NoError(b.t, b.hub.Deliver(context.Background(), e))
			out = append(out, e)
			ids = append(ids, en.EventID)
		}
		require.NoError(b.t, ob.Ack(context.Background(), ids))
	}
}

// claimOnly plays a relay whose bus loses every message: it claims (so
// the events get positions) and neither delivers nor acknowledges.
func (b *bundle) claimOnly(want int) []store.OutboxEntry {
	b.t.Helper()
	ob, err := b.st.AcquireOutbox(context.Background())
	require.NoError(b.t, err)
	defer ob.Release()
	entries := storetest.Claim(b.t, ob, 10, want)
	require.Len(b.t, entries, want)
	return entries
}

type subscriber struct {
	ch  <-chan event.Envelope
	end chan error
}

func (b *bundle) subscribe(ctx context.Context, a auth.Actor, match func(event.Envelope, auth.Audience) bool, after *live.Cursor) *subscriber {
	b.t.Helper()
	s := &subscriber{end: make(chan error, 1)}
	ch, err := b.hub.Subscribe(ctx, live.Request{Actor: a, Match: match, After: after, End: func(err error) { s.end <- err }})
	require.NoError(b.t, err)
	s.ch = ch
	return s
}

// take reads n events, failing after a timeout.
func (s *subscriber) take(t *testing.T, n int) []event.Envelope {
	t.Helper()
	var got []event.Envelope
	for len(got) < n {
		select {
		case e, ok := <-s.ch:
			require.True(t, ok, "the subscription ended after %d of %d events", len(got), n)
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d events", len(got), n)
		}
	}
	return got
}

// none asserts nothing more arrives for a moment.
func (s *subscriber) none(t *testing.T) {
	t.Helper()
	select {
	case e := <-s.ch:
		t.Fatalf("unexpected event %s v%d", e.Type(), e.Version)
	case <-time.After(100 * time.Millisecond):
	}
}

func positions(evs []event.Envelope) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Position
	}
	return out
}

func TestLiveDeliveryAndVisibility(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		b.publish()

		alice, bob := student(), student()
		otherTeacher := auth.Actor{ID: uuid.New(), Role: auth.RoleTeacher}
		own := b.subscribe(ctx, teacher, live.ByPulse(pulse), nil)
		aliceSub := b.subscribe(ctx, alice, live.ByPulse(pulse), nil)
		other := b.subscribe(ctx, otherTeacher, live.ByPulse(pulse), nil)
		mine := b.subscribe(ctx, bob, live.Concerning(bob), nil)

		require.NoError(t, b.respond(pulse, alice))
		require.NoError(t, b.respond(pulse, bob))
		require.NoError(t, b.respond(pulse, student()))
		b.publish()

		got := own.take(t, 3)
		for i, e := range got {
			require.Equal(t, event.TypeLearningPulseResponded, e.Type())
			require.EqualValues(t, i+2, e.Version, "in version order")
		}
		a := aliceSub.take(t, 1)
		require.Equal(t, alice.ID, a[0].Payload.(event.LearningPulseResponded).StudentID, "a student sees only their own answer")
		aliceSub.none(t)
		other.none(t) // another teacher does not see the answers
		m := mine.take(t, 1)
		require.Equal(t, bob.ID, m[0].ActorID.UUID)
		mine.none(t)

		// The rows the events point to were loaded once, for everyone.
		_, ok := b.hub.Shared().Response(got[0].Payload.(event.LearningPulseResponded).ResponseID)
		require.True(t, ok)
	})
}

func TestDuplicatesDroppedAndGapsFilled(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub := b.subscribe(ctx, admin, nil, nil)
		pulse := b.createPulse()
		for range 4 {
			require.NoError(t, b.respond(pulse, student()))
		}
		// Claim without delivering: the "bus" loses messages 1..4.
		entries := b.claimOnly(5)
		decode := func(en store.OutboxEntry) event.Envelope {
			e, err := event.Unmarshal(en.Body)
			require.NoError(t, err)
			e.Position = en.Position
			return e
		}
		// Only the last message arrives: the hub fills 1..4 from the store.
		require.NoError(t, b.hub.Deliver(ctx, decode(entries[4])))
		// Then redeliveries of everything: all dropped.
		for _, en := range entries {
			require.NoError(t, b.hub.Deliver(ctx, decode(en)))
		}
		got := sub.take(t, 5)
		require.Equal(t, []int64{1, 2, 3, 4, 5}, positions(got))
		sub.none(t)
	})
}

func TestSyncDeliversWithoutTheBus(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub := b.subscribe(ctx, admin, nil, nil)
		b.createPulse()
		b.claimOnly(1)
		require.NoError(t, b.hub.Sync(ctx))
		got := sub.take(t, 1)
		require.EqualValues(t, 1, got[0].Position)
	})
}

// Resume from a cursor while writers keep writing: every event after the
// cursor arrives once, in order, across the switch from replay to live.
func TestResumeHasNoGapAndNoDuplicate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		for range 10 {
			require.NoError(t, b.respond(pulse, student()))
		}
		first := b.publish()
		require.Len(t, first, 11)
		cursor := first[1] // version 2

		// Writers and the "relay" keep going while the subscriber resumes.
		var (
			wg      sync.WaitGroup
			stop    = make(chan struct{})
			written atomic.Int64
		)
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				assert.NoError(t, b.respond(pulse, student()))
				if i%3 == 0 {
					b.publish()
				}
				written.Add(1)
			}
		})
		// Some writes land before the subscriber resumes, some after.
		wroteMore := func(n int64) {
			t.Helper()
			target := written.Load() + n
			require.Eventually(t, func() bool { return written.Load() >= target }, 20*time.Second, time.Millisecond)
		}
		wroteMore(3)
		sub := b.subscribe(ctx, teacher, live.ByPulse(pulse), &live.Cursor{Position: cursor.Position})
		wroteMore(10)
		close(stop)
		wg.Wait()
		b.publish()

		evs, err := b.st.AggregateEvents(ctx, event.AggregatePulse, pulse, 0, 1000)
		require.NoError(t, err)
		want := len(evs) - 2 // everything after version 2
		got := sub.take(t, want)
		for i, e := range got {
			require.EqualValues(t, i+3, e.Version, "versions 3..n, each once, in order")
		}
		sub.none(t)

		// A cursor that names an event by id (made before it had a position).
		byID := b.subscribe(ctx, teacher, live.ByPulse(pulse), &live.Cursor{EventID: evs[len(evs)-2].ID})
		last := byID.take(t, 1)
		require.Equal(t, evs[len(evs)-1].ID, last[0].ID)

		_, err = b.hub.Subscribe(ctx, live.Request{Actor: teacher, After: &live.Cursor{EventID: uuid.New()}})
		require.ErrorIs(t, err, live.ErrUnknownCursor)
	})
}

// A subscriber that never reads is cut off with SLOW_CONSUMER and a cursor,
// while a fast one on the same hub receives everything.
func TestSlowConsumerIsCutOthersUnaffected(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		slow := b.subscribe(ctx, admin, nil, nil)
		fast := b.subscribe(ctx, admin, nil, nil)
		pulse := b.createPulse()
		for range 200 {
			require.NoError(t, b.respond(pulse, student()))
		}
		// The hub is handed the events a few at a time, fewer than the
		// buffer holds, and the fast subscriber reads each lot before the
		// next: it keeps up however loaded the machine is, while the slow
		// one, which reads nothing, overflows.
		ob, err := b.st.AcquireOutbox(ctx)
		require.NoError(t, err)
		entries, err := ob.Claim(ctx, 500)
		require.NoError(t, err)
		require.Len(t, entries, 201)
		var got []event.Envelope
		for i, en := range entries {
			e, err := event.Unmarshal(en.Body)
			require.NoError(t, err)
			e.Position = en.Position
			require.NoError(t, b.hub.Deliver(ctx, e))
			if (i+1)%16 == 0 || i == len(entries)-1 {
				got = append(got, fast.take(t, i+1-len(got))...)
			}
		}
		ob.Release()
		require.Len(t, got, 201, "the fast subscriber got everything")
		require.Equal(t, int64(1), got[0].Position)
		require.Equal(t, int64(201), got[200].Position)

		select {
		case err := <-slow.end:
			var end *live.EndError
			require.ErrorAs(t, err, &end)
			require.ErrorIs(t, err, live.ErrSlowConsumer)
			require.Nil(t, end.Last, "it read nothing")
			require.EqualValues(t, 0, end.Position, "resume from where it started")
		case <-time.After(10 * time.Second):
			t.Fatal("the slow subscriber was not cut off")
		}
		// Its channel is closed after the end.
		for range slow.ch {
		}
	})
}

// Not parallel: it counts the process's goroutines.
func TestThousandSubscriptionsLeaveNoGoroutine(t *testing.T) {
	b := &bundle{t: t, st: backends["sqlite"](t)}
	var err error
	b.hub, err = live.New(context.Background(), b.st, live.Options{})
	require.NoError(t, err)
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	var subs []*subscriber
	for range 1000 {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		subs = append(subs, b.subscribe(ctx, admin, nil, nil))
	}
	b.createPulse()
	b.publish()
	for _, s := range subs {
		s.take(t, 1)
	}
	for _, c := range cancels {
		c()
	}
	for _, s := range subs {
		for range s.ch {
		}
	}
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+5 }, 10*time.Second, 20*time.Millisecond,
		"goroutines: %d before, %d after", before, runtime.NumGoroutine())
}

// A cursor from an instance whose hub is ahead of this one: what the
// client already has is not sent again when it arrives here.
func TestResumeFromAheadOfTheHub(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		for range 3 {
			require.NoError(t, b.respond(pulse, student()))
		}
		// Positions 1..4 are handed out by the store but this hub has not
		// seen them yet (its bus is late).
		b.claimOnly(4)
		require.EqualValues(t, 0, b.hub.Head())
		sub := b.subscribe(ctx, teacher, live.ByPulse(pulse), &live.Cursor{Position: 3})
		require.NoError(t, b.hub.Sync(ctx))
		got := sub.take(t, 1)
		require.EqualValues(t, 4, got[0].Position, "only what follows the cursor")
		sub.none(t)
	})
}

// A cursor tells nothing of events its subscriber may not see: one naming
// an event that does not exist and one naming an event of someone else's
// are refused alike, and so is a position past the store's head, which
// would otherwise hold back every event up to it, silently.
func TestCursorRevealsNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		someone, other := student(), student()
		require.NoError(t, b.respond(pulse, someone))
		evs := b.publish()
		require.Len(t, evs, 2)
		response := evs[1]
		head := b.hub.Head()

		refused := func(a auth.Actor, c live.Cursor) error {
			_, err := b.hub.Subscribe(ctx, live.Request{Actor: a, After: &c})
			require.ErrorIs(t, err, live.ErrUnknownCursor, "%+v", c)
			return err
		}
		unknown := refused(other, live.Cursor{EventID: uuid.New()})
		invisible := refused(other, live.Cursor{EventID: response.ID})
		require.Equal(t, unknown.Error(), invisible.Error())
		beyond := refused(other, live.Cursor{Position: head + 1})
		require.Equal(t, unknown.Error(), beyond.Error())
		refused(admin, live.Cursor{Position: head + 1_000_000})

		// Those who may see the event resume from it; the head itself is
		// a position to resume from.
		b.subscribe(ctx, someone, nil, &live.Cursor{EventID: response.ID}).none(t)
		b.subscribe(ctx, teacher, nil, &live.Cursor{EventID: response.ID}).none(t)
		b.subscribe(ctx, other, nil, &live.Cursor{Position: head}).none(t)
		got := b.subscribe(ctx, other, nil, &live.Cursor{EventID: evs[0].ID})
		require.NoError(t, b.respond(pulse, other))
		b.publish()
		require.Equal(t, event.TypeLearningPulseResponded, got.take(t, 1)[0].Type())
	})
}

// Replaying an erasure leaves the shared cache alone: the hub emptied it
// when the erasure came in, and an old cursor must not let a subscriber
// empty it for everyone again.
func TestReplayedErasureKeepsTheCache(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		erased := event.New(event.ActorErased{ActorID: uuid.New()}, event.Meta{ActorID: admin.ID}, event.Timestamp(time.Now()))
		_, _, err := b.st.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, store.ExpectAny, &erased)
		})
		require.NoError(t, err)
		require.Len(t, b.publish(), 2)

		replay := b.subscribe(ctx, admin, nil, &live.Cursor{})
		got := replay.take(t, 2)
		require.Equal(t, event.TypeActorErased, got[1].Type())
		_, cached := b.hub.Shared().Pulse(pulse)
		require.True(t, cached, "the replay's rows are still cached")
	})
}
