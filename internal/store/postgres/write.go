package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Write runs fn as one transaction. Statements that need no answer are
// queued and sent in one pipelined batch with the next statement that does,
// or with the commit; BEGIN and COMMIT ride in those batches too. A unit of
// work whose statements all go out at the end (a new pulse, its event and
// outbox row) is one round trip: one batch, which PostgreSQL runs as one
// implicit transaction, all or nothing, with no BEGIN or COMMIT at all.
//
// A unit of work the database aborted for reasons of its own (a deadlock,
// a serialization failure, a restart) is run again, fn included, with a
// bounded, jittered backoff (see retry.go); fn must therefore leave nothing
// behind but what it writes through tx.
func (s *Store) Write(ctx context.Context, idem *store.Idempotency, fn func(context.Context, store.Tx) (store.Outcome, error)) (store.Outcome, bool, error) {
	r := newRetrier(s.retry)
	for {
		out, replayed, committing, lost, err := s.writeOnce(ctx, idem, fn)
		if err == nil {
			return out, replayed, nil
		}
		switch failureOf(err, committing, lost) {
		case failRetry:
		case failUnknown:
			if idem == nil {
				return store.Outcome{}, false, fmt.Errorf("%w: %w", store.ErrOutcomeUnknown, redact(err))
			}
			// The key was claimed in the same transaction: if the commit
			// went through, the next attempt finds its outcome and replays it.
		default:
			return store.Outcome{}, false, translate(err)
		}
		if !r.wait(ctx) {
			return store.Outcome{}, false, fmt.Errorf("%w after %d attempts: %w", store.ErrUnavailable, r.attempts, redact(err))
		}
	}
}

// writeOnce is one attempt of Write. committing reports whether the batch
// that commits had been sent when err happened: past that point a lost
// connection leaves the outcome unknown; lost, whether the connection was
// closed under the attempt. Errors are returned untranslated where they
// are the driver's, so that Write can tell a transient failure from a
// domain one.
func (s *Store) writeOnce(ctx context.Context, idem *store.Idempotency, fn func(context.Context, store.Tx) (store.Outcome, error)) (out store.Outcome, replayed, committing, lost bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return out, false, false, false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	w := &writeTx{conn: conn.Conn()}
	if s.onAttempt != nil {
		s.onAttempt(w.conn.PgConn().PID())
	}
	defer func() {
		if err != nil {
			committing, lost = w.committing, w.conn.IsClosed()
			w.abort()
		}
	}()

	if idem != nil {
		prior, found, err := w.claimKey(ctx, idem)
		if err != nil || found {
			return prior, found, false, false, err
		}
	}
	out, err = fn(ctx, w)
	if err != nil {
		return store.Outcome{}, false, false, false, err
	}
	if idem != nil {
		raw, err := json.Marshal(out)
		if err != nil {
			return store.Outcome{}, false, false, false, err
		}
		w.batch.Queue(`UPDATE idempotency_keys SET outcome = $3 WHERE actor_id = $1 AND key = $2`,
			idem.ActorID, idem.Key, raw)
	}
	if err := w.commit(ctx); err != nil {
		return store.Outcome{}, false, false, false, err
	}
	return out, false, false, false, nil
}

// claimKey inserts the idempotency key first: a concurrent duplicate then
// waits on the key's unique index until the first request commits, and
// finds its outcome instead of doing the work again.
func (w *writeTx) claimKey(ctx context.Context, idem *store.Idempotency) (store.Outcome, bool, error) {
	var inserted int64
	w.batch.Queue(`INSERT INTO idempotency_keys (actor_id, key, fingerprint) VALUES ($1, $2, $3)
		ON CONFLICT (actor_id, key) DO NOTHING`, idem.ActorID, idem.Key, idem.Fingerprint).
		Exec(func(tag pgconn.CommandTag) error { inserted = tag.RowsAffected(); return nil })
	if err := w.flush(ctx); err != nil {
		return store.Outcome{}, false, fmt.Errorf("idempotency key: %w", err)
	}
	if inserted == 1 {
		return store.Outcome{}, false, nil
	}
	var (
		fingerprint string
		raw         []byte
	)
	w.batch.Queue(`SELECT fingerprint, outcome FROM idempotency_keys WHERE actor_id = $1 AND key = $2`,
		idem.ActorID, idem.Key).QueryRow(func(row pgx.Row) error { return row.Scan(&fingerprint, &raw) })
	if err := w.flush(ctx); err != nil {
		return store.Outcome{}, false, fmt.Errorf("idempotency key: %w", err)
	}
	if fingerprint != idem.Fingerprint {
		return store.Outcome{}, false, store.ErrIdempotencyKeyReused
	}
	var out store.Outcome
	if err := json.Unmarshal(raw, &out); err != nil {
		return store.Outcome{}, false, fmt.Errorf("idempotency outcome: %w", err)
	}
	return out, true, nil
}

