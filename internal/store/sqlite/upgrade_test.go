package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/migrations"
)

// migratedUpTo opens a new database file with the migrations up to
// version applied, as an older release left it.
func migratedUpTo(t *testing.T, version int64) (path string, db *sql.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "edupulse.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	require.NoError(t, err)
	fsys, err := fs.Sub(migrations.SQLite, "sqlite")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	require.NoError(t, err)
	_, err = p.UpTo(context.Background(), version)
	require.NoError(t, err)
	return path, db
}

// TestUpgradeSeparatesAggregates: history written while aggregates were
// keyed by id alone, with a quiz appended into a pulse (version 2 of the
// pulse's id), is carried over with the quiz as an aggregate of its own;
// the pulse keeps its version, and the outbox its entries, their order
// and its sequence.
func TestUpgradeSeparatesAggregates(t *testing.T) {
	ctx := context.Background()
	path, db := migratedUpTo(t, 1) // aggregates keyed by id alone
	var err error

	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	teacher, student, pulseID := uuid.New(), uuid.New(), uuid.New()
	created := event.New(event.LearningPulseCreated{PulseID: pulseID, TeacherID: teacher}, event.Meta{ActorID: teacher}, at)
	quiz := event.New(event.QuizSubmitted{QuizID: pulseID, StudentID: student, ScorePercentage: 10}, event.Meta{ActorID: student}, at)
	closed := event.New(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher}, event.Meta{ActorID: teacher}, at)
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := db.ExecContext(ctx, q, args...)
		require.NoError(t, err)
	}
	exec(`INSERT INTO pulses (id, teacher_id, title, created_at, closed_at) VALUES (?, ?, 't', ?, ?)`,
		pulseID.String(), teacher.String(), at.UnixMilli(), at.UnixMilli())
	exec(`INSERT INTO aggregates (id, type, version) VALUES (?, 'pulse', 3)`, pulseID.String())
	for i, ev := range []*event.Envelope{&created, &quiz, &closed} {
		ev.Version = int64(i + 1)
		body, err := event.Marshal(*ev)
		require.NoError(t, err)
		exec(`INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ev.ID.String(), pulseID.String(), string(ev.AggregateType), ev.Version,
			string(ev.Type()), ev.ActorID.UUID.String(), at.UnixMilli(), string(body))
		exec(`INSERT INTO outbox (seq, event_id, aggregate_id, version, subject) VALUES (?, ?, ?, ?, ?)`,
			100+i, ev.ID.String(), pulseID.String(), ev.Version, ev.Subject())
	}
	exec(`DELETE FROM outbox WHERE event_id = ?`, closed.ID.String()) // acknowledged
	require.NoError(t, db.Close())

	s := open(t, path)
	pulseEvents, err := s.AggregateEvents(ctx, event.AggregatePulse, pulseID, 0, 10)
	require.NoError(t, err)
	require.Equal(t, []event.Envelope{created, closed}, pulseEvents)
	quizEvents, err := s.AggregateEvents(ctx, event.AggregateQuiz, pulseID, 0, 10)
	require.NoError(t, err)
	require.Equal(t, []event.Envelope{quiz}, quizEvents)

	next := func(p event.Payload) int64 {
		ev := event.New(p, event.Meta{}, at)
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
	require.Len(t, entries, 4, "two carried over, two new")
	require.Equal(t, []uuid.UUID{created.ID, quiz.ID}, []uuid.UUID{entries[0].EventID, entries[1].EventID})
	for _, e := range entries {
		decoded, err := event.Unmarshal(e.Body)
		require.NoError(t, err)
		require.Equal(t, decoded.AggregateType, e.AggregateType, "outbox entries carried over with their type")
	}
	require.NoError(t, ob.Ack(ctx, []uuid.UUID{entries[0].EventID, entries[1].EventID, entries[2].EventID, entries[3].EventID}))

	// The rebuilt outbox still refers to events, and its sequence went on
	// from where the old one was (102), never reusing a seq.
	s.Close()
	db, err = sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var seq int64
	require.NoError(t, db.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'outbox'`).Scan(&seq))
	require.EqualValues(t, 104, seq)
	var ddl string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'outbox'`).Scan(&ddl))
	require.Contains(t, ddl, `REFERENCES "events"`)
}
