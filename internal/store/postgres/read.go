package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

const (
	defaultLimit = 50
	maxLimit     = 1000
)

func limit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

const pulseColumns = `id, teacher_id, title, description, due_date, created_at, closed_at, response_count,
	confidence_1, confidence_2, confidence_3, confidence_4, confidence_5`

func pulseFields(p *store.Pulse) []any {
	c := &p.Confidences
	return []any{&p.ID, &p.TeacherID, &p.Title, &p.Description, &p.DueDate, &p.CreatedAt, &p.ClosedAt, &p.ResponseCount,
		&c[0], &c[1], &c[2], &c[3], &c[4]}
}

func scanPulse(row pgx.Row, p *store.Pulse) error {
	return row.Scan(pulseFields(p)...)
}

func (s *Store) Pulse(ctx context.Context, id uuid.UUID) (store.Pulse, error) {
	var p store.Pulse
	err := scanPulse(s.pool.QueryRow(ctx, `SELECT `+pulseColumns+` FROM pulses WHERE id = $1`, id), &p)
	return utc(p), translate(err)
}

func (s *Store) PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Pulse, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pulseColumns+` FROM pulses WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[uuid.UUID]store.Pulse, len(ids))
	var p store.Pulse
	_, err = pgx.ForEachRow(rows, pulseFields(&p),
		func() error { out[p.ID] = utc(p); p = store.Pulse{}; return nil })
	return out, translate(err)
}

// PulseStates reads each row and its aggregate's version in one statement:
// one snapshot, in which the unit of work that moved the version also
// moved the row.
func (s *Store) PulseStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.PulseState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pulseColumns+`,
			coalesce((SELECT a.version FROM aggregates a WHERE a.id = pulses.id AND a.type = $2), 0)
		FROM pulses WHERE id = ANY($1)`, ids, event.AggregatePulse)
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[uuid.UUID]store.PulseState, len(ids))
	var st store.PulseState
	_, err = pgx.ForEachRow(rows, append(pulseFields(&st.Pulse), &st.Version),
		func() error { st.Pulse = utc(st.Pulse); out[st.Pulse.ID] = st; st = store.PulseState{}; return nil })
	return out, translate(err)
}

func (s *Store) ListPulses(ctx context.Context, f store.PulseFilter) ([]store.Pulse, error) {
	var (
		q    = `SELECT ` + pulseColumns + ` FROM pulses WHERE ($1::uuid IS NULL OR teacher_id = $1)`
		args = []any{f.TeacherID}
	)
	if f.After != nil {
		q += ` AND (created_at, id) < ($2, $3)`
		args = append(args, f.After.CreatedAt, f.After.ID)
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit(f.Limit))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Pulse, error) {
		var p store.Pulse
		err := scanPulse(row, &p)
		return utc(p), err
	})
	return out, translate(err)
}

const responseColumns = `id, pulse_id, student_id, answer, confidence, created_at, seq`

func scanResponse(row pgx.CollectableRow) (store.Response, error) {
	var (
		r          store.Response
		confidence *int16
	)
	err := row.Scan(&r.ID, &r.PulseID, &r.StudentID, &r.Answer, &confidence, &r.CreatedAt, &r.Seq)
	if confidence != nil {
		c := int(*confidence)
		r.Confidence = &c
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

func (s *Store) ListResponses(ctx context.Context, f store.ResponseFilter) ([]store.Response, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+responseColumns+` FROM pulse_responses
		WHERE pulse_id = $1 AND seq > $2 AND ($3::uuid IS NULL OR student_id = $3)
		ORDER BY seq LIMIT $4`, f.PulseID, f.AfterSeq, f.StudentID, limit(f.Limit))
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, scanResponse)
	return out, translate(err)
}

func (s *Store) ResponsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Response, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+responseColumns+` FROM pulse_responses WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err)
	}
	list, err := pgx.CollectRows(rows, scanResponse)
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[uuid.UUID]store.Response, len(list))
	for _, r := range list {
		out[r.ID] = r
	}
	return out, nil
}

func scanEvent(row pgx.CollectableRow) (event.Envelope, error) {
	var (
		body     []byte
		position *int64
	)
	if err := row.Scan(&body, &position); err != nil {
		return event.Envelope{}, err
	}
	e, err := event.Unmarshal(body)
	if err != nil {
		return event.Envelope{}, err
	}
	if position != nil {
		e.Position = *position
	}
	return e, nil
}

func (s *Store) events(ctx context.Context, q string, args ...any) ([]event.Envelope, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, scanEvent)
	return out, translate(err)
}

func (s *Store) Event(ctx context.Context, id uuid.UUID) (event.Envelope, error) {
	evs, err := s.events(ctx, `SELECT e.body, p.position FROM events e LEFT JOIN event_positions p ON p.event_id = e.id
		WHERE e.id = $1`, id)
	if err != nil {
		return event.Envelope{}, err
	}
	if len(evs) == 0 {
		return event.Envelope{}, store.ErrNotFound
	}
	return evs[0], nil
}

func (s *Store) EventsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]event.Envelope, error) {
	evs, err := s.events(ctx, `SELECT e.body, p.position FROM events e LEFT JOIN event_positions p ON p.event_id = e.id
		WHERE e.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]event.Envelope, len(evs))
	for _, e := range evs {
		out[e.ID] = e
	}
	return out, nil
}

func (s *Store) AggregateEvents(ctx context.Context, aggType event.AggregateType, aggregateID uuid.UUID, afterVersion int64, n int) ([]event.Envelope, error) {
	return s.events(ctx, `SELECT e.body, p.position FROM events e LEFT JOIN event_positions p ON p.event_id = e.id
		WHERE e.aggregate_id = $1 AND e.aggregate_type = $2 AND e.version > $3 ORDER BY e.version LIMIT $4`,
		aggregateID, aggType, afterVersion, limit(n))
}

func (s *Store) AggregateTypes(ctx context.Context, id uuid.UUID) ([]event.AggregateType, error) {
	rows, err := s.pool.Query(ctx, `SELECT type FROM aggregates WHERE id = $1`, id)
	if err != nil {
		return nil, translate(err)
	}
	types, err := pgx.CollectRows(rows, pgx.RowTo[event.AggregateType])
	return types, translate(err)
}

func (s *Store) EventsAfter(ctx context.Context, position int64, n int) ([]event.Envelope, error) {
	return s.events(ctx, `SELECT e.body, p.position FROM event_positions p JOIN events e ON e.id = p.event_id
		WHERE p.position > $1 ORDER BY p.position LIMIT $2`, position, limit(n))
}

// utc normalises times read back: pgx returns them in the local zone.
func utc(p store.Pulse) store.Pulse {
	p.CreatedAt = p.CreatedAt.UTC()
	if p.DueDate != nil {
		t := p.DueDate.UTC()
		p.DueDate = &t
	}
	if p.ClosedAt != nil {
		t := p.ClosedAt.UTC()
		p.ClosedAt = &t
	}
	return p
}

func (s *Store) LastPosition(ctx context.Context) (int64, error) {
	var last int64
	err := s.pool.QueryRow(ctx, `SELECT last_position FROM relay_state`).Scan(&last)
	return last, translate(err)
}
