package procfs

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The readers answer for this very process and machine.
func TestReadsThisProcess(t *testing.T) {
	pid := os.Getpid()
	u := Start(pid).Stop()
	require.Positive(t, u.Elapsed)
	require.GreaterOrEqual(t, u.CPU, 0*u.Elapsed)
	require.GreaterOrEqual(t, u.HostBusy, 0.0)
	require.LessOrEqual(t, u.HostBusy, 100.0)

	rss, err := RSS(pid)
	require.NoError(t, err)
	require.Positive(t, rss)
	limit, err := OpenFilesLimit(pid)
	require.NoError(t, err)
	require.Positive(t, limit)
	h, err := Host()
	require.NoError(t, err)
	require.Positive(t, h.Total)
	require.LessOrEqual(t, h.Busy, h.Total)
}
