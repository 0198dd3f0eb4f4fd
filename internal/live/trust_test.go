package live_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
)

// A message in the stream that the store does not have at its position
// (forged by whoever can publish on the bus, or another service's) is
// never delivered, and the real event that later gets that position is.
// Runs on a real JetStream stream, with the real relay and consumer.
func TestForgedBusMessageNeverDisplacesTheStore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		quiet := slog.New(slog.DiscardHandler)
		emb, err := bus.StartEmbedded(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(emb.Shutdown)
		bs, err := bus.Connect(ctx, "", "hub", bus.InProcess(emb), bus.WithLogger(quiet))
		require.NoError(t, err)
		t.Cleanup(bs.Close)
		require.NoError(t, bs.EnsureStream(ctx, 1))

		consumed := make(chan struct{})
		// handled signals each message the hub was handed, whatever it
		// made of it (the test publishes a handful).
		handled := make(chan struct{}, 1024)
		go func() {
			defer close(consumed)
			bs.Consume(ctx, func(ctx context.Context, e event.Envelope) error {
				defer func() { handled <- struct{}{} }()
				return b.hub.Deliver(ctx, e)
			})
		}()
		t.Cleanup(func() { cancel(); <-consumed })
		waitForConsumer(t, bs)

		sub := b.subscribe(ctx, admin, nil, nil)
		head := b.hub.Head()

		// Forged: a pulse closed, at the next position and far ahead.
		forged := event.New(event.LearningPulseClosed{PulseID: uuid.New(), TeacherID: teacher.ID}, event.Meta{ActorID: teacher.ID}, time.Now())
		body, err := event.Marshal(forged)
		require.NoError(t, err)
		// One at a time: the consumer hands the hub the last message of a
		// burst, so two published together could be one delivery.
		for _, pos := range []int64{head + 1, head + 1000} {
			_, err := bs.JetStream().PublishMsg(ctx, &nats.Msg{
				Subject: forged.Subject(),
				Data:    body,
				Header:  nats.Header{bus.PositionHeader: []string{strconv.FormatInt(pos, 10)}},
			})
			require.NoError(t, err)
			select {
			case <-handled:
			case <-time.After(10 * time.Second):
				t.Fatalf("the forged message at %d did not reach the hub", pos)
			}
		}
		sub.none(t)
		require.Equal(t, head, b.hub.Head(), "a forged message moves nothing")

		// The real event gets position head+1 and is delivered.
		rel, err := relay.New(b.st, bs, relay.Options{Logger: quiet})
		require.NoError(t, err)
		relayed := make(chan struct{})
		go func() {
			defer close(relayed)
			_ = rel.Run(ctx)
		}()
		t.Cleanup(func() { cancel(); <-relayed })
		pulse := b.createPulse()
		rel.Wake()
		got := sub.take(t, 1)[0]
		require.Equal(t, head+1, got.Position)
		require.Equal(t, event.TypeLearningPulseCreated, got.Type())
		require.Equal(t, pulse, got.AggregateID)
		require.NotEqual(t, forged.ID, got.ID)
		sub.none(t)
	})
}

// waitForConsumer waits until the instance's consumer exists, so that a
// message published next is one it receives.
func waitForConsumer(t *testing.T, bs *bus.Bus) {
	t.Helper()
	require.Eventually(t, func() bool {
		s, err := bs.JetStream().Stream(context.Background(), bus.StreamName)
		return err == nil && s.CachedInfo().State.Consumers > 0
	}, 10*time.Second, 10*time.Millisecond)
}