type writeTx struct {
	conn  *pgx.Conn
	batch pgx.Batch
	// begun: a BEGIN has been sent, and the transaction block is open.
	begun bool
	// committing: the batch that commits (the COMMIT, or the whole implicit
	// transaction) has been handed to the connection.
	committing bool
}

// flush sends the queued statements in one round trip, opening the
// transaction with them if it is not open yet; the first error of any of
// them (already translated by its callback) is returned.
func (w *writeTx) flush(ctx context.Context) error {
	if w.batch.Len() == 0 {
		return nil
	}
	if !w.begun {
		w.prepend(`BEGIN`)
		w.begun = true
	}
	return w.send(ctx)
}

// commit sends what is queued with the COMMIT; without a transaction block
// open, the batch is its own (implicit) transaction.
func (w *writeTx) commit(ctx context.Context) error {
	if w.begun {
		// A statement of this batch that fails aborts the block, and the
		// COMMIT then rolls back: the statement's error is what returns.
		w.batch.Queue(`COMMIT`)
	}
	w.committing = true
	if err := w.send(ctx); err != nil {
		return err
	}
	w.begun = false
	return nil
}

func (w *writeTx) send(ctx context.Context) error {
	b := w.batch
	w.batch = pgx.Batch{}
	return translate(w.conn.SendBatch(ctx, &b).Close())
}

func (w *writeTx) prepend(sql string) {
	queued := w.batch.QueuedQueries
	w.batch = pgx.Batch{}
	w.batch.Queue(sql)
	w.batch.QueuedQueries = append(w.batch.QueuedQueries, queued...)
}

