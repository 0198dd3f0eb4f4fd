package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// The read side runs on the read-only pool. Every read is one statement,
// hence one consistent WAL snapshot, and never waits for the writer.

func (s *Store) Pulse(ctx context.Context, id uuid.UUID) (store.Pulse, error) {
	p, err := scanPulse(s.r.QueryRowContext(ctx, `SELECT `+pulseColumns+` FROM pulses WHERE id = ?`, id))
	if err != nil {
		return store.Pulse{}, notFound("pulse", err)
	}
	return p, nil
}

func (s *Store) PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Pulse, error) {
	out := make(map[uuid.UUID]store.Pulse, len(ids))
	err := s.byID(ctx, "pulses", `SELECT `+pulseColumns+` FROM pulses WHERE id IN (SELECT value FROM json_each(?))`, ids,
		func(rows *sql.Rows) error {
			p, err := scanPulse(rows)
			if err != nil {
				return err
			}
			out[p.ID] = p
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PulseStates reads each row and its aggregate's version in one statement:
// one snapshot, in which the unit of work that moved the version also
// moved the row.
func (s *Store) PulseStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.PulseState, error) {
	out := make(map[uuid.UUID]store.PulseState, len(ids))
	err := s.byID(ctx, "pulse states", `SELECT `+pulseColumns+`,
			coalesce((SELECT a.version FROM aggregates a WHERE a.id = pulses.id AND a.type = '`+string(event.AggregatePulse)+`'), 0)
		FROM pulses WHERE id IN (SELECT value FROM json_each(?))`, ids,
		func(rows *sql.Rows) error {
			var version int64
			p, err := scanPulse(withVersion{rows, &version})
			if err != nil {
				return err
			}
			out[p.ID] = store.PulseState{Pulse: p, Version: version}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// withVersion scans a pulse row followed by a version column.
type withVersion struct {
	row     scanner
	version *int64
}

func (w withVersion) Scan(dest ...any) error { return w.row.Scan(append(dest, w.version)...) }

func (s *Store) ListPulses(ctx context.Context, f store.PulseFilter) ([]store.Pulse, error) {
	var (
		where []string
		args  []any
	)
	if f.TeacherID != nil {
		where = append(where, `teacher_id = ?`)
		args = append(args, *f.TeacherID)
	}
	if f.After != nil {
		// A row value comparison, which SQLite serves from the
		// (created_at DESC, id DESC) indexes.
		where = append(where, `(created_at, id) < (?, ?)`)
		args = append(args, millis(f.After.CreatedAt), f.After.ID)
	}
	q := `SELECT ` + pulseColumns + ` FROM pulses`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit(f.Limit))

	var out []store.Pulse
	err := s.query(ctx, "list pulses", q, args, func(rows *sql.Rows) error {
		p, err := scanPulse(rows)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const responseColumns = `id, pulse_id, student_id, answer, confidence, created_at, seq`

func (s *Store) ListResponses(ctx context.Context, f store.ResponseFilter) ([]store.Response, error) {
	q := `SELECT ` + responseColumns + ` FROM pulse_responses WHERE pulse_id = ? AND seq > ?`
	args := []any{f.PulseID, f.AfterSeq}
	if f.StudentID != nil {
		q += ` AND student_id = ?`
		args = append(args, *f.StudentID)
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, limit(f.Limit))

	var out []store.Response
	err := s.query(ctx, "list responses", q, args, func(rows *sql.Rows) error {
		r, err := scanResponse(rows)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) ResponsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Response, error) {
	out := make(map[uuid.UUID]store.Response, len(ids))
	err := s.byID(ctx, "responses", `SELECT `+responseColumns+` FROM pulse_responses WHERE id IN (SELECT value FROM json_each(?))`, ids,
		func(rows *sql.Rows) error {
			r, err := scanResponse(rows)
			if err != nil {
				return err
			}
			out[r.ID] = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) Event(ctx context.Context, id uuid.UUID) (event.Envelope, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT body, position FROM events WHERE id = ?`, id))
	if err != nil {
		return event.Envelope{}, notFound("event", err)
	}
	return e, nil
}

func (s *Store) EventsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]event.Envelope, error) {
	out := make(map[uuid.UUID]event.Envelope, len(ids))
	err := s.byID(ctx, "events", `SELECT body, position FROM events WHERE id IN (SELECT value FROM json_each(?))`, ids,
		func(rows *sql.Rows) error {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			out[e.ID] = e
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) AggregateEvents(ctx context.Context, aggType event.AggregateType, aggregateID uuid.UUID, afterVersion int64, n int) ([]event.Envelope, error) {
	return s.events(ctx, "aggregate events",
		`SELECT body, position FROM events WHERE aggregate_id = ? AND aggregate_type = ? AND version > ?
		 ORDER BY version LIMIT ?`,
		aggregateID, string(aggType), afterVersion, limit(n))
}

func (s *Store) AggregateTypes(ctx context.Context, id uuid.UUID) ([]event.AggregateType, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT type FROM aggregates WHERE id = ?`, id)
	if err != nil {
		return nil, translate("aggregate types", err)
	}
	defer rows.Close()
	var types []event.AggregateType
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, translate("aggregate types", err)
		}
		types = append(types, event.AggregateType(t))
	}
	if err := rows.Err(); err != nil {
		return nil, translate("aggregate types", err)
	}
	return types, nil
}

func (s *Store) EventsAfter(ctx context.Context, position int64, n int) ([]event.Envelope, error) {
	return s.events(ctx, "events after",
		`SELECT body, position FROM events WHERE position IS NOT NULL AND position > ? ORDER BY position LIMIT ?`,
		position, limit(n))
}

func (s *Store) events(ctx context.Context, what, q string, args ...any) ([]event.Envelope, error) {
	var out []event.Envelope
	err := s.query(ctx, what, q, args, func(rows *sql.Rows) error {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// byID runs q, whose one parameter is the ids as a JSON array.
func (s *Store) byID(ctx context.Context, what, q string, ids []uuid.UUID, each func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := idList(ids)
	if err != nil {
		return fmt.Errorf("sqlite: %s by id: %w", what, err)
	}
	return s.query(ctx, what+" by id", q, []any{list}, each)
}

func (s *Store) query(ctx context.Context, what, q string, args []any, each func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return translate(what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return translate(what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return translate(what, err)
	}
	return nil
}

func scanResponse(row scanner) (store.Response, error) {
	var (
		r          store.Response
		confidence sql.NullInt64
		created    int64
	)
	if err := row.Scan(&r.ID, &r.PulseID, &r.StudentID, &r.Answer, &confidence, &created, &r.Seq); err != nil {
		return store.Response{}, err
	}
	if confidence.Valid {
		c := int(confidence.Int64)
		r.Confidence = &c
	}
	r.CreatedAt = fromMillis(created)
	return r, nil
}

// scanEvent decodes the stored body, the one source of truth for the
// envelope; the other columns only serve lookups and ordering.
func scanEvent(row scanner) (event.Envelope, error) {
	var (
		body     []byte
		position sql.NullInt64
	)
	if err := row.Scan(&body, &position); err != nil {
		return event.Envelope{}, err
	}
	e, err := event.Unmarshal(body)
	if err != nil {
		return event.Envelope{}, err
	}
	e.Position = position.Int64
	return e, nil
}

func (s *Store) LastPosition(ctx context.Context) (int64, error) {
	var last int64
	err := s.r.QueryRowContext(ctx, `SELECT last_position FROM relay_state WHERE singleton = 1`).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("last position: %w", err)
	}
	return last, nil
}
