package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/procfs"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// BenchmarkRelayLoad measures what the relay leader's outbox connection
// costs the database server at a steady commit rate: createPulse units of
// work are committed at rate/s, each followed by a wake-up, and the real
// relay loop claims, publishes (to a stub: the bus is not measured) and
// acknowledges them. b.N is the number of events. It reports the CPU time
// (utime+stime from /proc) of the outbox connection's backend process per
// event, and the statements that connection ran per event.
//
// Two set-ups: "alone", a fresh database and no other instance; and
// "standby", where a second instance waits for the outbox (as every
// instance but the leader does) and 20,000 events were published and
// acknowledged before the measurement (11 minutes at 30/s): what the outbox
// holds of them, dead tuples its queries wade through, depends on whether
// the server could remove them meanwhile.
//
// "relay" runs the relay package's loop; "partial-waits" a loop that
// differs in one point only, for comparison: after a batch smaller than the
// claim limit it claims nothing more (no claim ahead, no claim after the
// acknowledgement) and waits for the next wake-up, which a commit made
// meanwhile has already sent.
//
// The server must run on this machine (its backends are read in /proc):
//
//	go test -run '^$' -bench 'RelayLoad/.*/rate=30$' -benchtime 300x ./internal/store/postgres/
//	go test -run '^$' -bench 'RelayLoad/.*/rate=300$' -benchtime 3000x ./internal/store/postgres/
func BenchmarkRelayLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("seconds of steady load per case")
	}
	for _, loop := range []string{"relay", "partial-waits"} {
		for _, setup := range []struct {
			name    string
			standby bool
			history int
		}{{"alone", false, 0}, {"standby", true, 20000}} {
			for _, rate := range []int{30, 300} {
				b.Run(fmt.Sprintf("%s/%s/rate=%d", loop, setup.name, rate), func(b *testing.B) {
					relayLoad(b, loop, rate, setup.standby, setup.history)
				})
			}
		}
	}
}

// waker is the relay's Wake.
type waker interface{ Wake() }

func relayLoad(b *testing.B, loop string, rate int, standby bool, history int) {
	url := testpg.Database(b, postgres.Migrate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &statementCounter{byText: map[string]int{}}
	postgres.TraceOutbox(s, tr)
	pub := &stubPublisher{}
	var (
		r   waker
		run func(context.Context) error
	)
	if loop == "relay" {
		rl, err := relay.New(s, pub, relay.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		r, run = rl, rl.Run
	} else {
		pw := &partialWaits{st: s, pub: pub, wake: make(chan struct{}, 1)}
		r, run = pw, pw.run
	}
	runDone := make(chan error, 1)
	go func() { runDone <- run(ctx) }()
	defer func() {
		cancel()
		if err := <-runDone; err != nil {
			b.Error(err)
		}
	}()

	if standby {
		waitStandby(ctx, b, url, s)
	}
	if history > 0 {
		insertHistory(b, s, history)
		r.Wake()
	}
	// Warm up: the connection, its prepared statements and their plans.
	for range 5 {
		commitPulse(b, s)
		r.Wake()
	}
	pub.waitFor(b, history+5)

	pid := tr.backendPID()
	user0, sys0, err := backendCPU(pid)
	if err != nil {
		b.Fatalf("the server must run on this machine: %v", err)
	}
	stmts0 := tr.snapshot()
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	var wg sync.WaitGroup
	for range b.N {
		<-tick.C
		wg.Go(func() {
			commitPulse(b, s)
			r.Wake()
		})
	}
	tick.Stop()
	wg.Wait()
	pub.waitFor(b, history+5+b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	user1, sys1, err := backendCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	stmts1 := tr.snapshot()

	pub.checkContiguous(b)
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	cpu := user1 - user0 + sys1 - sys0
	b.ReportMetric(ms(cpu)/n, "backend-cpu-ms/event")
	b.ReportMetric(ms(sys1-sys0)/n, "backend-sys-ms/event")
	b.ReportMetric(ms(cpu)/10/elapsed.Seconds(), "backend-cpu-%")
	total := 0
	var lines []string
	for text, c := range stmts1 {
		d := c - stmts0[text]
		total += d
		if d > 0 {
			lines = append(lines, fmt.Sprintf("%6.2f/event  %s", float64(d)/n, text))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(lines)))
	b.ReportMetric(float64(total)/n, "stmts/event")
	claims := 0
	for text, c := range stmts1 {
		if strings.HasPrefix(text, "WITH cand") {
			claims += c - stmts0[text]
		}
	}
	b.ReportMetric(float64(claims)/n, "claims/event")
	if b.N < 10 {
		return // a probe run: too short to say anything
	}
	b.Logf("%d events in %v; outbox connection statements:\n%s", b.N, elapsed.Round(time.Millisecond), strings.Join(lines, "\n"))
}

// partialWaits is the relay's loop (claim, claim ahead while publishing,
// acknowledge; Pending every second) but for one point: a batch smaller
// than the limit ends the round, and the loop waits for a wake-up.
type partialWaits struct {
	st   store.Store
	pub  *stubPublisher
	wake chan struct{}
}

func (p *partialWaits) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *partialWaits) run(ctx context.Context) error {
	const limit = 1024
	ob, err := p.st.AcquireOutbox(ctx)
	if err != nil {
		return nil // ended before it got the outbox
	}
	defer ob.Release()
	var lastPending time.Time
	idle := func() bool {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-p.wake:
		case <-t.C:
		}
		return true
	}
	type claimed struct {
		batch []store.OutboxEntry
		err   error
	}
	for ctx.Err() == nil {
		if time.Since(lastPending) >= time.Second {
			if _, _, err := ob.Pending(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			lastPending = time.Now()
		}
		batch, err := ob.Claim(context.WithoutCancel(ctx), limit)
		if err != nil {
			return err
		}
		for len(batch) > 0 {
			var ahead chan claimed
			if len(batch) == limit {
				ahead = make(chan claimed, 1)
				go func(after int64) {
					b, err := ob.ClaimAfter(context.WithoutCancel(ctx), after, limit)
					ahead <- claimed{b, err}
				}(batch[len(batch)-1].Position)
			}
			msgs := make([]bus.Message, len(batch))
			ids := make([]uuid.UUID, len(batch))
			for i, e := range batch {
				msgs[i] = bus.Message{Subject: e.Subject, ID: e.EventID.String(), Position: e.Position, Body: e.Body}
				ids[i] = e.EventID
			}
			if _, err := p.pub.PublishBatch(ctx, msgs, 256); err != nil {
				return err
			}
			if err := ob.Ack(context.WithoutCancel(ctx), ids); err != nil {
				return err
			}
			if ahead == nil {
				break
			}
			next := <-ahead
			if next.err != nil {
				return next.err
			}
			batch = next.batch
		}
		if !idle() {
			return nil
		}
	}
	return nil
}

// backendCPU is the user and system CPU time process pid has used.
func backendCPU(pid int) (user, sys time.Duration, err error) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	st, err := proc.Stat()
	if err != nil {
		return 0, 0, err
	}
	// USER_HZ, the unit of /proc/<pid>/stat's times, is 100 on every
	// architecture Go supports on Linux.
	const tick = time.Second / 100
	return time.Duration(st.UTime) * tick, time.Duration(st.STime) * tick, nil
}

// commitPulse commits a createPulse unit of work.
func commitPulse(b *testing.B, s store.Store) {
	now := event.Timestamp(time.Now())
	p := store.Pulse{ID: uuid.New(), TeacherID: uuid.New(), Title: "Exit ticket", CreatedAt: now}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: p.TeacherID}, event.Meta{ActorID: p.TeacherID}, now)
	_, _, err := s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	if err != nil {
		b.Error(err)
	}
}

