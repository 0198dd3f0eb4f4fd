package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// FanoutCase is one fan-out size: Subscribers receiving Rate events a
// second.
type FanoutCase struct {
	Subscribers int
	Rate        float64
}

// TargetP99 is the goal for the case: 250 ms from 5,000
// subscribers up (the 10,000 × 2/s case), 50 ms below (1,000 × 20/s).
func (c FanoutCase) TargetP99() time.Duration {
	if c.Subscribers >= 5000 {
		return 250 * time.Millisecond
	}
	return 50 * time.Millisecond
}

func (c FanoutCase) String() string {
	return fmt.Sprintf("%d subs × %s ev/s", c.Subscribers, strconv.FormatFloat(c.Rate, 'f', -1, 64))
}

// ParseFanout reads "1000x20,10000x2".
func ParseFanout(s string) ([]FanoutCase, error) {
	var out []FanoutCase
	for f := range strings.SplitSeq(s, ",") {
		subs, rate, ok := strings.Cut(strings.TrimSpace(f), "x")
		n, err1 := strconv.Atoi(subs)
		r, err2 := strconv.ParseFloat(rate, 64)
		if !ok || err1 != nil || err2 != nil || n < 1 || r <= 0 {
			return nil, fmt.Errorf("%q is not subscribers x rate (1000x20)", f)
		}
		out = append(out, FanoutCase{Subscribers: n, Rate: r})
	}
	return out, nil
}

// FanoutOptions size the fan-out scenario.
type FanoutOptions struct {
	Cases []FanoutCase
	// Duration of each case, server and floor alike (10 s).
	Duration time.Duration
	// PerConn subscriptions share a websocket (1: one per connection, as
	// browsers do; the server allows 20).
	PerConn int
	// TargetRatio is the share of the floor's deliveries/s to reach (0.5).
	TargetRatio float64
	// SSE subscribes over GraphQL over SSE (a stream each) instead of
	// websockets.
	SSE bool
}

// Fanout measures live delivery to many subscribers: every subscriber (a
// distinct admin, subscribed to pulseEvents of one pulse) receives every
// answer to the pulse, emitted at a fixed rate by distinct students.
// Latency is delivery minus the arrival of the mutation's HTTP response.
// The floor is a bare gorilla/websocket broadcast server (this program's
// broadcast-floor command, a separate process) sending the server's own
// bytes — a message captured from the run, with a fresh event id per
// event — to as many connections at the same rate; its latency runs from
// the answer to its /tick request.
func Fanout(ctx context.Context, e *Env, o FanoutOptions) error {
	e.Report.Note("fan-out: %d subscription(s) per websocket connection (the server allows 20); subscribers are distinct admins "+
		"on pulseEvents of one pulse, with the live selection (the answer included); events are answers by distinct students at a "+
		"fixed rate; latency is delivery minus the answer's HTTP response. Floor: this program's broadcast-floor (a separate "+
		"process, gorilla/websocket, a reader and a writer goroutine per connection, PreparedMessage) sending a message captured "+
		"from the server, with a fresh event id, to as many connections at the same rate; its latency runs from the /tick response "+
		"(0 when the broadcast beats that response home).", o.PerConn)
	var errs []error
	for _, c := range o.Cases {
		if err := fanoutCase(ctx, e, o, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
		}
	}
	return errors.Join(errs...)
}

