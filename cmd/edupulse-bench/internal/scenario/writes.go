package scenario

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/floor"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// WritesOptions size the writes scenario.
type WritesOptions struct {
	// Clients are the concurrencies measured (16 and 64).
	Clients []int
	// Duration of each measured run (5 s), after Warmup (1 s).
	Duration, Warmup time.Duration
	// Rounds: each case alternates server and pgbench runs this many
	// times (3), so that both sides see the same moments of a shared,
	// noisy machine; the medians are reported.
	Rounds int
	// PulsesPerClient: each respondToPulse client answers its own pulses,
	// round robin, a new student each round (8).
	PulsesPerClient int
	// TargetClients is the concurrency the target is judged at (16).
	TargetClients int
	// TargetRatio is the fraction of the floor to reach (0.8).
	TargetRatio float64
}

// Writes measures createPulse and respondToPulse over HTTP at each
// concurrency, closed loop (each client sends its next request when the
// last is answered), against pgbench running the same transaction at the
// same concurrency for the same time on the same database. The server is
// stopped while pgbench runs, and pgbench's outbox rows are removed before
// the next server starts, so that neither run pays for the other.
func Writes(ctx context.Context, e *Env, o WritesOptions) error {
	o.Rounds = max(o.Rounds, 1)
	e.Report.Note("writes: closed loop over HTTP keep-alive, %s warm-up then %s per run; %d alternating rounds per case (server, "+
		"pgbench, server, …): the rows are the rounds of median throughput, the ratio is the median of the rounds' ratios. "+
		"createPulse: one teacher per client; respondToPulse: each client answers its own %d pulses in turn, a new student each "+
		"round. pgbench: the same statements (-M prepared, as many clients as the server run, %d threads, -T %s), pipelined: 1 "+
		"round trip per createPulse and 2 per respondToPulse, as the store's (BEGIN and COMMIT ride in its batches); the server "+
		"is stopped while pgbench runs. The server's pool is its default (16 connections).",
		o.Warmup, o.Duration, o.Rounds, o.PulsesPerClient, runtime.NumCPU(), o.Duration)
	for _, mutation := range []string{"createPulse", "respondToPulse"} {
		for _, c := range o.Clients {
			var (
				servers, floors []report.Row
				ratios          []float64
				ferr            error
			)
			for round := range o.Rounds {
				row, err := writesServer(ctx, e, o, mutation, c)
				if err != nil {
					return err
				}
				servers = append(servers, row)
				e.Logf("writes %s c=%d round %d server: %.0f tx/s, p99 %s, %d errors", mutation, c, round+1, row.Throughput, row.Latency.P99, row.Errors)
				fl, err := writesFloor(ctx, e, o, mutation, c)
				if err != nil || fl.Throughput <= 0 {
					ferr = err
					continue
				}
				floors = append(floors, fl)
				ratios = append(ratios, row.Throughput/fl.Throughput)
				e.Logf("writes %s c=%d round %d pgbench: %.0f tx/s, p99 %s; server/pgbench %.0f%%", mutation, c, round+1,
					fl.Throughput, fl.Latency.P99, 100*ratios[len(ratios)-1])
			}
			row := medianThroughput(servers)
			for _, r := range servers {
				row.Errors = max(row.Errors, r.Errors)
			}
			if len(ratios) > 0 {
				ferr = nil
				row.Ratio = median(ratios)
			} else if ferr == nil {
				ferr = fmt.Errorf("pgbench measured nothing")
			}
			e.Report.Add(row)
			if ferr == nil {
				e.Report.Add(medianThroughput(floors))
			} else {
				e.Logf("writes %s c=%d: no pgbench floor: %v", mutation, c, ferr)
			}
			if c == o.TargetClients {
				t := report.Target{Name: fmt.Sprintf("writes: %s at %d clients ≥ %.0f%% of pgbench", mutation, c, 100*o.TargetRatio),
					Measured: row.Ratio, Cmp: report.AtLeast, Threshold: o.TargetRatio, Unit: "× pgbench"}
				if ferr != nil {
					t.Skipped, t.Note = true, ferr.Error()
				}
				if row.Errors > 0 {
					t.Failed = append(t.Failed, fmt.Sprintf("%d errors", row.Errors))
				}
				e.Report.Judge(t)
			}
		}
	}
	return nil
}

// medianThroughput is the row of median throughput (the lower middle one
// of an even number).
func medianThroughput(rows []report.Row) report.Row {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b report.Row) int { return cmp.Compare(a.Throughput, b.Throughput) })
	return sorted[(len(sorted)-1)/2]
}