// waitStandby starts a second instance waiting for the outbox until ctx
// ends, once s's relay holds it, and returns when it waits.
func waitStandby(ctx context.Context, b *testing.B, url string, s *postgres.Store) {
	other, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(other.Close)
	waiting := func(want bool) bool {
		var n int
		err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND granted = $1`, want).Scan(&n)
		if err != nil {
			b.Fatal(err)
		}
		return n > 0
	}
	// pg_locks is the only place a granted or waiting advisory lock
	// shows, and nothing announces a change in it: poll.
	for !waiting(true) {
		time.Sleep(10 * time.Millisecond)
	}
	go func() {
		if ob, err := other.AcquireOutbox(ctx); err == nil {
			ob.Release()
		}
	}()
	for !waiting(false) {
		time.Sleep(10 * time.Millisecond)
	}
}

// insertHistory writes n events and their outbox entries in one statement,
// for the relay to drain: what minutes of traffic leave behind.
func insertHistory(b *testing.B, s *postgres.Store, n int) {
	_, err := s.Pool().Exec(context.Background(), `
WITH e AS (
    INSERT INTO events (id, aggregate_id, aggregate_type, version, type, occurred_at, body)
    SELECT gen_random_uuid(), gen_random_uuid(), 'lesson', 1, 'LessonPublished', now(), '{}'
    FROM generate_series(1, $1)
    RETURNING id, aggregate_id
)
INSERT INTO outbox (event_id, aggregate_id, version, subject)
SELECT id, aggregate_id, 1, 'history' FROM e`, n)
	if err != nil {
		b.Fatal(err)
	}
}

// stubPublisher acknowledges everything at once and records the positions.
type stubPublisher struct {
	mu        sync.Mutex
	positions []int64
	changed   chan struct{}
}

func (p *stubPublisher) PublishBatch(_ context.Context, msgs []bus.Message, _ int) ([]bus.PubAck, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range msgs {
		p.positions = append(p.positions, m.Position)
	}
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
	return make([]bus.PubAck, len(msgs)), nil
}

func (p *stubPublisher) waitFor(b *testing.B, n int) {
	deadline := time.After(time.Minute)
	for {
		p.mu.Lock()
		got := len(p.positions)
		if got >= n {
			p.mu.Unlock()
			return
		}
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			b.Fatalf("%d of %d events published after a minute", got, n)
		}
	}
}

// checkContiguous: every event published once, at positions 1, 2, 3, …
func (p *stubPublisher) checkContiguous(b *testing.B) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, pos := range p.positions {
		if pos != int64(i+1) {
			b.Fatalf("publish %d has position %d", i, pos)
		}
	}
}

// statementCounter counts the statements of the outbox connection by text.
type statementCounter struct {
	mu     sync.Mutex
	pid    int
	byText map[string]int
}

func (c *statementCounter) count(conn *pgx.Conn, sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pid = int(conn.PgConn().PID())
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 70 {
		sql = sql[:70]
	}
	c.byText[sql]++
}

func (c *statementCounter) backendPID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

func (c *statementCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.byText))
	for k, v := range c.byText {
		m[k] = v
	}
	return m
}

func (c *statementCounter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.count(conn, data.SQL)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (c *statementCounter) TraceBatchQuery(_ context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	c.count(conn, data.SQL)
}

func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
