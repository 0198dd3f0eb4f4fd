package scenario

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// HotOptions size the closed-loop burst: a class answering one pulse as
// fast as the server takes it.
type HotOptions struct {
	// Students answer one pulse (500), sent by Clients concurrent HTTP
	// clients (64), each sending its next answer as soon as the last one
	// is acknowledged: the pace is the server's.
	Students int
	Clients  int
	// States is how many pulseState subscribers watch the pulse during the
	// burst (0: the teacher's pulseEvents only).
	States int
	// TargetP99 is the goal for the teacher's ack → delivery p99 and, with
	// States, for staleness's p99 (100 ms).
	TargetP99 time.Duration
	// Rounds: repeated on a pulse each, the round of median p99 reported.
	Rounds int
}

// pulseStateDoc is what a dashboard asks of the state; responseCount first
// (the reader finds it without decoding the message).
const pulseStateDoc = `subscription($p: UUID!) { pulseState(id: $p) { responseCount confidenceCounts closedAt } }`

// Hot is the closed-loop burst, reported as scenario name ("burst-closed",
// or "pulsestate" with state subscribers). The teacher's latency is the
// answer's delivery at the teacher's socket minus the arrival of its
// mutation's HTTP response. A state subscriber's staleness for an answer
// is the arrival of the first state whose responseCount reaches that
// answer's rank (its event's version − 1) minus the answer's
// acknowledgement (0 when the state came first).
func Hot(ctx context.Context, e *Env, name string, o HotOptions) error {
	o.Rounds = max(o.Rounds, 1)
	e.Report.Note("%s: %d distinct students answer one pulse, sent by %d HTTP clients in a closed loop (each sends its next answer "+
		"when the last is acknowledged); one teacher subscribed to pulseEvents; %d pulseState subscribers (one connection each). "+
		"Latency is delivery at the teacher's websocket minus the arrival of that answer's HTTP response; staleness is, per state "+
		"subscriber and answer, the arrival of the first state that includes the answer minus its acknowledgement. "+
		"%d rounds on one server, a pulse each; the rows are the round of median p99.", name, o.Students, o.Clients, o.States, o.Rounds)
	srv, err := e.StartServer(ctx, name)
	if err != nil {
		return err
	}
	defer e.stopServer(srv)
	hc := gqlclient.NewHTTP(srv.URL, o.Clients+2)
	defer hc.Close()

	type round struct{ rows []report.Row }
	var rounds []round
	for i := range o.Rounds {
		rows, err := hotRound(ctx, e, name, o, srv, hc)
		if err != nil {
			return err
		}
		for _, r := range rows {
			e.Logf("%s round %d: %s %s: %d, p50 %s, p99 %s, max %s, %d lost, %d doubled, %d errors, %.0f %s",
				name, i+1, r.System, r.Case, r.Ops, r.Latency.P50, r.Latency.P99, r.Latency.Max, r.Lost, r.Dup, r.Errors, r.Throughput, r.Unit)
		}
		rounds = append(rounds, round{rows})
	}
	// The teacher's row decides the median round, or staleness's with
	// state subscribers.
	key := 0
	if o.States > 0 {
		key = 2
	}
	slices.SortFunc(rounds, func(a, b round) int { return cmp.Compare(a.rows[key].Latency.P99, b.rows[key].Latency.P99) })
	median := rounds[(len(rounds)-1)/2]
	teacher := median.rows[0]
	for _, r := range rounds {
		teacher.Lost, teacher.Dup, teacher.Errors = max(teacher.Lost, r.rows[0].Lost), max(teacher.Dup, r.rows[0].Dup), max(teacher.Errors, r.rows[0].Errors)
	}
	median.rows[0] = teacher
	e.Report.Add(median.rows...)
	if o.States > 0 {
		// The teacher's latency is judged without state subscribers
		// (burst-closed); here it is reported only.
		st := median.rows[2]
		ts := report.Target{Name: fmt.Sprintf("%s: %d state subscribers, p99 staleness", name, o.States),
			Measured: ms(st.Latency.P99), Cmp: report.AtMost, Threshold: ms(o.TargetP99), Unit: "ms"}
		if st.Lost > 0 {
			ts.Failed = append(ts.Failed, fmt.Sprintf("%d subscribers never got the final state", st.Lost))
		}
		if st.Errors > 0 || teacher.Errors > 0 {
			ts.Failed = append(ts.Failed, fmt.Sprintf("%d errors", st.Errors+teacher.Errors))
		}
		e.Report.Judge(ts)
		// Conflated: fewer states than answers (at most answers - 1).
		e.Report.Judge(report.Target{Name: fmt.Sprintf("%s: states per subscriber for %d answers", name, o.Students),
			Measured: st.Throughput, Cmp: report.AtMost, Threshold: float64(o.Students - 1), Unit: "states"})
		return nil
	}
	t := report.Target{Name: fmt.Sprintf("%s: %d answers closed loop, p99 ack → teacher delivery", name, o.Students),
		Measured: ms(teacher.Latency.P99), Cmp: report.AtMost, Threshold: ms(o.TargetP99), Unit: "ms"}
	if teacher.Lost > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d lost", teacher.Lost))
	}
	if teacher.Dup > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d doubled", teacher.Dup))
	}
	if teacher.Errors > 0 {
		t.Failed = append(t.Failed, fmt.Sprintf("%d errors", teacher.Errors))
	}
	e.Report.Judge(t)
	return nil
}

