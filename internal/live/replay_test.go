package live_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/live"
)

// A subscriber resuming from far back is not cut off as a slow consumer
// because the hub handed out more than its buffer while it was still
// replaying: what overflowed is read from the store too, once, in order.
func TestReplayOutlivesAFullQueue(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pulse := b.createPulse()
		for range 100 {
			require.NoError(t, b.respond(pulse, student()))
		}
		b.publish() // positions 1..101

		sub := b.subscribe(ctx, admin, nil, &live.Cursor{Position: 1})
		// The pump is blocked on its first replayed event; the hub hands
		// out more than the buffer (64) meanwhile.
		for range 150 {
			require.NoError(t, b.respond(pulse, student()))
		}
		b.publish() // positions 102..251

		got := sub.take(t, 250)
		want := make([]int64, 250)
		for i := range want {
			want[i] = int64(i + 2)
		}
		require.Equal(t, want, positions(got))
		sub.none(t)
		select {
		case err := <-sub.end:
			t.Fatalf("the subscription ended: %v", err)
		default:
		}

		// Live from here: a new event comes through the queue.
		require.NoError(t, b.respond(pulse, student()))
		b.publish()
		require.Equal(t, []int64{252}, positions(sub.take(t, 1)))
	})
}