func fanoutCase(ctx context.Context, e *Env, o FanoutOptions, c FanoutCase) error {
	events := max(1, int(c.Rate*o.Duration.Seconds()))
	row, samples, _, err := fanoutServer(ctx, e, o, c, events)
	if err != nil {
		return err
	}
	e.Logf("fanout %s server: %.0f deliveries/s, p99 %s, max %s, lost %d, dup %d, errors %d, CPU %.0f%%",
		c, row.Throughput, row.Latency.P99, row.Latency.Max, row.Lost, row.Dup, row.Errors, row.CPUPercent)
	fl, ferr := fanoutFloor(ctx, e, o, c, events, samples)
	if ferr == nil {
		e.Logf("fanout %s floor: %.0f deliveries/s, p99 %s, max %s, lost %d, CPU %.0f%%",
			c, fl.Throughput, fl.Latency.P99, fl.Latency.Max, fl.Lost, fl.CPUPercent)
		if fl.Throughput > 0 {
			row.Ratio = row.Throughput / fl.Throughput
		}
		e.Report.Add(row, fl)
	} else {
		e.Report.Add(row)
		e.Logf("fanout %s: floor failed: %v", c, ferr)
	}
	t := report.Target{Name: fmt.Sprintf("fan-out %s: p99 ack → delivery", c), Measured: ms(row.Latency.P99),
		Cmp: report.AtMost, Threshold: ms(c.TargetP99()), Unit: "ms"}
	if row.Lost > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d lost", row.Lost))
	}
	if row.Dup > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d doubled", row.Dup))
	}
	ft := report.Target{Name: fmt.Sprintf("fan-out %s: deliveries/s ≥ %.0f%% of the broadcast floor", c, 100*o.TargetRatio),
		Measured: row.Ratio, Cmp: report.AtLeast, Threshold: o.TargetRatio, Unit: "× floor"}
	if ferr != nil {
		ft.Skipped, ft.Note = true, firstLineOf(ferr)
	}
	e.Report.Judge(t, ft)
	return nil
}

// fanoutServer runs the case on a fresh server; cpu is the server's CPU
// time over the measured run.
func fanoutServer(ctx context.Context, e *Env, o FanoutOptions, c FanoutCase, events int) (_ report.Row, _ [][]byte, cpu time.Duration, _ error) {
	srv, err := e.StartServer(ctx, fmt.Sprintf("fanout-%d", c.Subscribers))
	if err != nil {
		return report.Row{}, nil, 0, err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, 8)
	defer hc.Close()
	_, teacher := e.NewActor(auth.RoleTeacher)
	pulse, _, err := createPulse(ctx, hc, teacher)
	if err != nil {
		return report.Row{}, nil, 0, err
	}
	connectStart := time.Now()
	admin := func(int) string { _, tok := e.NewActor(auth.RoleAdmin); return tok }
	var aud *audience
	if o.SSE {
		aud, err = dialSSEAudience(ctx, srv.URL, c.Subscribers, admin, pulseEventsDoc, map[string]any{"p": pulse}, events+8)
	} else {
		aud, err = dialAudience(ctx, gqlclient.WSURL(srv.URL, "/query"), c.Subscribers, o.PerConn, false, admin,
			func(ws *gqlclient.WS, id string) error {
				return ws.Subscribe(id, pulseEventsDoc, map[string]any{"p": pulse})
			},
			events+8)
	}
	if err != nil {
		return report.Row{}, nil, 0, err
	}
	defer aud.close()
	if _, err := srv.WaitMetric(ctx, "edupulse_live_subscriptions", time.Minute, func(v float64) bool { return v >= float64(c.Subscribers) }); err != nil {
		return report.Row{}, nil, 0, fmt.Errorf("subscriptions: %w", err)
	}
	e.Logf("fanout %s: %d connections subscribed in %s", c, len(aud.conns), time.Since(connectStart).Round(time.Millisecond))
	if lim, err := procfs.OpenFilesLimit(srv.PID); err == nil {
		self, _ := procfs.OpenFilesLimit(os.Getpid())
		kind := "websocket connections"
		if o.SSE {
			kind = "SSE streams"
		}
		e.Report.Note("fan-out %s: %d %s; open-files limit %d in the server (inherited, read from /proc/<pid>/limits), %d here.",
			c, len(aud.conns), kind, lim, self)
	}

	// Warm up: answers until every subscriber has had one. It also gives
	// the message the floor will send.
	warmed := false
	for range 5 {
		_, tok := e.NewActor(auth.RoleStudent)
		if _, err := respond(ctx, hc, tok, respondBody(pulse)); err != nil {
			return report.Row{}, nil, 0, fmt.Errorf("warm-up: %w", err)
		}
		if warmed = aud.waitEach(1, 5*time.Second); warmed {
			break
		}
	}
	if !warmed {
		return report.Row{}, nil, 0, errors.New("warm-up: some subscribers never received an event")
	}
	time.Sleep(300 * time.Millisecond)
	baseline := aud.next.Load()

	tokens := make([]string, events)
	for i := range tokens {
		_, tokens[i] = e.NewActor(auth.RoleStudent)
	}
	body := respondBody(pulse)
	m := startMeters(srv.PID)
	em := emit(ctx, events, c.Rate, 4, func(ctx context.Context, i int) (string, error) {
		ev, err := respond(ctx, hc, tokens[i], body)
		return ev.ID, err
	})
	aud.waitTotal(baseline+int64(len(em.acks))*int64(c.Subscribers), 5*time.Second)
	row := report.Row{Scenario: "fan-out", Case: c.String(), System: report.SystemServer, Unit: "deliveries/s", Deliveries: true}
	m.fill(&row, srv.PID, "edupulse")
	cpu = m.server.Stop().CPU
	samples := aud.sample()
	aud.close()
	fillDeliveries(&row, stats.Tally(em.acks, aud.receipts()), em, events, aud.errs.Load())
	if em.first != nil {
		e.Logf("fanout %s: first mutation error: %v", c, em.first)
	}
	if err := aud.err(); err != nil {
		e.Logf("fanout %s: first subscription error: %v", c, err)
	}
	return row, samples, cpu, nil
}

