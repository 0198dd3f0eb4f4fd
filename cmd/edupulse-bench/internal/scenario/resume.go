package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// ResumeOptions size the resume scenario.
type ResumeOptions struct {
	// Events between the cursor and now (10,000).
	Events int
	// Target for receiving them all (1 s).
	Target time.Duration
}

// answersPerPulse: the resume backlog is made of answers, this many per
// pulse.
const answersPerPulse = 100

// Resume measures a subscriber coming back: Events answers (100 per
// pulse) are committed and published after a cursor; an admin then
// subscribes to events(after: cursor) and is timed until the last arrives.
// Every event must arrive once, positions contiguous from the cursor on,
// each pulse's versions contiguous.
func Resume(ctx context.Context, e *Env, o ResumeOptions) error {
	srv, err := e.StartServer(ctx, "resume")
	if err != nil {
		return err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, 20)
	defer hc.Close()
	_, teacher := e.NewActor(auth.RoleTeacher)
	npulses := (o.Events + answersPerPulse - 1) / answersPerPulse
	pulses, err := createPulses(ctx, hc, teacher, npulses)
	if err != nil {
		return err
	}
	const published = "edupulse_relay_published_events_total"
	if _, err := srv.WaitMetric(ctx, published, 30*time.Second, func(v float64) bool { return v >= float64(npulses) }); err != nil {
		return err
	}
	_, marker, err := createPulse(ctx, hc, teacher)
	if err != nil {
		return err
	}

	t0 := time.Now()
	if err := answer(ctx, e, hc, pulses, o.Events); err != nil {
		return err
	}
	total := float64(npulses + 1 + o.Events)
	if _, err := srv.WaitMetric(ctx, published, time.Minute, func(v float64) bool { return v >= total }); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // the bus consumer hands them to the hub
	e.Logf("resume: %d answers committed and published in %s", o.Events, time.Since(t0).Round(time.Millisecond))

	// The marker's cursor, now that it has a position.
	var ev struct{ Event struct{ Cursor string } }
	if err := hc.Decode(ctx, teacher, gqlclient.Body(`query($id: UUID!) { event(id: $id) { cursor } }`,
		map[string]any{"id": marker.ID}), &ev); err != nil {
		return err
	}
	from, err := app.ParseEventCursor(ev.Event.Cursor)
	if err != nil {
		return fmt.Errorf("the marker's cursor %q: %w", ev.Event.Cursor, err)
	}
	if from.Position == 0 {
		return fmt.Errorf("the marker's cursor %q has no position", ev.Event.Cursor)
	}

	_, admin := e.NewActor(auth.RoleAdmin)
	ws, err := gqlclient.Dial(ctx, gqlclient.WSURL(srv.URL, "/query"), admin)
	if err != nil {
		return err
	}
	defer ws.Close()
	var (
		mu       sync.Mutex
		raw      = make([][]byte, 0, o.Events)
		arrivals = make([]time.Duration, 0, o.Events)
		all      = make(chan struct{})
		subErr   error
	)
	m := startMeters(srv.PID)
	start := time.Now()
	go func() {
		_ = ws.Read(func(msg gqlclient.Message) {
			mu.Lock()
			defer mu.Unlock()
			switch msg.Type {
			case "next":
				if len(raw) < o.Events {
					raw = append(raw, bytes.Clone(msg.Raw))
					arrivals = append(arrivals, msg.At.Sub(start))
					if len(raw) == o.Events {
						close(all)
					}
				}
			case "error", "complete":
				if subErr == nil {
					subErr = fmt.Errorf("subscription ended: %.300s", msg.Raw)
				}
			}
		})
	}()
	if err := ws.Subscribe("s1", eventsDoc, map[string]any{"after": ev.Event.Cursor}); err != nil {
		return err
	}
	timeout := time.NewTimer(max(time.Minute, 30*o.Target))
	defer timeout.Stop()
	select {
	case <-all:
	case <-timeout.C:
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	row := report.Row{Scenario: "resume", Case: fmt.Sprintf("%d events back", o.Events), System: report.SystemServer,
		Unit: "events/s", Deliveries: true}
	m.fill(&row, srv.PID, "edupulse")
	_ = ws.Close()
	mu.Lock()
	got, times := raw, arrivals
	mu.Unlock()
	check := checkResume(got, from.Position)
	row.Ops, row.Seconds = int64(len(got)), elapsed.Seconds()
	row.Throughput = stats.Rate(int64(len(got)), elapsed)
	row.Latency = stats.Summarize(times)
	row.Lost, row.Dup, row.Errors = int64(o.Events-check.unique), int64(check.dups), int64(check.errors)
	if subErr != nil {
		row.Errors++
	}
	row.Note = "latency: subscribe → n-th event (max: the last)"
	e.Report.Add(row)
	e.Report.Note("resume: %d answers over %d pulses committed and published after a cursor; an admin subscribes to events(after:) "+
		"with the same selection as the live clients (the answer included); latency columns are the times from subscribe to the "+
		"n-th event (max: the last). Checked: every event once, positions contiguous from the cursor, versions contiguous per pulse.",
		o.Events, npulses)
	e.Logf("resume: %d of %d events in %s (last at %s); gaps %d, dups %d, version breaks %d",
		len(got), o.Events, elapsed.Round(time.Millisecond), row.Latency.Max.Round(time.Millisecond), check.gaps, check.dups, check.versionBreaks)
	if subErr != nil {
		e.Logf("resume: %v", subErr)
	}
	measured := ms(row.Latency.Max)
	if len(got) < o.Events {
		measured = ms(elapsed)
	}
	t := report.Target{Name: fmt.Sprintf("resume: %d events back, all received", o.Events), Measured: measured,
		Cmp: report.AtMost, Threshold: ms(o.Target), Unit: "ms"}
	for _, f := range []struct {
		n    int
		what string
	}{{o.Events - check.unique, "missing"}, {check.dups, "duplicated"}, {check.gaps, "position gaps"},
		{check.versionBreaks, "version breaks"}, {check.errors, "undecodable"}} {
		if f.n > 0 {
			t.Failed = append(t.Failed, fmt.Sprintf("%d %s", f.n, f.what))
		}
	}
	e.Report.Judge(t)
	return nil
}

// answer commits n answers to pulses (answersPerPulse each, student j
// answering every pulse), 16 pulses at a time.
func answer(ctx context.Context, e *Env, hc *gqlclient.HTTP, pulses []string, n int) error {
	students := make([]string, answersPerPulse)
	for j := range students {
		_, students[j] = e.NewActor(auth.RoleStudent)
	}
	jobs := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for p := range jobs {
				body := respondBody(pulses[p])
				for j := range answersPerPulse {
					if p*answersPerPulse+j >= n {
						break
					}
					if _, err := respond(ctx, hc, students[j], body); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	var err error
feed:
	for p := range pulses {
		select {
		case jobs <- p:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err == nil {
		err = <-errs
	}
	if err != nil {
		return fmt.Errorf("answers: %w", err)
	}
	return nil
}

type resumeCheck struct {
	unique, dups, gaps, versionBreaks, errors int
}

// checkResume decodes the events received and checks them: once each,
// positions from+1, from+2, … in order, versions contiguous per aggregate.
func checkResume(msgs [][]byte, from int64) resumeCheck {
	var c resumeCheck
	seen := make(map[string]bool, len(msgs))
	versions := map[string]int{}
	next := from + 1
	for _, raw := range msgs {
		var m struct {
			Payload struct {
				Data struct {
					Events struct {
						ID, Cursor, AggregateID string
						Version                 int
					}
				}
			}
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			c.errors++
			continue
		}
		ev := m.Payload.Data.Events
		if seen[ev.ID] {
			c.dups++
			continue
		}
		seen[ev.ID] = true
		c.unique++
		k, err := app.ParseEventCursor(ev.Cursor)
		if err != nil {
			c.errors++
			continue
		}
		if k.Position != next {
			c.gaps++
		}
		next = k.Position + 1
		if v, ok := versions[ev.AggregateID]; ok && ev.Version != v+1 {
			c.versionBreaks++
		}
		versions[ev.AggregateID] = ev.Version
	}
	return c
}
