package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// errReleased is returned by an Outbox used after Release.
var errReleased = errors.New("sqlite: outbox right already released")

// AcquireOutbox takes the Store's outbox right. The right is in-process:
// an embedded database has one server process. (Were a second process to
// tail the same file, Claim would still hand out each position once, being
// a write transaction; the two could only publish the same entries twice,
// which the bus stores once per event id.)
func (s *Store) AcquireOutbox(ctx context.Context) (store.Outbox, error) {
	select {
	case s.outbox <- struct{}{}:
		return &outbox{s: s}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type outbox struct {
	s *Store

	mu       sync.Mutex
	released bool
}

func (o *outbox) Release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.released {
		o.released = true
		<-o.s.outbox
	}
}

func (o *outbox) held() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.released {
		return errReleased
	}
	return nil
}

// Claim numbers unclaimed entries in seq order, which is commit order since
// writers are serialised, so a late commit cannot be skipped and each
// aggregate's versions stay in order. It numbers only as many as the batch
// can take, keeping the work per call bounded however long the backlog.
func (o *outbox) Claim(ctx context.Context, n int) ([]store.OutboxEntry, error) {
	return o.ClaimAfter(ctx, 0, n)
}

func (o *outbox) ClaimAfter(ctx context.Context, after int64, n int) (_ []store.OutboxEntry, err error) {
	if err := o.held(); err != nil {
		return nil, err
	}
	n = limit(n)
	tx, err := o.s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim: begin: %w", err)
	}
	defer func() {
		if err != nil {
			if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				err = errors.Join(err, fmt.Errorf("sqlite: claim: rollback: %w", rbErr))
			}
		}
	}()

	var claimed int
	if err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM outbox WHERE position > ?`, after).Scan(&claimed); err != nil {
		return nil, translate("claim", err)
	}
	if need := n - claimed; need > 0 {
		var last int64
		if err := tx.QueryRowContext(ctx,
			`SELECT last_position FROM relay_state WHERE singleton = 1`).Scan(&last); err != nil {
			return nil, translate("claim", err)
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE outbox SET position = ? + next.n
			 FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n
			       FROM outbox WHERE position IS NULL ORDER BY seq LIMIT ?) AS next
			 WHERE outbox.seq = next.seq`, last, need)
		if err != nil {
			return nil, translate("claim", err)
		}
		numbered, err := res.RowsAffected()
		if err != nil {
			return nil, translate("claim", err)
		}
		if numbered > 0 {
			if _, err := tx.ExecContext(ctx,
				`UPDATE events SET position = outbox.position
				 FROM outbox WHERE outbox.event_id = events.id AND outbox.position > ?`, last); err != nil {
				return nil, translate("claim", err)
			}
			if _, err := tx.ExecContext(ctx,
				`UPDATE relay_state SET last_position = ? WHERE singleton = 1`, last+numbered); err != nil {
				return nil, translate("claim", err)
			}
		}
	}

	rows, err := tx.QueryContext(ctx,
		`SELECT o.event_id, o.aggregate_id, o.aggregate_type, o.version, o.position, o.subject, e.body, coalesce(o.traceparent, '')
		 FROM outbox o JOIN events e ON e.id = o.event_id
		 WHERE o.position > ? ORDER BY o.position LIMIT ?`, after, n)
	if err != nil {
		return nil, translate("claim", err)
	}
	defer rows.Close()
	var out []store.OutboxEntry
	for rows.Next() {
		var (
			e    store.OutboxEntry
			body string
		)
		var aggType string
		if err := rows.Scan(&e.EventID, &e.AggregateID, &aggType, &e.Version, &e.Position, &e.Subject, &body, &e.TraceParent); err != nil {
			return nil, translate("claim", err)
		}
		e.Body, e.AggregateType = []byte(body), event.AggregateType(aggType)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("claim", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, translate("claim: commit", err)
	}
	return out, nil
}

func (o *outbox) Ack(ctx context.Context, eventIDs []uuid.UUID) error {
	if err := o.held(); err != nil {
		return err
	}
	if len(eventIDs) == 0 {
		return nil
	}
	list, err := idList(eventIDs)
	if err != nil {
		return fmt.Errorf("sqlite: ack: %w", err)
	}
	if _, err := o.s.w.ExecContext(ctx,
		`DELETE FROM outbox WHERE event_id IN (SELECT value FROM json_each(?))`, list); err != nil {
		return translate("ack", err)
	}
	return nil
}

func (o *outbox) Pending(ctx context.Context) (int, time.Duration, error) {
	var (
		count  int
		oldest sql.NullInt64
	)
	if err := o.s.r.QueryRowContext(ctx,
		`SELECT COUNT(*), MIN(created_at) FROM outbox`).Scan(&count, &oldest); err != nil {
		return 0, 0, translate("pending", err)
	}
	if !oldest.Valid {
		return count, 0, nil
	}
	return count, max(0, time.Since(fromMillis(oldest.Int64))), nil
}
