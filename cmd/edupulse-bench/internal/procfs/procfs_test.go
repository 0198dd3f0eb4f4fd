package procfs

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// A command name with a space and a parenthesis, as a process may set.
	line := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 1000 123456789 2345 18446744073709551615\n"
	u, s, err := ParseStat([]byte(line))
	require.NoError(t, err)
	assert.Equal(t, uint64(250), u)
	assert.Equal(t, uint64(75), s)

	_, _, err = ParseStat([]byte("4242 (x) S 1 2"))
	require.Error(t, err)
	_, _, err = ParseStat([]byte("no parenthesis"))
	require.Error(t, err)
}

func TestStatusField(t *testing.T) {
	t.Parallel()
	status := "Name:\tedupulse\nVmPeak:\t  900000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n"
	v, err := StatusField([]byte(status), "VmRSS")
	require.NoError(t, err)
	assert.Equal(t, int64(51234), v)
	_, err = StatusField([]byte(status), "VmSwap")
	require.Error(t, err)
}

func TestParseOpenFilesLimit(t *testing.T) {
	t.Parallel()
	limits := "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max processes             95000                95000                processes \n" +
		"Max open files            20000                20000                files     \n"
	v, err := ParseOpenFilesLimit([]byte(limits))
	require.NoError(t, err)
	assert.Equal(t, uint64(20000), v)
	_, err = ParseOpenFilesLimit([]byte("Limit Soft Hard\n"))
	require.Error(t, err)
}

func TestParseHost(t *testing.T) {
	t.Parallel()
	stat := "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n"
	h, err := ParseHost([]byte(stat))
	require.NoError(t, err)
	assert.Equal(t, uint64(980), h.Total)
	assert.Equal(t, uint64(160), h.Busy) // all but idle (800) and iowait (20)
	_, err = ParseHost([]byte("intr 1 2 3\n"))
	require.Error(t, err)
}

// The readers work on this very process.
func TestSelf(t *testing.T) {
	t.Parallel()
	pid := os.Getpid()
	m := Start(pid)
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn CPU so that the meter sees some
	}
	u := m.Stop()
	assert.Positive(t, u.Elapsed)
	assert.GreaterOrEqual(t, u.CPU, time.Duration(0))
	rss, err := RSS(pid)
	require.NoError(t, err)
	assert.Positive(t, rss)
	lim, err := OpenFilesLimit(pid)
	require.NoError(t, err)
	assert.Positive(t, lim)
	got, err := RaiseOpenFiles(lim) // never lowers
	require.NoError(t, err)
	assert.GreaterOrEqual(t, got, lim)
}
