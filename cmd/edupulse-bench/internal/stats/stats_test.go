package stats

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileNearestRank(t *testing.T) {
	t.Parallel()
	sorted := make([]time.Duration, 100)
	for i := range sorted {
		sorted[i] = ms(i + 1) // 1..100 ms
	}
	assert.Equal(t, ms(50), Percentile(sorted, 0.50))
	assert.Equal(t, ms(90), Percentile(sorted, 0.90))
	assert.Equal(t, ms(99), Percentile(sorted, 0.99))
	assert.Equal(t, ms(100), Percentile(sorted, 1))
	assert.Equal(t, ms(1), Percentile(sorted, 0.001))
	assert.Equal(t, time.Duration(0), Percentile(nil, 0.5))

	// Few samples: p99 of 10 is the largest, p50 the 5th.
	ten := sorted[:10]
	assert.Equal(t, ms(10), Percentile(ten, 0.99))
	assert.Equal(t, ms(5), Percentile(ten, 0.50))
	assert.Equal(t, ms(9), Percentile(ten, 0.90))
}

func TestSummaryUnsortedInput(t *testing.T) {
	t.Parallel()
	var r Recorder
	for _, n := range []int{7, 3, 9, 1, 5} {
		r.Add(ms(n))
	}
	other := NewRecorder(1)
	other.Add(ms(11))
	r.Merge(other)
	r.Merge(nil)
	s := r.Summary()
	assert.Equal(t, 6, s.Count)
	assert.Equal(t, ms(6), s.Mean) // (1+3+5+7+9+11)/6
	assert.Equal(t, ms(5), s.P50)
	assert.Equal(t, ms(11), s.P99)
	assert.Equal(t, ms(11), s.Max)
	assert.Equal(t, Summary{}, Summarize(nil))
}

func TestSyncRecorder(t *testing.T) {
	t.Parallel()
	var s SyncRecorder
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			for i := range 250 {
				s.Add(ms(g*250 + i + 1))
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	sum := s.Summary()
	assert.Equal(t, 1000, sum.Count)
	assert.Equal(t, ms(1000), sum.Max)
	assert.Equal(t, ms(500), sum.P50)
}

func TestRate(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 250.0, Rate(500, 2*time.Second), 1e-9)
	assert.Zero(t, Rate(10, 0))
}

func TestTally(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	acks := map[string]time.Time{"a": t0, "b": t0.Add(ms(100))}
	subs := [][]Receipt{
		// all there, once; "w" is a warm-up event
		{{"w", t0.Add(-ms(5))}, {"a", t0.Add(ms(10))}, {"b", t0.Add(ms(130))}},
		// "a" twice, "b" early (before its ack)
		{{"a", t0.Add(ms(20))}, {"a", t0.Add(ms(25))}, {"b", t0.Add(ms(90))}},
		// "b" lost
		{{"a", t0.Add(ms(40))}},
	}
	l := Tally(acks, subs)
	require.Equal(t, int64(6), l.Expected)
	assert.Equal(t, int64(5), l.Delivered)
	assert.Equal(t, int64(1), l.Lost)
	assert.Equal(t, []string{"b"}, l.Missing)
	assert.Equal(t, int64(1), l.Duplicated)
	assert.Equal(t, int64(1), l.Early)
	assert.Equal(t, int64(1), l.Foreign)
	assert.Equal(t, t0.Add(ms(10)), l.First)
	assert.Equal(t, t0.Add(ms(130)), l.Last)
	// latencies: 10, 30, 20, 0 (early), 40
	assert.Equal(t, 5, l.Latency.Count)
	assert.Equal(t, ms(40), l.Latency.Max)
	assert.Equal(t, ms(20), l.Latency.P50)
}

func TestTallyNoSubscribers(t *testing.T) {
	t.Parallel()
	l := Tally(map[string]time.Time{"a": time.Now()}, nil)
	assert.Zero(t, l.Expected)
	assert.Zero(t, l.Lost)
}
