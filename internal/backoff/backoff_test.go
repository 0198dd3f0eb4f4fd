package backoff_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/backoff"
)

func TestDoublesWithinJitterUpToMaxAndResets(t *testing.T) {
	t.Parallel()
	b := backoff.New(100*time.Millisecond, 400*time.Millisecond)
	for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond} {
		got := b.Next()
		require.GreaterOrEqual(t, got, d/2)
		require.LessOrEqual(t, got, d)
	}
	b.Reset()
	require.LessOrEqual(t, b.Next(), 100*time.Millisecond)
}
