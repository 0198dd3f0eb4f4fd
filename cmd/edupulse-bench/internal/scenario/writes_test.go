package scenario

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
)

func TestMedians(t *testing.T) {
	rows := []report.Row{{Throughput: 900, Case: "a"}, {Throughput: 1200, Case: "b"}, {Throughput: 1000, Case: "c"}}
	require.Equal(t, "c", medianThroughput(rows).Case)
	require.Equal(t, "a", medianThroughput(rows[:1]).Case)
	require.Equal(t, "a", medianThroughput(rows[:2]).Case, "the lower middle of two")
	require.InDelta(t, 0.35, median([]float64{0.4, 0.3}), 1e-9)
	require.InDelta(t, 0.3, median([]float64{0.9, 0.3, 0.1}), 1e-9)
}
