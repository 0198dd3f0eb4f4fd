package postgres_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// writers is the number of concurrent writers the targets are set at.
const writers = 16

// BenchmarkAppend measures a createPulse unit of work (pulse row, aggregate
// row, event, outbox entry in one transaction) through the store, next to
// floors measured in the same run: the same rows written by raw pgx, once
// pipelined in one batch (the best pgx can do) and once statement by
// statement. Compare tx/s: store ÷ floor is the store's efficiency.
//
//	go test -run '^$' -bench BenchmarkAppend -benchtime 5s ./internal/store/postgres/
func BenchmarkAppend(b *testing.B) {
	url := testpg.Database(b, postgres.Migrate)
	s, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: writers})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	pool := s.Pool()

	row := func() (store.Pulse, event.Envelope) {
		now := event.Timestamp(time.Now())
		p := store.Pulse{ID: uuid.New(), TeacherID: uuid.New(), Title: "Exit ticket", CreatedAt: now}
		ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: p.TeacherID}, event.Meta{ActorID: p.TeacherID}, now)
		return p, ev
	}
	// The floors write the same body the store would: encoding is part of
	// the work they are credited with for free only if it is done here.
	rowWithBody := func() (store.Pulse, event.Envelope, []byte) {
		p, ev := row()
		ev.Version = 1
		body, err := event.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		return p, ev, body
	}
	const (
		insPulse  = `INSERT INTO pulses (id, teacher_id, title, description, due_date, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
		insAgg    = `INSERT INTO aggregates (id, type, version) VALUES ($1, $2, $3)`
		insEvent  = `INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		insOutbox = `INSERT INTO outbox (event_id, aggregate_id, version, subject) VALUES ($1, $2, $3, $4)`
	)
	args := func(p store.Pulse, ev event.Envelope, body []byte) [][]any {
		return [][]any{
			{p.ID, p.TeacherID, p.Title, p.Description, p.DueDate, p.CreatedAt},
			{ev.AggregateID, ev.AggregateType, ev.Version},
			{ev.ID, ev.AggregateID, ev.AggregateType, ev.Version, ev.Type(), ev.ActorID, ev.OccurredAt, body},
			{ev.ID, ev.AggregateID, ev.Version, ev.Subject()},
		}
	}
	sqls := []string{insPulse, insAgg, insEvent, insOutbox}

	run := func(b *testing.B, one func(ctx context.Context) error) {
		b.SetParallelism((writers + 1) / 2) // × GOMAXPROCS(2) goroutines
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if err := one(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
	}

	viaStore := func(ctx context.Context) error {
		p, ev := row()
		_, _, err := s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			if err := tx.InsertPulse(ctx, p); err != nil {
				return store.Outcome{}, err
			}
			return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
		})
		return err
	}
	// The best raw pgx does: the statements in one batch, which PostgreSQL
	// runs as one implicit transaction (one round trip, no BEGIN/COMMIT).
	floorBatch := func(ctx context.Context) error {
		p, ev, body := rowWithBody()
		batch := &pgx.Batch{}
		for i, a := range args(p, ev, body) {
			batch.Queue(sqls[i], a...)
		}
		return pool.SendBatch(ctx, batch).Close()
	}
	floorStatements := func(ctx context.Context) error {
		p, ev, body := rowWithBody()
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			for i, a := range args(p, ev, body) {
				if _, err := tx.Exec(ctx, sqls[i], a...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	b.Run("store", func(b *testing.B) { run(b, viaStore) })
	b.Run("floor-pgx-batch", func(b *testing.B) { run(b, floorBatch) })
	b.Run("floor-pgx-statements", func(b *testing.B) { run(b, floorStatements) })

	// The ratio, from rounds that alternate store and floor so that the
	// machine's noise falls on both alike; the median round of each.
	b.Run("ratio", func(b *testing.B) {
		const rounds, round = 5, time.Second
		var storeRates, floorRates []float64
		for range b.N {
			for range rounds {
				storeRates = append(storeRates, rate(viaStore, round))
				floorRates = append(floorRates, rate(floorBatch, round))
			}
		}
		st, fl := median(storeRates), median(floorRates)
		b.ReportMetric(st, "store-tx/s")
		b.ReportMetric(fl, "floor-tx/s")
		b.ReportMetric(st/fl, "store/floor")
	})
}

// rate runs one for d with `writers` goroutines and returns tx/s.
func rate(one func(context.Context) error, d time.Duration) float64 {
	ctx := context.Background()
	var (
		done  atomic.Int64
		wg    sync.WaitGroup
		until = time.Now().Add(d)
		start = time.Now()
	)
	for range writers {
		wg.Go(func() {
			for time.Now().Before(until) {
				if one(ctx) == nil {
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
