// Package chaos is the chaos run: real processes (a PostgreSQL cluster, a
// three-node NATS JetStream cluster, three edupulse instances), steady
// writes and resuming subscribers over them, faults injected one at a time,
// and at the end a reconciliation of what was acknowledged and delivered
// against the store and the stream. `make chaos` runs it.
package chaos

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// Config is one run.
type Config struct {
	Duration  time.Duration // of load, faults included
	Faults    int
	Seed      uint64
	Kinds     []string // cycled through; default AllKinds
	Rate      float64  // mutations per second
	Instances int
	// NATSDownFor is how long the whole cluster stays down.
	NATSDownFor time.Duration

	Bin, NATSBin string
	// DatabaseURL, when set, is an admin URL of a server to create the
	// run's database on; the harness then cannot restart PostgreSQL.
	DatabaseURL string
	RunDir      string
	Out         io.Writer
}

// Run runs the chaos test. It returns the reconciliation (nil if the run
// did not get that far) and an error for a run that could not be carried
// out; the caller fails the run when the reconciliation is not OK.
func Run(ctx context.Context, cfg Config) (*Reconciliation, error) {
	if cfg.Instances == 0 {
		cfg.Instances = 3
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = AllKinds
	}
	if cfg.DatabaseURL != "" {
		cfg.Kinds = slices.DeleteFunc(slices.Clone(cfg.Kinds), func(k string) bool { return k == PGRestart })
	}
	for _, k := range cfg.Kinds {
		if !slices.Contains(append(slices.Clone(AllKinds), TermInstance), k) {
			return nil, fmt.Errorf("unknown fault kind %q", k)
		}
	}
	out := cfg.Out
	logf := func(format string, args ...any) {
		fmt.Fprintf(out, "%s chaos: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	sweepStale()
	start := time.Now()
	obs := newObservations(start)
	if err := os.MkdirAll(cfg.RunDir, 0o750); err != nil {
		return nil, err
	}
	logf("run directory %s, seed %d", cfg.RunDir, cfg.Seed)

	// Processes are stopped in reverse order of starting, on any exit.
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()

	var pg *pgCluster
	var err error
	if cfg.DatabaseURL != "" {
		pg, err = givenPostgres(ctx, cfg.DatabaseURL)
	} else {
		pg, err = startPostgres(ctx, cfg.RunDir)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	closers = append(closers, func() { _ = pg.close() })
	logf("postgres ready (%s)", map[bool]string{true: "throwaway cluster", false: "CHAOS_DATABASE_URL"}[pg.owned])

	nc, err := startNATS(ctx, cfg.NATSBin, cfg.RunDir, 3)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	closers = append(closers, func() { _ = nc.close() })
	logf("nats cluster ready, stream %s with 3 replicas (%s)", "EDUPULSE", nc.urls)

	secret := make([]byte, 32)
	_, _ = crand.Read(secret)
	tokens, err := auth.NewTokens([]byte(hex.EncodeToString(secret)))
	if err != nil {
		return nil, err
	}
	ttl := cfg.Duration + 30*time.Minute
	admins, err := newActors(tokens, auth.RoleAdmin, 1, ttl)
	if err != nil {
		return nil, err
	}
	teachers, err := newActors(tokens, auth.RoleTeacher, 3, ttl)
	if err != nil {
		return nil, err
	}
	students, err := newActors(tokens, auth.RoleStudent, 40, ttl)
	if err != nil {
		return nil, err
	}

	fl, err := newFleet(cfg.Bin, cfg.RunDir, cfg.Instances, []string{
		"DATABASE_URL=" + pg.url,
		"NATS_URL=" + nc.urls,
		"EDUPULSE_STREAM_REPLICAS=3",
		"EDUPULSE_JWT_SECRET=" + hex.EncodeToString(secret),
	}, admins[0].token, obs)
	if err != nil {
		return nil, err
	}
	closers = append(closers, fl.stopAll)
	if err := fl.migrate(ctx, cfg.RunDir); err != nil {
		return nil, err
	}
	for i := range fl.insts {
		if err := fl.start(ctx, i, 60*time.Second); err != nil {
			return nil, err
		}
	}
	logf("%d instances serving", len(fl.insts))

	// The subscribers start from the cursor of an event written before the
	// load: what they owe is then exactly every event after it.
	w := newWriters(fl, teachers, students, cfg.Rate, cfg.Seed, obs)
	var first struct {
		CreatePulse struct {
			Event eventRef `json:"event"`
		} `json:"createPulse"`
	}
	if err := postGraphQL(ctx, w.hc, fl.insts[0].url, teachers[0].token,
		`mutation { createPulse(input: {title: "chaos start"}) { `+eventFields+` } }`, nil, &first); err != nil {
		return nil, fmt.Errorf("first write: %w", err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	subCtx, stopSubs := context.WithCancel(ctx)
	defer stopSubs()
	ss := &subscribers{f: fl, obs: obs, maxPulse: 6}
	for i := range fl.insts {
		ss.admin(subCtx, i, admins[0].token, first.CreatePulse.Event, 0)
	}
	w.onCreated = func(id string, t actor, e eventRef) { ss.pulseCreated(subCtx, id, t, e) }
	mon := &streamMonitor{}
	go mon.run(subCtx, nc)

	loadStart := time.Now()
	writersDone := make(chan struct{})
	go func() { w.run(loadCtx); close(writersDone) }()
	logf("load: %.0f mutations/s over %d instances; %d admin subscribers (events), pulse followers (pulseEvents)", cfg.Rate, len(fl.insts), len(fl.insts))

	// Faults, evenly spread over the load after a warm-up, each waited out.
	kinds := schedule(cfg.Kinds, cfg.Faults, cfg.Seed)
	inj := &injector{fl: fl, nats: nc, pg: pg, obs: obs, natsDownFor: cfg.NATSDownFor,
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x1)), //nolint:gosec // a reproducible schedule
	}
	warm := min(10*time.Second, cfg.Duration/6)
	tail := warm
	slot := (cfg.Duration - warm - tail) / time.Duration(max(1, cfg.Faults))
	var faults []*Fault
	sleepUntil := func(t time.Time) {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(t)):
		}
	}
	sleepUntil(loadStart.Add(warm))
	for n, kind := range kinds {
		if ctx.Err() != nil {
			break
		}
		logf("fault %d/%d: %s", n+1, len(kinds), kind)
		f := inj.inject(ctx, kind)
		faults = append(faults, f)
		logf("  %s %s: %s", f.Kind, f.Target, strings.Join(f.Notes, "; "))
		// A recovery pause of at least 3 s whatever the schedule.
		next := loadStart.Add(warm + time.Duration(n+1)*slot)
		sleepUntil(maxTime(next, time.Now().Add(3*time.Second)))
	}
	sleepUntil(loadStart.Add(cfg.Duration))
	stopLoad()
	<-writersDone
	loadEnd := time.Now()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	logf("load stopped: %s", w.summary())

	// Drain: the relay publishes what is left, the subscribers catch up.
	// Whatever is still missing after that is lost, not late.
	drainBy := time.Now().Add(90 * time.Second)
	for {
		n, err := outboxPending(ctx, pg.url)
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(drainBy) {
			obs.add("outbox not empty %s after the load stopped: %d events pending (%v)", 90*time.Second, n, err)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for {
		st, err := readStore(ctx, pg.url)
		lacking := 0
		if err == nil {
			for _, l := range ss.logs() {
				l.StartPosition = positionOf(st, l.StartEventID)
				lacking += missing(st, l)
			}
		}
		if err == nil && lacking == 0 {
			break
		}
		if time.Now().After(drainBy) || ctx.Err() != nil {
			obs.add("subscribers still lacked %d deliveries %s after the load stopped", lacking, 90*time.Second)
			break
		}
		time.Sleep(time.Second)
	}
	stopSubs()
	ss.wg.Wait()
	logf("drained; reconciling")

	store, err := readStore(ctx, pg.url)
	if err != nil {
		return nil, fmt.Errorf("read the store: %w", err)
	}
	stream, err := nc.readAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the stream: %w", err)
	}
	dups, err := duplicateWrites(ctx, pg.url)
	if err != nil {
		return nil, fmt.Errorf("read the store: %w", err)
	}
	acks, okTimes, failTimes := w.snapshot()
	// The first write is acknowledged too.
	acks = append(acks, Ack{Op: "createPulse", EventID: first.CreatePulse.Event.ID,
		Aggregate: first.CreatePulse.Event.AggregateID, Version: first.CreatePulse.Event.Version, At: loadStart})
	subs := ss.logs()
	for i := range subs {
		subs[i].StartPosition = positionOf(store, subs[i].StartEventID)
	}
	slices.SortFunc(okTimes, func(a, b time.Time) int { return a.Compare(b) })
	slices.SortFunc(failTimes, func(a, b failedWrite) int { return a.At.Compare(b.At) })
	r := Reconcile(store, stream, acks, subs, dups)
	metrics := measure(faults, loadEnd, okTimes, failTimes, mon.times(), subs)

	sum := Summary{Start: loadStart, LoadEnd: loadEnd, End: time.Now(), RunDir: cfg.RunDir,
		Writers: w.summary(), Subscribers: len(subs), Reconnects: ss.reconnects(), Observations: obs.snapshot()}
	report, err := os.Create(filepath.Join(cfg.RunDir, "report.txt"))
	if err == nil {
		writeReport(report, sum, faults, metrics, r)
		_ = report.Close()
	}
	writeReport(out, sum, faults, metrics, r)
	return r, nil
}

func positionOf(store []StoredEvent, id string) int64 {
	for _, e := range store {
		if e.ID == id {
			return e.Position
		}
	}
	return 0
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
