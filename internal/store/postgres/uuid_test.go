package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// uuid.UUID and uuid.NullUUID go to PostgreSQL as the ids they are, alone
// and in arrays, with a NullUUID that is not Valid as NULL.
func TestUUIDParameters(t *testing.T) {
	t.Parallel()
	s := open(t)
	id, other := uuid.New(), uuid.New()
	var (
		text      string
		null      *string
		inArray   bool
		asNullOne string
	)
	err := s.Pool().QueryRow(context.Background(),
		`SELECT $1::uuid::text, $2::uuid::text, $1::uuid = ANY($3::uuid[]), $4::uuid::text`,
		id, uuid.NullUUID{}, []uuid.UUID{other, id}, uuid.NullUUID{UUID: other, Valid: true}).
		Scan(&text, &null, &inArray, &asNullOne)
	require.NoError(t, err)
	require.Equal(t, id.String(), text)
	require.Nil(t, null)
	require.True(t, inArray)
	require.Equal(t, other.String(), asNullOne)
}
