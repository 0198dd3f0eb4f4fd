package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// relayLockKey is the advisory lock that elects the one relay per database.
const relayLockKey int64 = 0x6564757075_6c7365 // "edupulse"

// lockWait bounds one wait for the relay's lock; see AcquireOutbox.
const lockWait = time.Second

// AcquireOutbox opens a dedicated connection and waits on the relay's
// advisory lock. The lock is a session lock: when the holder's process or
// connection dies, the server releases it and a standby takes over, and a
// claim in flight on the dead connection is rolled back with it.
//
// The wait is cut into waits of lockWait, each its own statement. A
// statement holds a snapshot until it ends, and a snapshot's xmin stops
// the server from removing any row deleted since, in the whole database:
// a standby blocked in one endless pg_advisory_lock held back, for as long
// as the leader lived, every outbox row the leader acknowledged and every
// version of relay_state it wrote. The leader's index scans of the outbox
// then visited each of those rows on every claim, and its reads of
// relay_state each of those versions: its backend's CPU grew with the
// leader's age (a third of a core at 30 events/s after some minutes, with
// two standbys).
func (s *Store) AcquireOutbox(ctx context.Context) (store.Outbox, error) {
	cfg := s.outboxConfig.Copy()
	// This connection runs only the outbox's statements: their settings
	// (see Claim) are the session's, set once at connection start, rather
	// than two SET LOCAL statements in every claim.
	cfg.RuntimeParams["enable_bitmapscan"] = "off"
	cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("outbox connection: %w", redact(err))
	}
	_ = registerUUID(ctx, conn)
	if err := lockOutbox(ctx, conn); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("outbox lock: %w", err)
	}
	return &outbox{conn: conn}, nil
}

func lockOutbox(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `SELECT set_config('lock_timeout', $1, false)`, strconv.FormatInt(lockWait.Milliseconds(), 10)); err != nil {
		return err
	}
	for {
		_, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, relayLockKey)
		if err == nil {
			break
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55P03" { // lock_not_available
			return err
		}
	}
	// The outbox's own statements wait for row locks as long as it takes.
	_, err := conn.Exec(ctx, `RESET lock_timeout`)
	return err
}

type outbox struct {
	mu   sync.Mutex
	conn *pgx.Conn
	// handed is what the last Claim returned, and floor the claim floor it
	// left: an Ack of the first of them moves the floor past them at no
	// cost, so that the next claim does not look at them again.
	handed []store.OutboxEntry
	floor  int64
	// last is relay_state.last_position and floor its claim_floor, as this
	// holder last read or wrote them, when known. Only the holder of the
	// lock writes relay_state, so they stay true until a statement of ours
	// fails (its outcome unknown): a claim then reads them again. Knowing
	// them spares a claim that row, and the query for entries claimed and
	// not acknowledged when there can be none (all acknowledged, or all in
	// the caller's hands).
	last  int64
	known bool
	// below is a transaction id that no entry, in the outbox now or to
	// come, is below (as text: xid8): the claim's and Pending's scans of
	// the outbox in transaction order start there, not at the start of an
	// index that, between vacuums, begins with every entry acknowledged
	// since the last one. Pending moves it up. The empty string: not yet.
	below string
}

