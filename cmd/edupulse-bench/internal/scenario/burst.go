package scenario

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// BurstOptions size the burst scenario.
type BurstOptions struct {
	// Students answer one pulse (500), spread evenly over Window (1 s)
	// by Senders concurrent HTTP clients (16).
	Students int
	Window   time.Duration
	Senders  int
	// TargetP99 is the goal for delivery latency's p99 (100 ms).
	TargetP99 time.Duration
	// Rounds: the burst is repeated this many times (3), each on a pulse
	// of its own, and the round of median p99 is reported: one burst is
	// 500 samples, and its p99 the fifth worst.
	Rounds int
}

// Burst is a class answering at once: one teacher subscribed to a pulse
// over graphql-transport-ws, Students distinct students answering it
// within Window. Latency is the answer's delivery at the teacher's socket
// minus the arrival of its mutation's HTTP response.
func Burst(ctx context.Context, e *Env, o BurstOptions) error {
	o.Rounds = max(o.Rounds, 1)
	e.Report.Note("burst: %d distinct students answer one pulse, evenly paced over %s by %d HTTP clients; latency is delivery at the "+
		"teacher's websocket minus the arrival of that answer's HTTP response; the HTTP row is respondToPulse request → response. "+
		"%d rounds on one server, a pulse each; the rows are the round of median p99.", o.Students, o.Window, o.Senders, o.Rounds)
	srv, err := e.StartServer(ctx, "burst")
	if err != nil {
		return err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, o.Senders+2)
	defer hc.Close()

	type round struct{ row, mut report.Row }
	var rounds []round
	for i := range o.Rounds {
		row, mut, err := burstRound(ctx, e, o, srv, hc)
		if err != nil {
			return err
		}
		e.Logf("burst round %d: %d delivered, p99 %s, max %s, %d lost, %d doubled, %d errors (HTTP p99 %s)",
			i+1, row.Ops, row.Latency.P99, row.Latency.Max, row.Lost, row.Dup, row.Errors, mut.Latency.P99)
		rounds = append(rounds, round{row, mut})
	}
	slices.SortFunc(rounds, func(a, b round) int { return cmp.Compare(a.row.Latency.P99, b.row.Latency.P99) })
	median := rounds[(len(rounds)-1)/2]
	row := median.row
	for _, r := range rounds { // a loss or an error in any round counts
		row.Lost, row.Dup, row.Errors = max(row.Lost, r.row.Lost), max(row.Dup, r.row.Dup), max(row.Errors, r.row.Errors)
	}
	e.Report.Add(row, median.mut)
	t := report.Target{Name: fmt.Sprintf("burst: %d answers, p99 ack → delivery", o.Students), Measured: ms(row.Latency.P99),
		Cmp: report.AtMost, Threshold: ms(o.TargetP99), Unit: "ms"}
	if row.Lost > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d lost", row.Lost))
	}
	if row.Dup > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d doubled", row.Dup))
	}
	if row.Errors > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d errors", row.Errors))
	}
	e.Report.Judge(t)
	return nil
}

// burstRound is one burst on a pulse of its own, with the teacher
// subscribed before it starts.
func burstRound(ctx context.Context, e *Env, o BurstOptions, srv *harness.Server, hc *gqlclient.HTTP) (row, mut report.Row, err error) {
	_, teacher := e.NewActor(auth.RoleTeacher)
	pulse, _, err := createPulse(ctx, hc, teacher)
	if err != nil {
		return row, mut, err
	}
	aud, err := dialAudience(ctx, gqlclient.WSURL(srv.URL, "/query"), 1, 1, false,
		func(int) string { return teacher },
		func(ws *gqlclient.WS, id string) error {
			return ws.Subscribe(id, pulseEventsDoc, map[string]any{"p": pulse})
		},
		o.Students+8)
	if err != nil {
		return row, mut, err
	}
	defer aud.close()
	// One answer first: the subscription is live once it arrives, and so
	// are the pulse's earlier events (a subscription may also get events
	// committed just before it started).
	_, warm := e.NewActor(auth.RoleStudent)
	if _, err := respond(ctx, hc, warm, respondBody(pulse)); err != nil {
		return row, mut, fmt.Errorf("burst: warm-up: %w", err)
	}
	if !aud.waitEach(1, 10*time.Second) {
		return row, mut, errors.New("burst: the teacher never received the warm-up answer")
	}
	time.Sleep(300 * time.Millisecond)
	baseline := aud.next.Load()
	tokens := make([]string, o.Students)
	for i := range tokens {
		_, tokens[i] = e.NewActor(auth.RoleStudent)
	}
	body := respondBody(pulse)

	m := startMeters(srv.PID)
	rate := float64(o.Students) / o.Window.Seconds()
	em := emit(ctx, o.Students, rate, o.Senders, func(ctx context.Context, i int) (string, error) {
		ev, err := respond(ctx, hc, tokens[i], body)
		return ev.ID, err
	})
	aud.waitTotal(baseline+int64(len(em.acks)), 5*time.Second)
	row = report.Row{Scenario: "burst", Case: fmt.Sprintf("%d answers in %s → 1 teacher", o.Students, o.Window),
		System: report.SystemServer, Unit: "deliveries/s", Deliveries: true}
	m.fill(&row, srv.PID, "edupulse")
	aud.close()
	l := stats.Tally(em.acks, aud.receipts())
	row.Ops, row.Latency, row.Lost, row.Dup = l.Delivered, l.Latency, l.Lost+int64(o.Students-len(em.acks)), l.Duplicated
	row.Errors = em.errs + aud.errs.Load()
	if span := l.Last.Sub(em.start); span > 0 {
		row.Seconds, row.Throughput = span.Seconds(), stats.Rate(l.Delivered, span)
	}
	row.Note = "mutation ack → delivery at the teacher"
	mut = report.Row{Scenario: "burst", Case: row.Case, System: report.SystemServer + " (HTTP)", Ops: int64(len(em.acks)),
		Seconds: em.end.Sub(em.start).Seconds(), Throughput: stats.Rate(int64(len(em.acks)), em.end.Sub(em.start)),
		Unit: "answers/s", Latency: em.lat.Summary(), Errors: em.errs, Note: "respondToPulse request → response"}
	if em.first != nil {
		e.Logf("burst: first mutation error: %v", em.first)
	}
	if len(l.Missing) > 0 {
		e.Logf("burst: never delivered: %v", l.Missing)
	}
	if err := aud.err(); err != nil {
		e.Logf("burst: first subscription error: %v", err)
	}
	return row, mut, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
