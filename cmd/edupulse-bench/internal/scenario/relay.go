package scenario

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/floor"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
)

// RelayOptions size the relay scenario.
type RelayOptions struct {
	// Events committed while no relay runs (50,000).
	Events int
	// TargetRatio is the share of raw JetStream publishing to reach (0.5).
	TargetRatio float64
	// Batch and Window tune the relay (0: its defaults).
	Batch, Window int
}

// Relay measures the outbox relay draining a backlog: Events committed
// while no relay runs, then a relay started, timed until the last is
// published and marked. A running binary's relay cannot be paused from
// outside (stopping its bus would only time the relay's retry backoff), so
// this runs in process, as BenchmarkRelay does: the real internal/relay,
// the real store (PostgreSQL in a database of its own, or SQLite) and an
// embedded NATS server — always embedded, even with NATS_URL, because the
// floor deletes and recreates the stream. The floor is raw async
// JetStream publishing of the same messages (same subjects, bodies and
// headers) into the same server; CPU is this process's (relay or
// publisher, plus the NATS server).
func Relay(ctx context.Context, e *Env, o RelayOptions) error {
	dir, err := e.ScratchDir("relay")
	if err != nil {
		return err
	}
	st, storeName, closeStore, err := relayStore(ctx, e, dir)
	if err != nil {
		return err
	}
	defer closeStore()
	emb, err := bus.StartEmbedded(dir)
	if err != nil {
		return err
	}
	defer emb.Shutdown()
	quiet := slog.New(slog.DiscardHandler)
	b, err := bus.Connect(ctx, "", "edupulse-bench", bus.InProcess(emb), bus.WithLogger(quiet))
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.EnsureStream(ctx, 1); err != nil {
		return err
	}

	t0 := time.Now()
	msgs, err := writeBacklog(ctx, st, o.Events)
	if err != nil {
		return err
	}
	e.Logf("relay: %d events committed to %s in %s", o.Events, storeName, time.Since(t0).Round(time.Millisecond))

	// The floor.
	self := procfs.Start(os.Getpid())
	took, err := floor.PublishRaw(ctx, b.JetStream(), msgs)
	fu := self.Stop()
	if err != nil {
		return err
	}
	n, err := floor.StreamMessages(ctx, b.JetStream())
	if err != nil {
		return err
	}
	fl := report.Row{Scenario: "relay", Case: fmt.Sprintf("%d events backlog", o.Events), System: "raw JetStream publish",
		Ops: int64(n), Seconds: took.Seconds(), Throughput: stats.Rate(int64(len(msgs)), took), Unit: "events/s",
		CPUPercent: 100 * fu.CPU.Seconds() / took.Seconds(), CPUOf: "bench+NATS", HostBusyPercent: fu.HostBusy,
		Note: "nats.go PublishMsgAsync, then every ack"}
	if n != uint64(len(msgs)) {
		fl.Errors = int64(len(msgs)) - int64(n)
	}
	if err := floor.ResetStream(ctx, b.JetStream()); err != nil {
		return err
	}

	// The relay.
	var (
		mu        sync.Mutex
		published int
		batches   stats.Recorder
		last      time.Time
		done      = make(chan struct{})
	)
	// A batch is published once the relay marks it (Ack).
	timed := &timedStore{Store: st, acked: func(n int) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		batches.Add(now.Sub(last))
		last = now
		published += n
		if published == len(msgs) {
			close(done)
		}
	}}
	r, err := relay.New(timed, timedPublisher{b, &timed.phases}, relay.Options{Logger: quiet, Batch: o.Batch, Window: o.Window})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	self = procfs.Start(os.Getpid())
	start := time.Now()
	mu.Lock()
	last = start
	mu.Unlock()
	go func() { stopped <- r.Run(rctx) }()
	var relayErr error
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		relayErr = fmt.Errorf("relay: %d of %d published after 5 minutes", published, len(msgs))
	case <-ctx.Done():
		relayErr = ctx.Err()
	}
	took = time.Since(start)
	ru := self.Stop()
	cancel()
	if err := <-stopped; err != nil && relayErr == nil {
		relayErr = err
	}
	if relayErr != nil {
		return relayErr
	}
	n, err = floor.StreamMessages(ctx, b.JetStream())
	if err != nil {
		return err
	}
	mu.Lock()
	row := report.Row{Scenario: "relay", Case: fl.Case, System: report.SystemServer + " (internal/relay)",
		Ops: int64(published), Seconds: took.Seconds(), Throughput: stats.Rate(int64(published), took), Unit: "events/s",
		Latency: batches.Summary(), CPUPercent: 100 * ru.CPU.Seconds() / took.Seconds(), CPUOf: "bench+NATS",
		HostBusyPercent: ru.HostBusy, Deliveries: true,
		Note: "latency: one batch (claim, publish, acks, mark); " + timed.phases.String()}
	mu.Unlock()
	if n != uint64(len(msgs)) {
		row.Lost = int64(len(msgs)) - int64(n)
	}
	if fl.Throughput > 0 {
		row.Ratio = row.Throughput / fl.Throughput
	}
	e.Report.Add(row, fl)
	e.Report.Note("relay: in process (a binary's relay cannot be paused from outside): internal/relay on %s with an embedded NATS "+
		"server; %d LessonPublished committed 500 per transaction, then the relay started and timed to the last mark. Batch "+
		"breakdown: %s. Floor: nats.go PublishMsgAsync of the same messages and headers into the same server, then every ack.",
		storeName, o.Events, timed.phases.String())
	e.Logf("relay: %.0f events/s (raw publish %.0f events/s): %.0f%%; stream holds %d; %s", row.Throughput, fl.Throughput, 100*row.Ratio, n, row.Note)
	t := report.Target{Name: fmt.Sprintf("relay: ≥ %.0f%% of raw JetStream publish", 100*o.TargetRatio), Measured: row.Ratio,
		Cmp: report.AtLeast, Threshold: o.TargetRatio, Unit: "× raw"}
	if row.Lost != 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("stream holds %d of %d", n, len(msgs)))
	}
	e.Report.Judge(t)
	return nil
}

