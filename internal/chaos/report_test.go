package chaos

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func at(s ...float64) []time.Time {
	out := make([]time.Time, len(s))
	for i, x := range s {
		out[i] = t0.Add(time.Duration(x * float64(time.Second)))
	}
	return out
}

func TestLongestGap(t *testing.T) {
	t.Parallel()
	// From the fault at 10 s: 10.1, 10.2, then nothing until 14, then 14.1.
	gap, end := longestGap(at(9, 10.1, 10.2, 14, 14.1), t0.Add(10*time.Second), t0.Add(15*time.Second))
	assert.Equal(t, 3800*time.Millisecond, gap)
	assert.Equal(t, t0.Add(14*time.Second), end)
	// Silent to the end of the window: not back.
	gap, end = longestGap(at(10.1), t0.Add(10*time.Second), t0.Add(20*time.Second))
	assert.Equal(t, 9900*time.Millisecond, gap)
	assert.True(t, end.IsZero())
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	faults := []*Fault{{Kind: PGRestart, At: t0.Add(10 * time.Second)}, {Kind: KillInstance, At: t0.Add(20 * time.Second)}}
	writes := at(9.9, 10.1, 12.5, 12.6, 13, 14, 15, 16, 17, 18, 19, 20.1, 20.2, 21, 22, 23, 24, 25, 26, 27, 28, 29)
	var failed []failedWrite
	for _, x := range at(10.2, 11, 12, 20.05) {
		failed = append(failed, failedWrite{At: x, Class: "ISE"})
	}
	failed[0].Class = "no answer"
	relay := at(10.2, 13.5, 14, 15, 16, 17, 18, 19, 20.1, 21, 22, 23, 24, 25, 26, 27, 28, 29)
	subs := []SubLog{
		{Name: "events#1", Received: deliveries2(at(10.1, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20.5, 21, 22, 23, 24, 25, 26, 27, 28, 29))},
		// A quieter subscriber decides the gap.
		{Name: "events#2", Received: deliveries2(at(10.1, 15, 16, 17, 18, 19, 20.5, 21, 22, 23, 24, 25, 26, 27, 28, 29))},
		// Pulse followers go quiet when their pulse closes: ignored.
		{Name: "pulse#1", Aggregate: "A", Received: deliveries2(at(10.1))},
	}
	m := measure(faults, t0.Add(30*time.Second), writes, failed, relay, subs)
	assert.Equal(t, 4900*time.Millisecond, m[0].DeliveryGap)
	assert.Equal(t, 5*time.Second, m[0].DeliveryBack)
	assert.Equal(t, 2500*time.Millisecond, m[0].WritesBack)
	assert.Equal(t, 3500*time.Millisecond, m[0].RelayBack)
	assert.Equal(t, 3, m[0].FailedWrites)
	assert.Equal(t, "3 (2 ISE, 1 no answer)", fmtFailed(m[0]))
	assert.Equal(t, time.Duration(-1), m[1].WritesBack)
	assert.Equal(t, 1, m[1].FailedWrites)
	assert.Equal(t, 1000*time.Millisecond, m[1].DeliveryGap)

	var buf bytes.Buffer
	writeReport(&buf, Summary{Start: t0, LoadEnd: t0.Add(30 * time.Second), End: t0.Add(40 * time.Second), RunDir: "run"},
		faults, m, Reconcile(store, cleanStream(), acks(), nil, 0))
	assert.Contains(t, buf.String(), "PASS")
	assert.Contains(t, buf.String(), "pg-restart")
}

func deliveries2(ts []time.Time) []Delivery {
	out := make([]Delivery, len(ts))
	for i, x := range ts {
		out[i] = Delivery{ID: "x", Aggregate: "X", Version: int64(i + 1), At: x}
	}
	return out
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	s := schedule(AllKinds, 21, 7)
	assert.Len(t, s, 21)
	count := map[string]int{}
	for i, k := range s {
		count[k]++
		if i > 0 {
			assert.NotEqual(t, s[i-1], k, "the same fault twice in a row at %d", i)
		}
	}
	for _, k := range AllKinds {
		assert.Equal(t, 3, count[k], k)
	}
	assert.Equal(t, s, schedule(AllKinds, 21, 7), "a seed gives one schedule")
}

func TestDisconnectClass(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "closed with 1012 (service restart)", disconnectClass("read: websocket: close 1012 (service restart): server shutting down"))
	assert.Equal(t, "connection dropped (1006, reset or EOF)", disconnectClass("read: websocket: close 1006 (abnormal closure): unexpected EOF"))
	assert.Empty(t, disconnectClass(""))
	assert.Equal(t, "error message: x", disconnectClass("error message: x"))
}