// claimable selects unclaimed entries that are safe to publish now, with
// what publishing them needs. An entry is claimed once its event has a
// position; claimed entries stay in the outbox until acknowledged.
//
// Commits: the outbox is a queue, not a log read past a high-water mark.
// Each row is claimed or not on its own, so a transaction that took its id
// (or its seq) early and commits late is claimed when it commits: nothing
// is skipped, and no claim waits for transactions still running. (A tail
// that remembered only "the last id read" would need to wait below the
// oldest running transaction — pg_snapshot_xmin — and would then stall
// behind every transaction on the server, a long one in another database
// included, and behind every writer queued on a hot aggregate's lock.)
// Positions are handed out here, by the one claimer, in claim order: a
// row that commits late gets a later position, never a gap.
//
// Aggregate order: xid order is not version order (a transaction may take
// its xid, then wait for the aggregate's lock behind a younger one), so
// the first n rows in xid order may hold version 7 of an aggregate and not
// its version 6. The batch then takes the earlier unclaimed versions too
// (batch beyond n by that much), and Claim sorts each aggregate's rows by
// version. They are safe to take: version 6 was committed before version
// 7's writer got the aggregate's lock, so it is visible here. (Holding
// version 7 back instead can stall the tail for good: when every one of
// the first n rows waits for a row further on, nothing is ever claimed.)
//
// The scan in transaction order starts at the outbox's lower bound ($2,
// see outbox.below): below it lie only acknowledged entries, which the
// index keeps until the next vacuum.
//
// Only aggregates with a candidate past version 1 are probed, once each.
// The LATERAL ... OFFSET 0 subqueries and the scalar "is it claimed"
// subqueries keep these lookups index probes per row: as plain joins or
// NOT EXISTS, with the queue's stale statistics, the planner
// hashes the whole events table on every claim (114 ms instead of 9 for
// 1,024 entries with 50,000 pending).
const claimable = `
WITH cand AS (
    SELECT o.event_id, o.aggregate_id, o.aggregate_type, o.version, o.tx_id, o.seq, o.subject, o.traceparent
    FROM outbox o
    WHERE o.tx_id >= $2::text::xid8
      AND (SELECT true FROM event_positions q WHERE q.event_id = o.event_id) IS NULL
    ORDER BY o.tx_id, o.seq
    LIMIT $1
), earlier AS (
    SELECT o.*
    FROM (SELECT aggregate_id, aggregate_type, max(version) AS newest FROM cand
          GROUP BY aggregate_id, aggregate_type) a
    CROSS JOIN LATERAL (
        SELECT o.event_id, o.aggregate_id, o.aggregate_type, o.version, o.tx_id, o.seq, o.subject, o.traceparent
        FROM outbox o
        WHERE o.aggregate_id = a.aggregate_id AND o.aggregate_type = a.aggregate_type AND o.version < a.newest
          AND o.event_id NOT IN (SELECT event_id FROM cand)
          AND (SELECT true FROM event_positions q WHERE q.event_id = o.event_id) IS NULL
        OFFSET 0
    ) o
    WHERE a.newest > 1
), batch AS (
    SELECT * FROM cand UNION ALL SELECT * FROM earlier
)
SELECT b.event_id, b.aggregate_id, b.aggregate_type, b.version, b.subject, e.body, coalesce(b.traceparent, '')
FROM batch b
CROSS JOIN LATERAL (SELECT body FROM events WHERE id = b.event_id OFFSET 0) e
ORDER BY b.tx_id, b.seq`

// claimedUnacked reads entries claimed before and not acknowledged since,
// in position order. They all lie above claim_floor, and the scan between
// the floor and the newest position is at most a few batches long: each
// claim raises the floor to just below the oldest entry still waiting.
const claimedUnacked = `
SELECT o.event_id, o.aggregate_id, o.aggregate_type, o.version, p.position, o.subject, e.body, coalesce(o.traceparent, '')
FROM event_positions p
JOIN outbox o ON o.event_id = p.event_id
JOIN events e ON e.id = p.event_id
WHERE p.position > greatest((SELECT claim_floor FROM relay_state), $2)
ORDER BY p.position
LIMIT $1`

// Claim tops the claimed entries up to n and returns them in position
// order. Its queries are made to walk their indexes and stop after n
// rows, whatever the outbox holds: the outbox is a queue whose statistics
// are always stale (a backlog written since the last ANALYZE looks empty
// to the planner, which then reads and sorts the whole backlog on every
// claim — a bitmap scan of the tail index and a top-N sort instead of an
// index scan in claim order — and a drain costs time quadratic in the
// backlog). Hence bitmap scans turned off and generic plans forced on the
// outbox's connection (see AcquireOutbox): PostgreSQL plans a prepared
// statement's first five executions for their parameters, and with a freshly written backlog
// the plan it picks for a claim of 1,024 took 200-330 ms, against 8-12 ms
// for the generic plan it settles on afterwards.
func (o *outbox) Claim(ctx context.Context, n int) ([]store.OutboxEntry, error) {
	return o.ClaimAfter(ctx, 0, n)
}