// abort ends a transaction block left open by a failure. A connection that
// cannot say ROLLBACK is closed: the pool then drops it rather than hand
// out a connection inside a transaction.
func (w *writeTx) abort() {
	if !w.begun {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.conn.Exec(ctx, `ROLLBACK`); err != nil {
		_ = w.conn.Close(ctx)
	}
}

func (w *writeTx) InsertPulse(_ context.Context, p store.Pulse) error {
	w.batch.Queue(`INSERT INTO pulses (id, teacher_id, title, description, due_date, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.TeacherID, p.Title, p.Description, p.DueDate, p.CreatedAt)
	return nil
}

func (w *writeTx) LockPulse(ctx context.Context, id uuid.UUID) (store.Pulse, int64, error) {
	var (
		p       store.Pulse
		version int64
	)
	w.batch.Queue(`SELECT `+pulseColumns+` FROM pulses WHERE id = $1 FOR UPDATE`, id).
		QueryRow(func(row pgx.Row) error { return translate(scanPulse(row, &p)) })
	// A statement of its own, after the lock: its snapshot then sees what
	// the lock's previous holder committed (a join in the locking statement
	// would read the aggregate as it was before waiting).
	w.batch.Queue(`SELECT coalesce((SELECT version FROM aggregates WHERE id = $1 AND type = $2), 0)`,
		id, event.AggregatePulse).
		QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	err := w.flush(ctx)
	return utc(p), version, err
}

func (w *writeTx) ClosePulse(_ context.Context, id uuid.UUID, at time.Time) error {
	w.batch.Queue(`UPDATE pulses SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL`, id, at).
		Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("%w: pulse %s is closed or missing", store.ErrConflict, id)
			}
			return nil
		})
	return nil
}

func (w *writeTx) EraseActor(ctx context.Context, actorID uuid.UUID) (int, error) {
	var pulses, answers int64
	w.batch.Queue(`UPDATE pulses SET title = $2, description = NULL WHERE teacher_id = $1`, actorID, store.ErasedText).
		Exec(func(tag pgconn.CommandTag) error { pulses = tag.RowsAffected(); return nil })
	w.batch.Queue(`UPDATE pulse_responses SET answer = $2 WHERE student_id = $1`, actorID, store.ErasedText).
		Exec(func(tag pgconn.CommandTag) error { answers = tag.RowsAffected(); return nil })
	if err := w.flush(ctx); err != nil {
		return 0, fmt.Errorf("erase actor: %w", err)
	}
	return int(pulses + answers), nil
}

func (w *writeTx) InsertResponse(_ context.Context, r store.Response) error {
	w.batch.Queue(`INSERT INTO pulse_responses (id, pulse_id, student_id, answer, confidence, created_at, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.PulseID, r.StudentID, r.Answer, r.Confidence, r.CreatedAt, r.Seq)
	// One statement for every confidence (and none), so that it is prepared
	// once: each column adds 1 only when it is the response's.
	w.batch.Queue(`UPDATE pulses SET response_count = response_count + 1,
		confidence_1 = confidence_1 + (CASE WHEN $2::int = 1 THEN 1 ELSE 0 END),
		confidence_2 = confidence_2 + (CASE WHEN $2::int = 2 THEN 1 ELSE 0 END),
		confidence_3 = confidence_3 + (CASE WHEN $2::int = 3 THEN 1 ELSE 0 END),
		confidence_4 = confidence_4 + (CASE WHEN $2::int = 4 THEN 1 ELSE 0 END),
		confidence_5 = confidence_5 + (CASE WHEN $2::int = 5 THEN 1 ELSE 0 END)
		WHERE id = $1`, r.PulseID, r.Confidence)
	return nil
}

// Append assigns versions under the aggregate row's lock. With an exact or
// "new" expectation the versions are known before asking, so the version
// check rides in the same batch as the inserts; with "any" the current
// version must come back first. The aggregate row is keyed by (id, type),
// so the lock and the version are those of this type's aggregate only.
func (w *writeTx) Append(ctx context.Context, expected int64, evs ...*event.Envelope) error {
	if len(evs) == 0 {
		return nil
	}
	if err := store.OneAggregate(evs); err != nil {
		return fmt.Errorf("append: %w", err)
	}
	agg, aggType := evs[0].AggregateID, evs[0].AggregateType
	n := int64(len(evs))
	var last int64
	switch {
	case expected == store.ExpectAny:
		w.batch.Queue(`INSERT INTO aggregates (id, type, version) VALUES ($1, $2, $3)
			ON CONFLICT (id, type) DO UPDATE SET version = aggregates.version + EXCLUDED.version
			RETURNING version`, agg, aggType, n).
			QueryRow(func(row pgx.Row) error { return row.Scan(&last) })
		if err := w.flush(ctx); err != nil {
			return fmt.Errorf("append: %w", err)
		}
	case expected == store.ExpectNew:
		last = n
		w.batch.Queue(`INSERT INTO aggregates (id, type, version) VALUES ($1, $2, $3)`, agg, aggType, n)
	case expected > 0:
		last = expected + n
		// Checked by the server: a version that did not move aborts the
		// batch, inserts and all (see edupulse_expect_version).
		w.batch.Queue(`WITH moved AS (
				UPDATE aggregates SET version = $4 WHERE id = $1 AND type = $2 AND version = $3 RETURNING 1)
			SELECT edupulse_expect_version(EXISTS (SELECT FROM moved))`, agg, aggType, expected, last)
	default:
		return fmt.Errorf("append: invalid expected version %d", expected)
	}
	for i, e := range evs {
		e.Version = last - n + 1 + int64(i)
		body, err := event.Marshal(*e)
		if err != nil {
			return fmt.Errorf("append: %w", err)
		}
		w.batch.Queue(`INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			e.ID, e.AggregateID, e.AggregateType, e.Version, e.Type(), e.ActorID, e.OccurredAt, body)
		w.batch.Queue(`INSERT INTO outbox (event_id, aggregate_id, aggregate_type, version, subject) VALUES ($1, $2, $3, $4, $5)`,
			e.ID, e.AggregateID, e.AggregateType, e.Version, e.Subject())
	}
	return nil
}
