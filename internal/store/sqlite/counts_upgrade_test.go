package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/store/sqlite"
)

// TestUpgradeCountsConfidences: the migration that adds the confidence
// counts fills them in from the responses already there.
func TestUpgradeCountsConfidences(t *testing.T) {
	ctx := context.Background()
	path, db := migratedUpTo(t, 2) // before the pulse row counted confidences
	var err error

	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).UnixMilli()
	pulseID, other := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{pulseID, other} {
		_, err = db.ExecContext(ctx, `INSERT INTO pulses (id, teacher_id, title, created_at, response_count) VALUES (?, ?, 't', ?, 6)`,
			id.String(), uuid.NewString(), at)
		require.NoError(t, err)
	}
	for i, c := range []any{1, 3, 3, nil, 5, 5} {
		_, err = db.ExecContext(ctx, `INSERT INTO pulse_responses (id, pulse_id, student_id, answer, confidence, created_at, seq)
			VALUES (?, ?, ?, 'a', ?, ?, ?)`, uuid.NewString(), pulseID.String(), uuid.NewString(), c, at, i+2)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Pulse(ctx, pulseID)
	require.NoError(t, err)
	require.Equal(t, [5]int{1, 0, 2, 0, 2}, got.Confidences)
	require.Equal(t, 6, got.ResponseCount)
	none, err := s.Pulse(ctx, other)
	require.NoError(t, err)
	require.Equal(t, [5]int{}, none.Confidences)
}
