package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/edupulse/edupulse-live/internal/store"
)

// relayLockKey is the advisory lock that elects the one relay per database.
const relayLockKey int64 = 0x6564757075_6c7365 // "edupulse"

// AcquireOutbox opens a dedicated connection and waits on the relay's
// advisory lock. The lock is a session lock: when the holder's process or
// connection dies, the server releases it and a standby takes over, and a
// claim in flight on the dead connection is rolled back with it.
func (s *Store) AcquireOutbox(ctx context.Context) (store.Outbox, error) {
	conn, err := pgx.ConnectConfig(ctx, s.outboxConfig)
	if err != nil {
		return nil, fmt.Errorf("outbox connection: %w", redact(err))
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, relayLockKey); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("outbox lock: %w", err)
	}
	return &outbox{conn: conn}, nil
}

type outbox struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// claimable selects unclaimed entries that are safe to publish now.
//
// Commit safety: tx_id < xmin of the current snapshot means the writing
// transaction is no longer running, so no row can still appear below that
// line. A row written by a transaction that started earlier but commits
// later keeps the line (xmin) below itself until it commits: it is waited
// for, never skipped.
//
// Aggregate order: xid order is not version order (a transaction may take
// its xid, then wait for the aggregate's lock behind a younger one). A row
// is held back while an earlier version of its aggregate is unclaimed and
// not in this batch; within the batch Claim sorts each aggregate's rows by
// version.
//
// The check is a LATERAL subquery with LIMIT 1, not a NOT EXISTS: once the
// statistics see a backlog, the planner turns NOT EXISTS into a hash
// anti-join that reads the whole unclaimed outbox on every claim (45 ms
// per batch of 256 with 50,000 pending), while the LIMIT keeps it one
// probe of outbox_aggregate_idx per candidate (2 ms).
const claimable = `
WITH cand AS (
    SELECT o.event_id, o.aggregate_id, o.version, o.tx_id, o.seq
    FROM outbox o
    WHERE o.position IS NULL
      AND o.tx_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY o.tx_id, o.seq
    LIMIT $1
)
SELECT c.event_id, c.aggregate_id, c.version
FROM cand c
LEFT JOIN LATERAL (
    SELECT true AS held
    FROM outbox p
    WHERE p.aggregate_id = c.aggregate_id
      AND p.version < c.version
      AND p.position IS NULL
      AND p.event_id NOT IN (SELECT event_id FROM cand)
    LIMIT 1
) earlier ON true
WHERE earlier.held IS NULL
ORDER BY c.tx_id, c.seq`

type claimRow struct {
	eventID, aggregateID uuid.UUID
	version              int64
}

// Claim tops the claimed entries up to n and returns them in position
// order. Its queries are made to walk their indexes and stop after n
// rows, whatever the outbox holds: the outbox is a queue whose statistics
// are always stale (a backlog written since the last ANALYZE looks empty
// to the planner, which then reads and sorts the whole backlog on every
// claim — a bitmap scan of outbox_unclaimed_idx and a top-N sort instead
// of an index scan in claim order — and a drain costs time quadratic in
// the backlog). Hence the bounded count, the LIMITed LATERAL probe in
// claimable, and bitmap scans turned off for the claim's transaction only.
func (o *outbox) Claim(ctx context.Context, n int) ([]store.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n <= 0 {
		n = 256
	}
	var entries []store.OutboxEntry
	err := pgx.BeginFunc(ctx, o.conn, func(tx pgx.Tx) error {
		var claimed int
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL enable_bitmapscan = off`)
		b.Queue(`SELECT count(*) FROM (SELECT 1 FROM outbox WHERE position IS NOT NULL ORDER BY position LIMIT $1) c`, n).
			QueryRow(func(row pgx.Row) error { return row.Scan(&claimed) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if claimed < n {
			if err := assignPositions(ctx, tx, n-claimed); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT o.event_id, o.aggregate_id, o.version, o.position, o.subject, e.body
			FROM outbox o JOIN events e ON e.id = o.event_id
			WHERE o.position IS NOT NULL ORDER BY o.position LIMIT $1`, n)
		if err != nil {
			return err
		}
		entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OutboxEntry, error) {
			var e store.OutboxEntry
			err := row.Scan(&e.EventID, &e.AggregateID, &e.Version, &e.Position, &e.Subject, &e.Body)
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", translate(err))
	}
	return entries, nil
}

// assignPositions gives the next contiguous positions to claimable rows.
// The counter row is updated inside the same transaction, so positions
// become visible in increasing order with no gap.
func assignPositions(ctx context.Context, tx pgx.Tx, n int) error {
	rows, err := tx.Query(ctx, claimable, n)
	if err != nil {
		return err
	}
	cand, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimRow, error) {
		var c claimRow
		err := row.Scan(&c.eventID, &c.aggregateID, &c.version)
		return c, err
	})
	if err != nil || len(cand) == 0 {
		return err
	}
	orderPerAggregate(cand)
	var last int64
	if err := tx.QueryRow(ctx, `UPDATE relay_state SET last_position = last_position + $1 RETURNING last_position`,
		len(cand)).Scan(&last); err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(cand))
	positions := make([]int64, len(cand))
	for i, c := range cand {
		ids[i] = c.eventID
		positions[i] = last - int64(len(cand)) + 1 + int64(i)
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE outbox o SET position = u.position FROM unnest($1::uuid[], $2::bigint[]) AS u(id, position)
		WHERE o.event_id = u.id`, ids, positions)
	b.Queue(`UPDATE events e SET position = u.position FROM unnest($1::uuid[], $2::bigint[]) AS u(id, position)
		WHERE e.id = u.id`, ids, positions)
	return tx.SendBatch(ctx, b).Close()
}

// orderPerAggregate keeps the batch's commit order but, within the slots an
// aggregate occupies, puts that aggregate's rows in version order.
func orderPerAggregate(rows []claimRow) {
	slots := map[uuid.UUID][]int{}
	for i, r := range rows {
		slots[r.aggregateID] = append(slots[r.aggregateID], i)
	}
	for _, idx := range slots {
		if len(idx) < 2 {
			continue
		}
		group := make([]claimRow, len(idx))
		for j, i := range idx {
			group[j] = rows[i]
		}
		slices.SortFunc(group, func(a, b claimRow) int { return int(a.version - b.version) })
		for j, i := range idx {
			rows[i] = group[j]
		}
	}
}

func (o *outbox) Ack(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.conn.Exec(ctx, `DELETE FROM outbox WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("ack outbox: %w", translate(err))
	}
	return nil
}

func (o *outbox) Pending(ctx context.Context) (int, time.Duration, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var (
		count int
		age   float64
	)
	err := o.conn.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM outbox`).
		Scan(&count, &age)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox pending: %w", translate(err))
	}
	return count, time.Duration(age * float64(time.Second)), nil
}

func (o *outbox) Release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := o.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, relayLockKey)
	err = errors.Join(err, o.conn.Close(ctx))
	_ = err // the lock dies with the connection either way
}
