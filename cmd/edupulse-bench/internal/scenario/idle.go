package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// IdleOptions size the idle scenario.
type IdleOptions struct {
	// Conns idle connections, one subscription each (2,000).
	Conns int
	// TargetKiB is the goal per subscribed connection (16).
	TargetKiB float64
}

// Idle measures what an idle subscriber costs the server: its resident
// set (VmRSS) before and after Conns connections each subscribe (one
// distinct student each, pulseEvents of one pulse), divided by Conns; the
// Go runtime's own view (heap, stacks, goroutines per connection, from
// /metrics) is noted. The floor is the bare gorilla broadcast server
// holding as many connections.
func Idle(ctx context.Context, e *Env, o IdleOptions) error {
	srv, err := e.StartServer(ctx, "idle")
	if err != nil {
		return err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, 2)
	defer hc.Close()
	_, teacher := e.NewActor(auth.RoleTeacher)
	pulse, _, err := createPulse(ctx, hc, teacher)
	if err != nil {
		return err
	}
	url := gqlclient.WSURL(srv.URL, "/query")
	subscribe := func(ws *gqlclient.WS, id string) error {
		return ws.Subscribe(id, pulseEventsDoc, map[string]any{"p": pulse})
	}
	student := func(int) string { _, tok := e.NewActor(auth.RoleStudent); return tok }
	const subs = "edupulse_live_subscriptions"
	// One connection first, so that what is set up once is not counted.
	warm, err := dialAudience(ctx, url, 1, 1, false, student, subscribe, 0)
	if err != nil {
		return err
	}
	if _, err := srv.WaitMetric(ctx, subs, 10*time.Second, func(v float64) bool { return v >= 1 }); err != nil {
		return err
	}
	warm.close()
	if _, err := srv.WaitMetric(ctx, subs, 10*time.Second, func(v float64) bool { return v == 0 }); err != nil {
		return err
	}
	time.Sleep(time.Second)
	rss0, err := procfs.RSS(srv.PID)
	if err != nil {
		return err
	}
	m0, _ := srv.Metrics(ctx)

	aud, err := dialAudience(ctx, url, o.Conns, 1, false, student, subscribe, 0)
	if err != nil {
		return err
	}
	defer aud.close()
	if _, err := srv.WaitMetric(ctx, subs, time.Minute, func(v float64) bool { return v >= float64(o.Conns) }); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	rss1, err := procfs.RSS(srv.PID)
	if err != nil {
		return err
	}
	m1, _ := srv.Metrics(ctx)
	per := func(name string, unit float64) float64 { return (m1[name] - m0[name]) / unit / float64(o.Conns) }
	row := report.Row{Scenario: "idle", Case: fmt.Sprintf("%d subscribed connections", o.Conns), System: report.SystemServer,
		Ops: int64(o.Conns), RSSKiB: rss1, PerConnKiB: float64(rss1-rss0) / float64(o.Conns), Errors: aud.errs.Load(),
		Note: fmt.Sprintf("per connection: heap in use %.1f KiB, stacks %.1f KiB, %.1f goroutines",
			per("go_memstats_heap_inuse_bytes", 1024), per("go_memstats_stack_inuse_bytes", 1024), per("go_goroutines", 1))}
	e.Logf("idle: %d connections: RSS %d → %d KiB: %.1f KiB each (%s)", o.Conns, rss0, rss1, row.PerConnKiB, row.Note)
	e.Report.Note("idle: VmRSS of the server before and 2 s after %d connections each subscribed (distinct students, pulseEvents), "+
		"over %d; the Go runtime's view, %s. Floor: the bare gorilla server holding as many connections.", o.Conns, o.Conns, row.Note)
	aud.close()

	fl, ferr := idleFloor(ctx, e, o)
	if ferr == nil {
		e.Report.Add(row, fl)
		e.Logf("idle floor: %.1f KiB per connection", fl.PerConnKiB)
	} else {
		e.Report.Add(row)
		e.Logf("idle floor failed: %v", ferr)
	}
	t := report.Target{Name: "idle: RSS per subscribed connection", Measured: row.PerConnKiB, Cmp: report.AtMost,
		Threshold: o.TargetKiB, Unit: "KiB"}
	if row.Errors > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d errors", row.Errors))
	}
	e.Report.Judge(t)
	return nil
}

func idleFloor(ctx context.Context, e *Env, o IdleOptions) (report.Row, error) {
	dir, err := e.ScratchDir("idle-floor")
	if err != nil {
		return report.Row{}, err
	}
	fl, err := harness.Start(ctx, harness.Config{Bin: e.Self, Args: []string{"broadcast-floor"}, DataDir: dir})
	if err != nil {
		return report.Row{}, err
	}
	defer func() { _ = fl.Stop() }()
	url := gqlclient.WSURL(fl.URL, "/ws")
	warm, err := dialAudience(ctx, url, 1, 1, true, nil, nil, 0)
	if err != nil {
		return report.Row{}, err
	}
	warm.close()
	time.Sleep(time.Second)
	rss0, err := procfs.RSS(fl.PID)
	if err != nil {
		return report.Row{}, err
	}
	aud, err := dialAudience(ctx, url, o.Conns, 1, true, nil, nil, 0)
	if err != nil {
		return report.Row{}, err
	}
	defer aud.close()
	if err := waitCount(ctx, fl.URL, o.Conns); err != nil {
		return report.Row{}, err
	}
	time.Sleep(2 * time.Second)
	rss1, err := procfs.RSS(fl.PID)
	if err != nil {
		return report.Row{}, err
	}
	return report.Row{Scenario: "idle", Case: fmt.Sprintf("%d subscribed connections", o.Conns), System: "gorilla broadcast",
		Ops: int64(o.Conns), RSSKiB: rss1, PerConnKiB: float64(rss1-rss0) / float64(o.Conns),
		Note: "bare connections: a reader and a writer goroutine each"}, nil
}