// hotRound is one closed-loop burst on a pulse of its own. Its rows: the
// teacher's deliveries, the HTTP answers and, with state subscribers,
// their staleness.
func hotRound(ctx context.Context, e *Env, name string, o HotOptions, srv *harness.Server, hc *gqlclient.HTTP) ([]report.Row, error) {
	_, teacher := e.NewActor(auth.RoleTeacher)
	pulse, _, err := createPulse(ctx, hc, teacher)
	if err != nil {
		return nil, err
	}
	url := gqlclient.WSURL(srv.URL, "/query")
	aud, err := dialAudience(ctx, url, 1, 1, false,
		func(int) string { return teacher },
		func(ws *gqlclient.WS, id string) error {
			return ws.Subscribe(id, pulseEventsDoc, map[string]any{"p": pulse})
		},
		o.Students+8)
	if err != nil {
		return nil, err
	}
	defer aud.close()
	var watchers *stateWatchers
	if o.States > 0 {
		if watchers, err = watchStates(ctx, e, url, pulse, o.States, o.Students+8); err != nil {
			return nil, err
		}
		defer watchers.close()
	}
	// One answer first: the subscriptions are live once it arrives.
	_, warm := e.NewActor(auth.RoleStudent)
	if _, err := respond(ctx, hc, warm, respondBody(pulse)); err != nil {
		return nil, fmt.Errorf("%s: warm-up: %w", name, err)
	}
	if !aud.waitEach(1, 10*time.Second) {
		return nil, fmt.Errorf("%s: the teacher never received the warm-up answer", name)
	}
	if watchers != nil && !watchers.waitCount(1, 10*time.Second) {
		return nil, fmt.Errorf("%s: a state subscriber never saw the warm-up answer", name)
	}
	time.Sleep(300 * time.Millisecond)
	baseline := aud.next.Load()
	tokens := make([]string, o.Students)
	for i := range tokens {
		_, tokens[i] = e.NewActor(auth.RoleStudent)
	}
	body := respondBody(pulse)

	var (
		ranksMu sync.Mutex
		ranks   = make(map[string]int, o.Students)
	)
	m := startMeters(srv.PID)
	em := emit(ctx, o.Students, math.Inf(1), o.Clients, func(ctx context.Context, i int) (string, error) {
		ev, err := respond(ctx, hc, tokens[i], body)
		if err == nil {
			ranksMu.Lock()
			ranks[ev.ID] = ev.Version - 1 // version 1 is the pulse's creation
			ranksMu.Unlock()
		}
		return ev.ID, err
	})
	aud.waitTotal(baseline+int64(len(em.acks)), 5*time.Second)
	final := 1 + len(em.acks) // with the warm-up answer
	if watchers != nil {
		watchers.waitCount(final, 5*time.Second)
	}
	cs := fmt.Sprintf("%d answers, %d clients closed loop → 1 teacher", o.Students, o.Clients)
	if o.States > 0 {
		cs += fmt.Sprintf(" + %d pulseState", o.States)
	}
	row := report.Row{Scenario: name, Case: cs, System: report.SystemServer, Unit: "deliveries/s", Deliveries: true}
	m.fill(&row, srv.PID, "edupulse")
	aud.close()
	l := stats.Tally(em.acks, aud.receipts())
	row.Ops, row.Latency, row.Lost, row.Dup = l.Delivered, l.Latency, l.Lost+int64(o.Students-len(em.acks)), l.Duplicated
	row.Errors = em.errs + aud.errs.Load()
	if span := l.Last.Sub(em.start); span > 0 {
		row.Seconds, row.Throughput = span.Seconds(), stats.Rate(l.Delivered, span)
	}
	row.Note = "mutation ack → delivery at the teacher"
	mut := report.Row{Scenario: name, Case: cs, System: report.SystemServer + " (HTTP)", Ops: int64(len(em.acks)),
		Seconds: em.end.Sub(em.start).Seconds(), Throughput: stats.Rate(int64(len(em.acks)), em.end.Sub(em.start)),
		Unit: "answers/s", Latency: em.lat.Summary(), Errors: em.errs, Note: "respondToPulse request → response"}
	if em.first != nil {
		e.Logf("%s: first mutation error: %v", name, em.first)
	}
	if len(l.Missing) > 0 {
		e.Logf("%s: never delivered: %v", name, l.Missing)
	}
	if err := aud.err(); err != nil {
		e.Logf("%s: first subscription error: %v", name, err)
	}
	rows := []report.Row{row, mut}
	if watchers != nil {
		watchers.close()
		rows = append(rows, watchers.row(name, cs, em, ranks, final))
	}
	return rows, nil
}