func (o *outbox) ClaimAfter(ctx context.Context, after int64, n int) ([]store.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n <= 0 {
		n = 256
	}
	entries, err := o.claim(ctx, after, n)
	if err != nil {
		o.handed, o.known = nil, false
		return nil, fmt.Errorf("claim outbox: %w", translate(err))
	}
	if after > 0 && len(o.handed) > 0 && o.handed[len(o.handed)-1].Position == after {
		o.handed = append(o.handed, entries...)
	} else {
		o.handed = entries
	}
	return entries, nil
}

// claim reads, in one batch, the claim state (unless known), what was
// claimed and not acknowledged (unless there can be none), and what may be
// claimed; then, when there is anything to record, writes the new
// positions and the claim floor in a second batch.
// Each batch is one implicit transaction, and no explicit one spans the
// two: only the holder of the relay's lock writes relay_state and
// event_positions, so nothing can change them in between, and the reads
// took a snapshot per statement inside a transaction too. A claim that
// finds nothing (most of them: the claim ahead and the claim before
// waiting, at a steady trickle of commits) is then one statement and one
// round trip, and writes nothing.
func (o *outbox) claim(ctx context.Context, after int64, n int) ([]store.OutboxEntry, error) {
	var (
		last, floor    int64
		waiting, fresh []store.OutboxEntry
	)
	b := &pgx.Batch{}
	if o.known {
		last, floor = o.last, o.floor
	} else {
		b.Queue(`SELECT last_position, claim_floor FROM relay_state`).
			QueryRow(func(row pgx.Row) error { return row.Scan(&last, &floor) })
	}
	// Positions above last do not exist yet.
	if !o.known || max(floor, after) < last {
		b.Queue(claimedUnacked, n, after).Query(func(rows pgx.Rows) error {
			var err error
			waiting, err = pgx.CollectRows(rows, scanOutboxEntry)
			return err
		})
	}
	b.Queue(claimable, n, o.lowerBound()).Query(func(rows pgx.Rows) error {
		var err error
		fresh, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OutboxEntry, error) {
			var e store.OutboxEntry
			err := row.Scan(&e.EventID, &e.AggregateID, &e.AggregateType, &e.Version, &e.Subject, &e.Body, &e.TraceParent)
			return e, err
		})
		return err
	})
	if err := o.conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	orderPerAggregate(fresh)
	if len(waiting) > 0 {
		// Claimed before: they come first, and the batch is topped up to
		// n. Cutting the tail keeps each aggregate's lowest versions.
		fresh = fresh[:max(0, min(len(fresh), n-len(waiting)))]
	}
	newFloor := floorAfter(waiting, last)
	if after > floor {
		// The caller's entries in flight lie between the floor and after,
		// unacknowledged: the floor stays below them.
		newFloor = floor
	}
	o.floor = newFloor

	if len(fresh) > 0 || newFloor != floor {
		b = &pgx.Batch{}
		assignPositions(b, fresh, last, newFloor)
		if err := o.conn.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
	}
	o.last, o.known = last+int64(len(fresh)), true
	return append(waiting, fresh...), nil
}

func scanOutboxEntry(row pgx.CollectableRow) (store.OutboxEntry, error) {
	var e store.OutboxEntry
	err := row.Scan(&e.EventID, &e.AggregateID, &e.AggregateType, &e.Version, &e.Position, &e.Subject, &e.Body, &e.TraceParent)
	return e, err
}

// floorAfter is the claim floor once the claim returns: just below the
// oldest entry still waiting, or the newest position when none waits.
func floorAfter(waiting []store.OutboxEntry, last int64) int64 {
	if len(waiting) > 0 {
		return waiting[0].Position - 1
	}
	return last
}

// assignPositions queues giving fresh the next contiguous positions after
// last and moving the claim floor. The counter row is updated inside the
// same transaction, so positions become visible in increasing order with
// no gap.
func assignPositions(b *pgx.Batch, fresh []store.OutboxEntry, last, floor int64) {
	ids := make([]uuid.UUID, len(fresh))
	positions := make([]int64, len(fresh))
	for i := range fresh {
		fresh[i].Position = last + 1 + int64(i)
		ids[i], positions[i] = fresh[i].EventID, fresh[i].Position
	}
	if len(fresh) > 0 {
		b.Queue(`INSERT INTO event_positions (position, event_id) SELECT * FROM unnest($1::bigint[], $2::uuid[])`,
			positions, ids)
	}
	b.Queue(`UPDATE relay_state SET last_position = $1, claim_floor = $2`, last+int64(len(fresh)), floor)
}

