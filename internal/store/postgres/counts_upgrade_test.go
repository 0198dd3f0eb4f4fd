package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// TestUpgradeCountsConfidences: the migration that adds the confidence
// counts fills them in from the responses already there.
func TestUpgradeCountsConfidences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testpg.Database(t, migrateUpTo(3)) // before the pulse row counted confidences
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)

	pulseID, other := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{pulseID, other} {
		_, err = conn.Exec(ctx, `INSERT INTO pulses (id, teacher_id, title, created_at, response_count) VALUES ($1, $2, 't', $3, 6)`,
			id, uuid.New(), epochUTC)
		require.NoError(t, err)
	}
	for i, c := range []*int{ptr(1), ptr(3), ptr(3), nil, ptr(5), ptr(5)} {
		_, err = conn.Exec(ctx, `INSERT INTO pulse_responses (id, pulse_id, student_id, answer, confidence, created_at, seq)
			VALUES ($1, $2, $3, 'a', $4, $5, $6)`, uuid.New(), pulseID, uuid.New(), c, epochUTC, i+2)
		require.NoError(t, err)
	}

	s, err := postgres.Open(ctx, url, postgres.Options{})
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

func ptr(i int) *int { return &i }