// stateWatchers are pulseState subscribers, one per connection, each
// recording the responseCount of every state it receives and when.
type stateWatchers struct {
	conns   []*gqlclient.WS
	seen    []*stateLog
	errs    atomic.Int64
	first   atomic.Value
	closing atomic.Bool
	wg      sync.WaitGroup
}

type stateLog struct {
	count  atomic.Int64 // the latest responseCount
	states []stateSeen  // owned by the reader until close
}

type stateSeen struct {
	count int
	at    time.Time
}

func watchStates(ctx context.Context, e *Env, url, pulse string, n, expect int) (*stateWatchers, error) {
	w := &stateWatchers{conns: make([]*gqlclient.WS, n), seen: make([]*stateLog, n)}
	sem := make(chan struct{}, 32)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		w.seen[i] = &stateLog{states: make([]stateSeen, 0, expect)}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, tok := e.NewActor(auth.RoleStudent)
			ws, err := gqlclient.Dial(dctx, url, tok)
			if err != nil {
				errs <- fmt.Errorf("state subscriber %d: %w", i, err)
				return
			}
			w.conns[i] = ws
			if err := ws.Subscribe("s", pulseStateDoc, map[string]any{"p": pulse}); err != nil {
				errs <- fmt.Errorf("state subscriber %d: subscribe: %w", i, err)
				return
			}
			w.wg.Go(func() { w.read(i, ws) })
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

var responseCountKey = []byte(`"responseCount":`)

func (w *stateWatchers) read(i int, ws *gqlclient.WS) {
	log := w.seen[i]
	err := ws.Read(func(m gqlclient.Message) {
		switch m.Type {
		case "next":
			k := bytes.Index(m.Raw, responseCountKey)
			if k < 0 {
				w.fail(fmt.Errorf("a state without responseCount: %.300s", m.Raw))
				return
			}
			rest := m.Raw[k+len(responseCountKey):]
			end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
			if end < 0 {
				end = len(rest)
			}
			c, err := strconv.Atoi(string(rest[:end]))
			if err != nil {
				w.fail(fmt.Errorf("a state without responseCount: %.300s", m.Raw))
				return
			}
			if prev := log.count.Load(); int64(c) < prev {
				w.fail(fmt.Errorf("a state older than one already received: %d after %d", c, prev))
			}
			log.states = append(log.states, stateSeen{count: c, at: m.At})
			log.count.Store(int64(c))
		case "error", "complete":
			w.fail(fmt.Errorf("state subscription ended: %.300s", m.Raw))
		}
	})
	if err != nil && !w.closing.Load() {
		w.fail(fmt.Errorf("state subscriber %d: %w", i, err))
	}
}

func (w *stateWatchers) fail(err error) {
	w.errs.Add(1)
	w.first.CompareAndSwap(nil, err)
}

// waitCount waits until every subscriber has seen a state with at least n
// responses; false on timeout.
func (w *stateWatchers) waitCount(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for _, s := range w.seen {
		for s.count.Load() < int64(n) {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return true
}

func (w *stateWatchers) close() {
	w.closing.Store(true)
	for _, ws := range w.conns {
		if ws != nil {
			_ = ws.Close()
		}
	}
	w.wg.Wait()
}

// row tallies staleness over every (subscriber, answer), the states each
// subscriber received, and the subscribers that never saw the final state
// (as Lost).
func (w *stateWatchers) row(name, cs string, em *emitted, ranks map[string]int, final int) report.Row {
	type ack struct {
		rank int
		at   time.Time
	}
	acks := make([]ack, 0, len(em.acks))
	for id, at := range em.acks {
		acks = append(acks, ack{ranks[id], at})
	}
	slices.SortFunc(acks, func(a, b ack) int { return cmp.Compare(a.rank, b.rank) })
	var (
		stale    = stats.NewRecorder(len(acks) * len(w.seen))
		received int64
		most     int
		short    int64
	)
	for _, s := range w.seen {
		received += int64(len(s.states))
		most = max(most, len(s.states))
		if len(s.states) == 0 || s.states[len(s.states)-1].count < final {
			short++
		}
		// Both sorted by rank: walk them together.
		j := 0
		for _, a := range acks {
			for j < len(s.states) && s.states[j].count < a.rank {
				j++
			}
			if j == len(s.states) {
				break
			}
			stale.Add(max(s.states[j].at.Sub(a.at), 0))
		}
	}
	row := report.Row{Scenario: name, Case: cs, System: report.SystemServer + " (pulseState)", Ops: received,
		Unit: "states/subscriber", Latency: stale.Summary(), Deliveries: true, Lost: short, Errors: w.errs.Load()}
	if len(w.seen) > 0 {
		row.Throughput = float64(received) / float64(len(w.seen))
	}
	row.Note = fmt.Sprintf("staleness: answer ack → first state including it; %.0f states per subscriber on average (at most %d) for %d answers",
		row.Throughput, most, len(acks))
	if v := w.first.Load(); v != nil {
		row.Note += "; first error: " + v.(error).Error()
	}
	if short > 0 {
		row.Note += fmt.Sprintf("; %d subscribers never got the final state", short)
	}
	return row
}
