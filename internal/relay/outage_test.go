package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
)

// While the bus is down, and the relay's retries have backed off to
// seconds, a new commit still gets its position at once and reaches a live
// subscriber from the store within a second; once the bus is back, the
// stream holds every event once, in order, and the subscriber got each
// once.
func TestLiveWhileTheBusIsDown(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		run, stop := context.WithCancel(context.Background())
		defer stop()
		nb := startBus(t)
		port := nb.srv.Port()

		// The hub's own poll is slow here, so that what is measured is the
		// relay positioning the event and waking the hub.
		hub, err := live.New(run, st, live.Options{SyncInterval: 10 * time.Second})
		require.NoError(t, err)
		done := make(chan struct{}, 2)
		go func() { hub.Run(run); done <- struct{}{} }()
		go func() { nb.bus.Consume(run, hub.Deliver); done <- struct{}{} }()
		defer func() { stop(); <-done; <-done }()
		sub, err := hub.Subscribe(run, live.Request{Actor: auth.Actor{ID: uuid.New(), Role: auth.RoleAdmin}})
		require.NoError(t, err)

		rn := startRelay(t, st, nb.bus, relay.Options{
			MaxBackoff:   5 * time.Second,
			OnPositioned: hub.Positioned,
		})
		require.Eventually(t, func() bool {
			s, err := nb.bus.JetStream().Stream(run, bus.StreamName)
			return err == nil && s.CachedInfo().State.Consumers > 0
		}, 10*time.Second, 10*time.Millisecond, "the instance's consumer is up")
		// One write the bus carries.
		all := writeLessons(t, st, 1)
		rn.Wake()
		got := []event.Envelope{receive(t, sub)}

		nb.srv.Shutdown()
		require.NoError(t, waitDisconnected(t, nb.bus))
		time.Sleep(3 * time.Second) // the relay's retries back off meanwhile
		var worst time.Duration
		for range 5 {
			// Commits spaced out in time are what is measured: each one
			// arrives while the relay's retry is seconds away.
			time.Sleep(700 * time.Millisecond)
			e := writeLessons(t, st, 1)
			committed := time.Now()
			rn.Wake() // as the application does after each commit
			r := receive(t, sub)
			require.Equal(t, e[0].ID, r.ID)
			worst = max(worst, time.Since(committed))
			all = append(all, e...)
			got = append(got, r)
		}
		t.Logf("bus down: worst commit-to-subscriber latency %s", worst.Round(time.Millisecond))
		require.Less(t, worst, time.Second)

		srv, err := bus.StartEmbedded(nb.dir, bus.WithListen("127.0.0.1", port))
		require.NoError(t, err)
		nb.srv = srv
		rn.rec.waitFor(t, len(all))
		requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(all))
		after := writeLessons(t, st, 1)
		rn.Wake()
		got = append(got, receive(t, sub))
		all = append(all, after...)
		for i, e := range got {
			require.Equal(t, all[i].ID, e.ID, "each event once, in order")
			require.EqualValues(t, i+1, e.Position)
		}
		select {
		case e := <-sub:
			t.Fatalf("delivered twice: position %d", e.Position)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

func receive(t *testing.T, sub <-chan event.Envelope) event.Envelope {
	t.Helper()
	select {
	case e, ok := <-sub:
		require.True(t, ok, "the subscription ended")
		return e
	case <-time.After(15 * time.Second):
		t.Fatal("nothing delivered")
	}
	return event.Envelope{}
}
