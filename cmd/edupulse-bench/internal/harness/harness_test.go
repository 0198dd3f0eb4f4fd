package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	u, err := withDatabase("postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable&dbname=x", "edupulse_bench_1")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u:p@127.0.0.1:5432/edupulse_bench_1?sslmode=disable", u)
	u, err = withDatabase("host=127.0.0.1 user=postgres dbname=postgres", "b")
	require.NoError(t, err)
	assert.Equal(t, "host=127.0.0.1 user=postgres dbname=postgres dbname=b", u)
}

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	m, err := ParseMetrics(strings.NewReader(`# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
edupulse_live_subscriptions 1000
http_requests_total{code="200",path="/query"} 1.5e+06
garbage
`))
	require.NoError(t, err)
	assert.InDelta(t, 42.0, m["go_goroutines"], 0)
	assert.InDelta(t, 1000.0, m["edupulse_live_subscriptions"], 0)
	assert.InDelta(t, 1.5e6, m[`http_requests_total{code="200",path="/query"}`], 0)
	assert.Len(t, m, 3)
}

func TestTail(t *testing.T) {
	t.Parallel()
	tl := &tail{max: 8}
	_, _ = tl.Write([]byte("0123456"))
	_, _ = tl.Write([]byte("789ab"))
	assert.Equal(t, "456789ab", tl.String())
}
