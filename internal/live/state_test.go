package live_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/store"
)

// States tests run the real use cases: the write tells the hub the state
// it left, as the server wires it.

func as(a auth.Actor) context.Context { return auth.WithActor(context.Background(), a) }

func (b *bundle) service(offer bool) *app.Service {
	if !offer {
		return app.New(b.st)
	}
	return app.New(b.st, app.OnPulseState(b.hub.OfferPulseState))
}

func openPulse(t *testing.T, svc *app.Service) uuid.UUID {
	t.Helper()
	p, _, err := svc.CreatePulse(as(teacher), app.CreatePulseInput{Title: "How sure are you?"})
	require.NoError(t, err)
	return p.ID
}

func answer(svc *app.Service, pulse uuid.UUID, confidence int) (store.Response, error) {
	c := confidence%5 + 1
	r, _, err := svc.RespondToPulse(as(student()), app.RespondInput{PulseID: pulse, Answer: "yes", Confidence: &c})
	return r, err
}

type taken struct {
	st live.State
	ok bool
}

// inFlight holds the Next calls that outlived their nextWithin: the next
// call for that subscription waits for it rather than call Next twice.
var inFlight sync.Map // *live.StateSubscription → chan taken

// nextWithin is Next with a deadline: false when nothing comes.
func nextWithin(t *testing.T, sub *live.StateSubscription, d time.Duration) (live.State, bool) {
	t.Helper()
	var ch chan taken
	if c, ok := inFlight.LoadAndDelete(sub); ok {
		ch = c.(chan taken)
	} else {
		ch = make(chan taken, 1)
		go func() { st, ok := sub.Next(); ch <- taken{st, ok} }()
	}
	select {
	case g := <-ch:
		require.True(t, g.ok, "the subscription ended")
		return g.st, true
	case <-time.After(d):
		inFlight.Store(sub, ch)
		return live.State{}, false
	}
}

// TestStateConflation: a subscriber that does not read while a hundred
// answers land then gets the latest state, and nothing older after it; it
// is never cut off.
func TestStateConflation(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		svc := b.service(true)
		pulse := openPulse(t, svc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub, err := b.hub.WatchPulse(ctx, pulse)
		require.NoError(t, err)
		first, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok)
		require.Equal(t, 0, first.Pulse.ResponseCount)
		require.EqualValues(t, 1, first.Version)

		const n = 100
		for i := range n {
			_, err := answer(svc, pulse, i)
			require.NoError(t, err)
		}
		// The events reach the hub as well (the bus's way): they are no
		// newer than what the writes offered, so nothing is read or sent.
		b.publish()

		last, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok)
		require.Equal(t, n, last.Pulse.ResponseCount, "the one pending state is the latest")
		require.EqualValues(t, n+1, last.Version)
		require.Equal(t, [5]int{20, 20, 20, 20, 20}, last.Pulse.Confidences)
		_, more := nextWithin(t, sub, 300*time.Millisecond)
		require.False(t, more, "no state older than the latest follows it")

		_, _, err = svc.ClosePulse(as(teacher), app.ClosePulseInput{PulseID: pulse})
		require.NoError(t, err)
		closed, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok, "still subscribed: never a slow consumer")
		require.NotNil(t, closed.Pulse.ClosedAt)
		require.Equal(t, n, closed.Pulse.ResponseCount)
		require.Greater(t, closed.Seq, last.Seq)
	})
}

// TestStateReadYourWrite: whoever else is answering, once an answer has
// been acknowledged the next state the subscriber takes includes it.
func TestStateReadYourWrite(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		svc := b.service(true)
		pulse := openPulse(t, svc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub, err := b.hub.WatchPulse(ctx, pulse)
		require.NoError(t, err)

		// Others answer all along.
		stop := make(chan struct{})
		var others sync.WaitGroup
		others.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := answer(svc, pulse, i)
				assert.NoError(t, err)
			}
		})
		defer func() { close(stop); others.Wait() }()

		var seen int64
		for i := range 30 {
			r, err := answer(svc, pulse, i)
			require.NoError(t, err)
			st, ok := nextWithin(t, sub, 5*time.Second)
			require.True(t, ok)
			require.GreaterOrEqual(t, st.Version, r.Seq, "the state after the answer includes it")
			require.GreaterOrEqual(t, st.Version, seen, "never older than a state already taken")
			seen = st.Version
		}
	})
}