func fillDeliveries(row *report.Row, l stats.Ledger, em *emitted, events int, subErrs int64) {
	if len(l.Missing) > 0 {
		row.Note = fmt.Sprintf("never delivered (some): %v", l.Missing)
	}
	row.Ops, row.Latency, row.Dup = l.Delivered, l.Latency, l.Duplicated
	row.Lost = l.Lost
	row.Errors = em.errs + subErrs
	if span := l.Last.Sub(em.start); span > 0 {
		row.Seconds, row.Throughput = span.Seconds(), stats.Rate(l.Delivered, span)
	}
	row.Note = strings.TrimPrefix(row.Note+fmt.Sprintf("; %d of %d events acknowledged; ack → delivery", len(em.acks), events), "; ")
}

func fanoutFloor(ctx context.Context, e *Env, o FanoutOptions, c FanoutCase, events int, samples [][]byte) (report.Row, error) {
	oldIDs := make([]string, len(samples))
	for k, s := range samples {
		if s == nil {
			return report.Row{}, errors.New("no message captured from the server to send")
		}
		if oldIDs[k] = gqlclient.Parse(s).EventID; oldIDs[k] == "" {
			return report.Row{}, fmt.Errorf("no event id in the captured message %.200s", s)
		}
	}
	dir, err := e.ScratchDir("broadcast-floor")
	if err != nil {
		return report.Row{}, err
	}
	fl, err := harness.Start(ctx, harness.Config{Bin: e.Self, Args: []string{"broadcast-floor"}, DataDir: dir})
	if err != nil {
		return report.Row{}, err
	}
	defer func() { _ = fl.Stop() }()
	aud, err := dialAudience(ctx, gqlclient.WSURL(fl.URL, "/ws"), c.Subscribers, o.PerConn, true, nil, nil, events+8)
	if err != nil {
		return report.Row{}, err
	}
	defer aud.close()
	if err := waitCount(ctx, fl.URL, len(aud.conns)); err != nil {
		return report.Row{}, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	m := startMeters(fl.PID)
	em := emit(ctx, events, c.Rate, 4, func(ctx context.Context, _ int) (string, error) {
		id := uuid.NewString()
		var body bytes.Buffer
		for k, s := range samples {
			body.Write(bytes.ReplaceAll(s, []byte(oldIDs[k]), []byte(id)))
			body.WriteByte('\n')
		}
		return id, post(ctx, hc, fl.URL+"/tick", body.Bytes())
	})
	aud.waitTotal(int64(len(em.acks))*int64(c.Subscribers), 5*time.Second)
	row := report.Row{Scenario: "fan-out", Case: c.String(), System: "gorilla broadcast", Unit: "deliveries/s", Deliveries: true}
	m.fill(&row, fl.PID, "floor")
	aud.close()
	fillDeliveries(&row, stats.Tally(em.acks, aud.receipts()), em, events, aud.errs.Load())
	row.Note = "same bytes, same connections, same rate; /tick ack → delivery"
	return row, nil
}

func post(ctx context.Context, hc *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

// waitCount waits until the floor counts n connections.
func waitCount(ctx context.Context, base string, n int) error {
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/count", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if got, _ := strconv.Atoi(string(raw)); got >= n {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the floor did not count %d connections within a minute", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func firstLineOf(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
