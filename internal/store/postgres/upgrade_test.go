package postgres_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
	"github.com/edupulse/edupulse-live/migrations"
)

var epochUTC = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// migrateUpTo returns a testpg migration that applies the migrations up
// to version, for a database as an older release left it.
func migrateUpTo(version int64) func(ctx context.Context, url string) error {
	return func(ctx context.Context, url string) error {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return err
		}
		db := stdlib.OpenDB(*cfg)
		defer db.Close()
		fsys, err := fs.Sub(migrations.Postgres, "postgres")
		if err != nil {
			return err
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
		if err != nil {
			return err
		}
		_, err = p.UpTo(ctx, version)
		return err
	}
}

// TestUpgradeSeparatesAggregates: history written while aggregates were
// keyed by id alone, with a quiz appended into a pulse (version 2 of the
// pulse's id), is carried over with the quiz as an aggregate of its own;
// the pulse keeps its version, so no version of that id is handed out
// twice to the pulse.
func TestUpgradeSeparatesAggregates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testpg.Database(t, migrateUpTo(2)) // aggregates keyed by id alone
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)

	teacher, student := uuid.New(), uuid.New()
	pulseID := uuid.New()
	created := event.New(event.LearningPulseCreated{PulseID: pulseID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epochUTC)
	quiz := event.New(event.QuizSubmitted{QuizID: pulseID, StudentID: student, ScorePercentage: 10}, event.Meta{ActorID: student}, epochUTC)
	closed := event.New(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher}, event.Meta{ActorID: teacher}, epochUTC)
	_, err = conn.Exec(ctx, `INSERT INTO pulses (id, teacher_id, title, created_at, closed_at) VALUES ($1, $2, 't', $3, $3)`,
		pulseID, teacher, epochUTC)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO aggregates (id, type, version) VALUES ($1, 'pulse', 3)`, pulseID)
	require.NoError(t, err)
	for i, ev := range []*event.Envelope{&created, &quiz, &closed} {
		ev.Version = int64(i + 1)
		body, err := event.Marshal(*ev)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ev.ID, pulseID, ev.AggregateType, ev.Version, ev.Type(), ev.ActorID, ev.OccurredAt, body)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `INSERT INTO outbox (event_id, aggregate_id, version, subject) VALUES ($1, $2, $3, $4)`,
			ev.ID, pulseID, ev.Version, ev.Subject())
		require.NoError(t, err)
	}

	require.NoError(t, postgres.Migrate(ctx, url))
	s, err := postgres.Open(ctx, url, postgres.Options{})
	require.NoError(t, err)
	defer s.Close()

	pulseEvents, err := s.AggregateEvents(ctx, event.AggregatePulse, pulseID, 0, 10)
	require.NoError(t, err)
	require.Equal(t, []event.Envelope{created, closed}, pulseEvents)
	quizEvents, err := s.AggregateEvents(ctx, event.AggregateQuiz, pulseID, 0, 10)
	require.NoError(t, err)
	require.Equal(t, []event.Envelope{quiz}, quizEvents)

	next := func(p event.Payload) int64 {
		ev := event.New(p, event.Meta{}, epochUTC)
		_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{}, tx.Append(ctx, store.ExpectAny, &ev)
		})
		require.NoError(t, err)
		return ev.Version
	}
	require.EqualValues(t, 4, next(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher}),
		"the pulse continues after every version its id had")
	require.EqualValues(t, 3, next(event.QuizSubmitted{QuizID: pulseID, StudentID: student}),
		"the quiz continues after its own last version")

	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()
	entries, err := ob.Claim(ctx, 10)
	require.NoError(t, err)
	require.Len(t, entries, 5)
	for _, e := range entries {
		decoded, err := event.Unmarshal(e.Body)
		require.NoError(t, err)
		require.Equal(t, decoded.AggregateType, e.AggregateType, "outbox entries carried over with their type")
	}
}
