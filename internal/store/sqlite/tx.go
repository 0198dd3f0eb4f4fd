package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// tx is store.Tx over one BEGIN IMMEDIATE transaction. It holds SQLite's
// write lock from its first statement, so plain reads inside it already
// see, and keep, the latest state: no row lock is needed.
type tx struct {
	tx *sql.Tx
}

const pulseColumns = `id, teacher_id, title, description, due_date, created_at, closed_at, response_count,
	confidence_1, confidence_2, confidence_3, confidence_4, confidence_5`

func (t *tx) InsertPulse(ctx context.Context, p store.Pulse) error {
	c := p.Confidences
	_, err := t.tx.ExecContext(ctx, `INSERT INTO pulses (`+pulseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TeacherID, p.Title, nullString(p.Description), nullMillis(p.DueDate),
		millis(p.CreatedAt), nullMillis(p.ClosedAt), p.ResponseCount, c[0], c[1], c[2], c[3], c[4])
	if err != nil {
		return translate("insert pulse", err)
	}
	return nil
}

func (t *tx) LockPulse(ctx context.Context, id uuid.UUID) (store.Pulse, int64, error) {
	p, err := scanPulse(t.tx.QueryRowContext(ctx, `SELECT `+pulseColumns+` FROM pulses WHERE id = ?`, id))
	if err != nil {
		return store.Pulse{}, 0, notFound("pulse", err)
	}
	var version int64
	if err := t.tx.QueryRowContext(ctx, `SELECT coalesce((SELECT version FROM aggregates WHERE id = ? AND type = ?), 0)`,
		id, string(event.AggregatePulse)).
		Scan(&version); err != nil {
		return store.Pulse{}, 0, translate("lock pulse", err)
	}
	return p, version, nil
}

func (t *tx) ClosePulse(ctx context.Context, id uuid.UUID, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE pulses SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, millis(at), id)
	if err != nil {
		return translate("close pulse", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate("close pulse", err)
	} else if n == 1 {
		return nil
	}
	// Nothing updated: tell a missing pulse from a closed one.
	var one int
	err = t.tx.QueryRowContext(ctx, `SELECT 1 FROM pulses WHERE id = ?`, id).Scan(&one)
	if err != nil {
		return notFound("close pulse", err)
	}
	return fmt.Errorf("sqlite: close pulse %s: already closed: %w", id, store.ErrConflict)
}

func (t *tx) EraseActor(ctx context.Context, actorID uuid.UUID) (int, error) {
	var n int64
	for _, q := range []string{
		`UPDATE pulses SET title = ?, description = NULL WHERE teacher_id = ?`,
		`UPDATE pulse_responses SET answer = ? WHERE student_id = ?`,
	} {
		res, err := t.tx.ExecContext(ctx, q, store.ErasedText, actorID)
		if err != nil {
			return 0, translate("erase actor", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, translate("erase actor", err)
		}
		n += k
	}
	return int(n), nil
}

// InsertResponse inserts first so that a missing pulse surfaces as the
// foreign key's ErrNotFound and a second answer as the unique key's
// ErrConflict, before the count is touched.
func (t *tx) InsertResponse(ctx context.Context, r store.Response) error {
	var confidence sql.NullInt64
	if r.Confidence != nil {
		confidence = sql.NullInt64{Int64: int64(*r.Confidence), Valid: true}
	}
	_, err := t.tx.ExecContext(ctx,
		`INSERT INTO pulse_responses (id, pulse_id, student_id, answer, confidence, created_at, seq)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PulseID, r.StudentID, r.Answer, confidence, millis(r.CreatedAt), r.Seq)
	if err != nil {
		return translate("insert response", err)
	}
	if _, err := t.tx.ExecContext(ctx,
		`UPDATE pulses SET response_count = response_count + 1,
			confidence_1 = confidence_1 + (?2 IS 1), confidence_2 = confidence_2 + (?2 IS 2),
			confidence_3 = confidence_3 + (?2 IS 3), confidence_4 = confidence_4 + (?2 IS 4),
			confidence_5 = confidence_5 + (?2 IS 5)
		 WHERE id = ?1`, r.PulseID, confidence); err != nil {
		return translate("count response", err)
	}
	return nil
}

// Append needs no lock of its own: the transaction holds the database's
// write lock, so the version read here cannot move before the commit, and
// concurrent ExpectAny appenders get contiguous versions in turn.
func (t *tx) Append(ctx context.Context, expected int64, evs ...*event.Envelope) error {
	if len(evs) == 0 {
		return nil
	}
	if expected < store.ExpectAny {
		return fmt.Errorf("sqlite: append: invalid expected version %d", expected)
	}
	if err := store.OneAggregate(evs); err != nil {
		return fmt.Errorf("sqlite: append: %w", err)
	}
	aggID, aggType := evs[0].AggregateID, evs[0].AggregateType

	// The aggregate is (id, type): another type's aggregate with this id
	// has a version of its own, not read nor moved here.
	var current int64
	err := t.tx.QueryRowContext(ctx, `SELECT version FROM aggregates WHERE id = ? AND type = ?`,
		aggID, string(aggType)).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return translate("append", err)
	}
	if expected != store.ExpectAny && expected != current {
		return fmt.Errorf("sqlite: append to %s %s: expected version %d, at %d: %w",
			aggType, aggID, expected, current, store.ErrConflict)
	}

	// Encode every event before writing any, on copies, so that a bad
	// event leaves the caller's envelopes as they were.
	bodies := make([]string, len(evs))
	for i, e := range evs {
		c := *e
		c.Version = current + 1 + int64(i)
		b, err := event.Marshal(c)
		if err != nil {
			return fmt.Errorf("sqlite: append: %w", err)
		}
		bodies[i] = string(b)
	}
	for i, e := range evs {
		version := current + 1 + int64(i)
		if _, err := t.tx.ExecContext(ctx,
			`INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, aggID, string(aggType), version, string(e.Type()), e.ActorID,
			millis(e.OccurredAt), bodies[i]); err != nil {
			return translate("append event", err)
		}
		if _, err := t.tx.ExecContext(ctx,
			`INSERT INTO outbox (event_id, aggregate_id, aggregate_type, version, subject) VALUES (?, ?, ?, ?, ?)`,
			e.ID, aggID, string(aggType), version, e.Subject()); err != nil {
			return translate("queue event", err)
		}
	}
	if _, err := t.tx.ExecContext(ctx,
		`INSERT INTO aggregates (id, type, version) VALUES (?, ?, ?)
		 ON CONFLICT (id, type) DO UPDATE SET version = excluded.version`,
		aggID, string(aggType), current+int64(len(evs))); err != nil {
		return translate("append", err)
	}
	for i, e := range evs {
		e.Version = current + 1 + int64(i)
	}
	return nil
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
	}
	return translate(what, err)
}

type scanner interface{ Scan(dest ...any) error }

func scanPulse(row scanner) (store.Pulse, error) {
	var (
		p           store.Pulse
		desc        sql.NullString
		due, closed sql.NullInt64
		created     int64
	)
	c := &p.Confidences
	if err := row.Scan(&p.ID, &p.TeacherID, &p.Title, &desc, &due, &created, &closed, &p.ResponseCount,
		&c[0], &c[1], &c[2], &c[3], &c[4]); err != nil {
		return store.Pulse{}, err
	}
	if desc.Valid {
		p.Description = &desc.String
	}
	p.DueDate, p.ClosedAt, p.CreatedAt = timePtr(due), timePtr(closed), fromMillis(created)
	return p, nil
}