func median(xs []float64) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func writesServer(ctx context.Context, e *Env, o WritesOptions, mutation string, clients int) (report.Row, error) {
	srv, err := e.StartServer(ctx, fmt.Sprintf("writes-%s-%d", mutation, clients))
	if err != nil {
		return report.Row{}, err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, clients+4)
	defer hc.Close()

	var do func(ctx context.Context, worker int) error
	switch mutation {
	case "createPulse":
		tokens := make([]string, clients)
		for i := range tokens {
			_, tokens[i] = e.NewActor(auth.RoleTeacher)
		}
		body := gqlclient.Body(createPulseDoc, map[string]any{"t": pulseTitle})
		do = func(ctx context.Context, w int) error {
			_, err := hc.Do(ctx, tokens[w], body)
			return err
		}
	default:
		_, teacher := e.NewActor(auth.RoleTeacher)
		pulses, err := createPulses(ctx, hc, teacher, clients*o.PulsesPerClient)
		if err != nil {
			return report.Row{}, err
		}
		bodies := make([][]byte, len(pulses))
		for i, p := range pulses {
			bodies[i] = respondBody(p)
		}
		// Worker w answers its pulses in turn; every round is a new student.
		type state struct {
			n     int
			token string
		}
		states := make([]state, clients)
		do = func(ctx context.Context, w int) error {
			st := &states[w]
			k := st.n % o.PulsesPerClient
			if k == 0 {
				_, st.token = e.NewActor(auth.RoleStudent)
			}
			st.n++
			_, err := hc.Do(ctx, st.token, bodies[w*o.PulsesPerClient+k])
			return err
		}
	}
	closedLoop(ctx, clients, o.Warmup, do) // connections, pools, caches
	m := startMeters(srv.PID)
	res := closedLoop(ctx, clients, o.Duration, do)
	row := report.Row{Scenario: "writes " + mutation, Case: fmt.Sprintf("%d clients", clients), System: report.SystemServer,
		Ops: res.ok, Seconds: res.elapsed.Seconds(), Throughput: stats.Rate(res.ok, res.elapsed), Unit: "tx/s",
		Latency: res.lat.Summary(), Errors: res.errs, Note: "HTTP request → response"}
	m.fill(&row, srv.PID, "edupulse")
	if res.firstErr != nil {
		e.Logf("writes %s: first error: %v", mutation, res.firstErr)
	}
	if !srv.Alive() {
		return row, fmt.Errorf("edupulse died during writes:\n%s", lastLines(srv.Log(), 20))
	}
	return row, nil
}

func writesFloor(ctx context.Context, e *Env, o WritesOptions, mutation string, clients int) (report.Row, error) {
	if e.DB == nil {
		return report.Row{}, fmt.Errorf("the embedded store has no pgbench floor")
	}
	if err := floor.HavePgbench(); err != nil {
		return report.Row{}, err
	}
	dir, err := e.ScratchDir("pgbench")
	if err != nil {
		return report.Row{}, err
	}
	script := floor.CreatePulseScript(pulseTitle)
	if mutation != "createPulse" {
		script = floor.RespondScript(answerText, o.PulsesPerClient)
		if err := e.DB.Exec(ctx, floor.SeedRespondPulses(clients*o.PulsesPerClient)...); err != nil {
			return report.Row{}, err
		}
	}
	host := procfs.Start(0)
	r, err := floor.RunPgbench(ctx, e.DB.URL, dir, script, clients, runtime.NumCPU(), o.Duration)
	hu := host.Stop()
	// The server is stopped: nothing but pgbench's rows is in the outbox.
	// Leave none for the next server's relay to publish.
	if cerr := e.DB.Exec(ctx, "DELETE FROM outbox", "VACUUM ANALYZE outbox"); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return report.Row{}, err
	}
	return report.Row{Scenario: "writes " + mutation, Case: fmt.Sprintf("%d clients", clients), System: "pgbench",
		Ops: r.Tx, Seconds: o.Duration.Seconds(), Throughput: r.TPS, Unit: "tx/s", Latency: r.Latency, Errors: r.Failed,
		CPUPercent: 100 * r.CPU.Seconds() / r.Elapsed.Seconds(), CPUOf: "pgbench", HostBusyPercent: hu.HostBusy,
		Note: "same statements, pipelined"}, nil
}

type loadResult struct {
	ok, errs int64
	lat      *stats.Recorder
	elapsed  time.Duration
	firstErr error
}

// closedLoop runs do from workers goroutines, each calling again as soon
// as its last call returned, for d.
func closedLoop(ctx context.Context, workers int, d time.Duration, do func(context.Context, int) error) loadResult {
	type part struct {
		ok, errs int64
		lat      stats.Recorder
		err      error
	}
	parts := make([]part, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			p := &parts[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				if err := do(ctx, w); err != nil {
					p.errs++
					if p.err == nil {
						p.err = err
					}
					continue
				}
				p.ok++
				p.lat.Add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	r := loadResult{lat: &stats.Recorder{}, elapsed: time.Since(start)}
	for i := range parts {
		r.ok += parts[i].ok
		r.errs += parts[i].errs
		r.lat.Merge(&parts[i].lat)
		if r.firstErr == nil {
			r.firstErr = parts[i].err
		}
	}
	return r
}