func relayStore(ctx context.Context, e *Env, dir string) (store.Store, string, func(), error) {
	if e.DB == nil {
		st, err := sqlite.Open(ctx, filepath.Join(dir, "edupulse.db"))
		if err != nil {
			return nil, "", nil, err
		}
		return st, "SQLite", st.Close, nil
	}
	db, err := harness.CreateDatabase(ctx, e.AdminURL)
	if err != nil {
		return nil, "", nil, err
	}
	st, err := postgres.Open(ctx, db.URL, postgres.Options{})
	if err != nil {
		_ = db.Drop(ctx)
		return nil, "", nil, err
	}
	return st, "PostgreSQL (" + db.Name + ")", func() {
		st.Close()
		if err := db.Drop(ctx); err != nil {
			e.Logf("drop database %s: %v", db.Name, err)
		}
	}, nil
}

// writeBacklog commits n LessonPublished events, 500 per unit of work, and
// returns them as the relay will publish them (positions 1…n in commit
// order).
func writeBacklog(ctx context.Context, st store.Store, n int) ([]bus.Message, error) {
	teacher := uuid.New()
	msgs := make([]bus.Message, 0, n)
	for len(msgs) < n {
		k := min(n-len(msgs), 500)
		evs := make([]event.Envelope, k)
		_, _, err := st.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			for i := range evs {
				evs[i] = event.New(event.LessonPublished{LessonID: uuid.New(), TeacherID: teacher},
					event.Meta{ActorID: teacher, CorrelationID: uuid.New()}, time.Now())
				if err := tx.Append(ctx, store.ExpectNew, &evs[i]); err != nil {
					return store.Outcome{}, err
				}
			}
			return store.Outcome{}, nil
		})
		if err != nil {
			return nil, fmt.Errorf("write backlog: %w", err)
		}
		for _, ev := range evs {
			body, err := event.Marshal(ev)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, bus.Message{Subject: ev.Subject(), ID: ev.ID.String(), Position: int64(len(msgs) + 1), Body: body})
		}
	}
	return msgs, nil
}

// phases times the relay's work, by kind.
type phases struct {
	mu                  sync.Mutex
	claim, publish, ack time.Duration
	claims, pending     int
	pendingTime         time.Duration
}

func (p *phases) add(d *time.Duration, n *int, t0 time.Time) {
	p.mu.Lock()
	*d += time.Since(t0)
	if n != nil {
		*n++
	}
	p.mu.Unlock()
}

func (p *phases) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claims == 0 {
		return "no claim"
	}
	per := func(d time.Duration) string {
		return (d / time.Duration(p.claims)).Round(100 * time.Microsecond).String()
	}
	return fmt.Sprintf("per claim (%d): claim %s, publish %s, mark %s; outbox counts %d × %s",
		p.claims, per(p.claim), per(p.publish), per(p.ack), p.pending, (p.pendingTime / time.Duration(max(1, p.pending))).Round(100*time.Microsecond))
}

// timedStore and timedOutbox time the relay's store calls, and report
// each batch marked published to acked.
type timedStore struct {
	store.Store
	phases phases
	acked  func(n int)
}

func (s *timedStore) AcquireOutbox(ctx context.Context) (store.Outbox, error) {
	ob, err := s.Store.AcquireOutbox(ctx)
	if err != nil {
		return nil, err
	}
	return &timedOutbox{Outbox: ob, p: &s.phases, acked: s.acked}, nil
}

type timedOutbox struct {
	store.Outbox
	p     *phases
	acked func(n int)
}

func (o *timedOutbox) Claim(ctx context.Context, n int) ([]store.OutboxEntry, error) {
	defer o.p.add(&o.p.claim, &o.p.claims, time.Now())
	return o.Outbox.Claim(ctx, n)
}

func (o *timedOutbox) ClaimAfter(ctx context.Context, after int64, n int) ([]store.OutboxEntry, error) {
	defer o.p.add(&o.p.claim, &o.p.claims, time.Now())
	return o.Outbox.ClaimAfter(ctx, after, n)
}

func (o *timedOutbox) Ack(ctx context.Context, ids []uuid.UUID) error {
	t0 := time.Now()
	err := o.Outbox.Ack(ctx, ids)
	o.p.add(&o.p.ack, nil, t0)
	if err == nil {
		o.acked(len(ids))
	}
	return err
}

func (o *timedOutbox) Pending(ctx context.Context) (int, time.Duration, error) {
	defer o.p.add(&o.p.pendingTime, &o.p.pending, time.Now())
	return o.Outbox.Pending(ctx)
}

type timedPublisher struct {
	*bus.Bus
	p *phases
}

func (t timedPublisher) PublishBatch(ctx context.Context, msgs []bus.Message, window int) ([]bus.PubAck, error) {
	defer t.p.add(&t.p.publish, nil, time.Now())
	return t.Bus.PublishBatch(ctx, msgs, window)
}