// TestStateFromEventsRacingClose: writes made elsewhere (no offer: another
// instance) reach subscribers through the events the hub takes in. Many
// answers race a close; every subscriber's states only move forward and
// end at the store's final state, counts included.
func TestStateFromEventsRacingClose(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		svc := b.service(false)
		pulse := openPulse(t, svc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const watchers = 5
		subs := make([]*live.StateSubscription, watchers)
		for i := range subs {
			var err error
			subs[i], err = b.hub.WatchPulse(ctx, pulse)
			require.NoError(t, err)
		}

		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			accepted sync.Map
		)
		const n = 60
		for i := range n + 1 {
			wg.Go(func() {
				<-start
				if i == n*2/3 {
					_, _, err := svc.ClosePulse(as(teacher), app.ClosePulseInput{PulseID: pulse})
					assert.NoError(t, err)
					return
				}
				r, err := answer(svc, pulse, i)
				if errors.Is(err, app.ErrConflict) {
					return
				}
				if assert.NoError(t, err) {
					accepted.Store(r.ID, r.Confidence)
				}
			})
		}
		publishing := make(chan struct{})
		go func() {
			defer close(publishing)
			<-start
			for range 20 {
				b.publish()
				// Spread the publishes over the answers racing them.
				time.Sleep(5 * time.Millisecond)
			}
		}()
		close(start)
		wg.Wait()
		<-publishing
		b.publish()

		var want [5]int
		count := 0
		accepted.Range(func(_, c any) bool {
			count++
			want[*c.(*int)-1]++
			return true
		})
		final, err := b.st.PulseStates(context.Background(), []uuid.UUID{pulse})
		require.NoError(t, err)
		require.Equal(t, count, final[pulse].Pulse.ResponseCount)
		require.Equal(t, want, final[pulse].Pulse.Confidences)
		require.NotNil(t, final[pulse].Pulse.ClosedAt)

		for _, sub := range subs {
			var last live.State
			for last.Version < final[pulse].Version {
				st, ok := nextWithin(t, sub, 5*time.Second)
				require.True(t, ok, "the final state arrives (at %d of %d)", last.Version, final[pulse].Version)
				require.Greater(t, st.Seq, last.Seq)
				require.GreaterOrEqual(t, st.Version, last.Version)
				require.GreaterOrEqual(t, st.Pulse.ResponseCount, last.Pulse.ResponseCount)
				last = st
			}
			require.Equal(t, final[pulse], last.PulseState)
		}
	})
}

// TestStateUnknownPulse: nothing to watch is ErrNotFound, and leaves no
// subscriber behind.
func TestStateUnknownPulse(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		_, err := b.hub.WatchPulse(context.Background(), uuid.New())
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// TestStateInterval: a subscriber that reads as fast as it can gets at
// most one state per StateInterval (20 ms by default) during a burst, and
// the last one it gets is the final state.
func TestStateInterval(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		svc := b.service(true)
		pulse := openPulse(t, svc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub, err := b.hub.WatchPulse(ctx, pulse)
		require.NoError(t, err)
		_, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok)

		answered := make(chan int, 1)
		go func() {
			n := 0
			for deadline := time.Now().Add(400 * time.Millisecond); time.Now().Before(deadline); n++ {
				_, err := answer(svc, pulse, n)
				assert.NoError(t, err)
			}
			answered <- n
		}()
		began := time.Now()
		var (
			n     int
			taken int
		)
		for {
			st, ok := nextWithin(t, sub, 2*time.Second)
			require.True(t, ok, "the final state arrives")
			taken++
			select {
			case n = <-answered:
				answered <- n
			default:
			}
			if n > 0 && st.Pulse.ResponseCount == n {
				break
			}
		}
		elapsed := time.Since(began)
		require.LessOrEqual(t, taken, int(elapsed/(20*time.Millisecond))+2, "%d answers, %d states in %s", n, taken, elapsed)
	})
}

// TestStateAfterErasure: erasing the pulse's teacher changes its title
// without moving its version; the hub reads the state again on the
// erasure's event, and subscribers get the erased title.
func TestStateAfterErasure(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		svc := b.service(true)
		pulse := openPulse(t, svc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sub, err := b.hub.WatchPulse(ctx, pulse)
		require.NoError(t, err)
		first, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok)
		require.Equal(t, "How sure are you?", first.Pulse.Title)

		_, _, err = svc.EraseActor(as(admin), teacher.ID)
		require.NoError(t, err)
		b.publish()
		erased, ok := nextWithin(t, sub, 5*time.Second)
		require.True(t, ok)
		require.Equal(t, store.ErasedText, erased.Pulse.Title)
		require.Equal(t, first.Version, erased.Version)
		require.Greater(t, erased.Seq, first.Seq)
	})
}
