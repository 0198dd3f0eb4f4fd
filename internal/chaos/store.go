package chaos

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5" //nolint:depguard // the harness reads the store from outside, as an operator would
)

// readStore is every event with its position (0 when never claimed), in
// publish order, the unpublished last.
func readStore(ctx context.Context, url string) ([]StoredEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `
		SELECT e.id::text, e.aggregate_id::text, e.version, coalesce(p.position, 0)
		FROM events e LEFT JOIN event_positions p ON p.event_id = e.id
		ORDER BY p.position NULLS LAST, e.aggregate_id, e.version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredEvent
	for rows.Next() {
		var e StoredEvent
		if err := rows.Scan(&e.ID, &e.Aggregate, &e.Version, &e.Position); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// duplicateWrites counts logical writes stored twice: each mutation of the
// run carries its idempotency key in its title or answer, so two rows with
// one key are one mutation applied twice.
func duplicateWrites(ctx context.Context, url string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM (SELECT title FROM pulses GROUP BY title HAVING count(*) > 1) t)
		     + (SELECT count(*) FROM (SELECT answer FROM pulse_responses GROUP BY answer HAVING count(*) > 1) a)`).Scan(&n)
	return n, err
}

// outboxPending is the number of events committed and not yet acknowledged
// by the stream.
func outboxPending(ctx context.Context, url string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	err = conn.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n)
	return n, err
}

// streamMonitor samples the stream's last sequence: the times it moved are
// the relay's publishing, seen from outside.
type streamMonitor struct {
	mu       sync.Mutex
	advances []time.Time
	last     uint64
}

func (m *streamMonitor) run(ctx context.Context, c *natsCluster) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		info, err := c.streamInfo(ctx)
		if err != nil {
			continue
		}
		m.mu.Lock()
		if info.State.LastSeq > m.last {
			m.last = info.State.LastSeq
			m.advances = append(m.advances, time.Now())
		}
		m.mu.Unlock()
	}
}

func (m *streamMonitor) times() []time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Time(nil), m.advances...)
}