// aggregateKey is an aggregate's identity: two aggregates may share an id.
type aggregateKey struct {
	id  uuid.UUID
	typ event.AggregateType
}

// orderPerAggregate keeps the batch's commit order but, within the slots an
// aggregate occupies, puts that aggregate's rows in version order.
func orderPerAggregate(rows []store.OutboxEntry) {
	slots := map[aggregateKey][]int{}
	for i, r := range rows {
		k := aggregateKey{r.AggregateID, r.AggregateType}
		slots[k] = append(slots[k], i)
	}
	for _, idx := range slots {
		if len(idx) < 2 {
			continue
		}
		group := make([]store.OutboxEntry, len(idx))
		for j, i := range idx {
			group[j] = rows[i]
		}
		slices.SortFunc(group, func(a, b store.OutboxEntry) int { return int(a.Version - b.Version) })
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
	b := &pgx.Batch{}
	// The acknowledgement need not wait for its WAL flush, the one fsync
	// of the two per batch that can be spared: a server crash that loses
	// it leaves the entries claimed and unacknowledged, which the next
	// holder republishes and the stream de-duplicates, as after a relay
	// crash between publishing and marking. The next claim that assigns
	// positions flushes it anyway (WAL is flushed in order).
	b.Queue(`SET LOCAL synchronous_commit = off`)
	b.Queue(`DELETE FROM outbox WHERE event_id = ANY($1)`, ids)
	if k := o.ackedPrefix(ids); k > 0 {
		// The oldest claimed entries are acknowledged (as the relay does,
		// batch by batch): the floor moves past them in the same round trip.
		newFloor := o.handed[k-1].Position
		b.Queue(`UPDATE relay_state SET claim_floor = $1 WHERE claim_floor = $2`, newFloor, o.floor).
			Exec(func(tag pgconn.CommandTag) error {
				if tag.RowsAffected() != 1 {
					o.known = false // not the floor we thought: read it again
				}
				return nil
			})
		o.floor, o.handed = newFloor, o.handed[k:]
	}
	if err := o.conn.SendBatch(ctx, b).Close(); err != nil {
		o.handed, o.known = nil, false
		return fmt.Errorf("ack outbox: %w", translate(err))
	}
	return nil
}

// ackedPrefix is how many of the last claim's entries ids acknowledges, when
// they are its first ones, right above the floor, in order; else 0.
func (o *outbox) ackedPrefix(ids []uuid.UUID) int {
	if len(ids) > len(o.handed) || o.handed[0].Position != o.floor+1 {
		return 0
	}
	for i, id := range ids {
		if o.handed[i].EventID != id {
			return 0
		}
	}
	return len(ids)
}

func (o *outbox) lowerBound() string {
	if o.below == "" {
		return "0"
	}
	return o.below
}

// pending counts the outbox through its transaction-order index from the
// lower bound (a sequential scan would read every row deleted since the
// last vacuum), and moves the bound up: to the oldest entry it counts, or
// to the oldest transaction running when it looks if that is older. No
// entry is ever below that: those it sees are not; those it does not see
// belong to transactions still running then, or begun since, whose ids
// are not below the oldest running one. (That oldest is the server's: a
// long transaction anywhere holds the bound back, never wrongly ahead.)
const pending = `
SELECT count(*),
    coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8,
    least(pg_snapshot_xmin(pg_current_snapshot()), min(tx_id))::text
FROM outbox
WHERE tx_id >= $1::text::xid8`

func (o *outbox) Pending(ctx context.Context) (int, time.Duration, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var (
		count int
		age   float64
		below string
	)
	b := &pgx.Batch{}
	// The outbox's statistics are stale (see Claim): without this the plan
	// of a range that is, to the planner, a third of the table is a
	// sequential scan.
	b.Queue(`SET LOCAL enable_seqscan = off`)
	b.Queue(pending, o.lowerBound()).QueryRow(func(row pgx.Row) error { return row.Scan(&count, &age, &below) })
	if err := o.conn.SendBatch(ctx, b).Close(); err != nil {
		return 0, 0, fmt.Errorf("outbox pending: %w", translate(err))
	}
	o.below = below
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
