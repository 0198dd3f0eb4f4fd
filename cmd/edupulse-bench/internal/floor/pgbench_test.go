package floor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func TestReadPgbenchLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "log.1")
	require.NoError(t, os.WriteFile(path, []byte("0 0 1520 0 1700000000 123456\n"+
		"0 1 2480 0 1700000000 125000\n"+
		"1 0 failed 0 1700000000 130000\n"+
		"\n"), 0o600))
	var lat []time.Duration
	ok, failed, err := readPgbenchLog(path, &lat)
	require.NoError(t, err)
	assert.Equal(t, int64(2), ok)
	assert.Equal(t, int64(1), failed)
	assert.Equal(t, []time.Duration{1520 * time.Microsecond, 2480 * time.Microsecond}, lat)
}

// The scripts run against the real schema: every statement is valid and
// writes what the server would.
func TestScriptsRunAgainstTheSchema(t *testing.T) {
	if err := HavePgbench(); err != nil {
		t.Skip(err)
	}
	url := testpg.Database(t, postgres.Migrate)
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	for _, sql := range SeedRespondPulses(4) {
		_, err := st.Pool().Exec(ctx, sql)
		require.NoError(t, err)
	}
	for _, s := range []Script{CreatePulseScript("Exit ticket"), RespondScript("Mostly clear", 2)} {
		r, err := RunPgbench(ctx, url, t.TempDir(), s, 2, 2, time.Second)
		require.NoError(t, err, s.Name)
		assert.Positive(t, r.TPS, s.Name)
		assert.Positive(t, r.Tx, s.Name)
		assert.Zero(t, r.Failed, s.Name)
		assert.Equal(t, int(r.Tx), r.Latency.Count)
	}
	var events, outbox, responses, maxCount int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox),
		(SELECT count(*) FROM pulse_responses), (SELECT max(response_count) FROM pulses)`).Scan(&events, &outbox, &responses, &maxCount))
	assert.Equal(t, events, outbox)
	assert.Positive(t, responses)
	assert.Positive(t, maxCount)
	var badVersions int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM pulse_responses r JOIN aggregates a ON a.id = r.pulse_id
		WHERE r.seq > a.version`).Scan(&badVersions))
	assert.Zero(t, badVersions)
}
