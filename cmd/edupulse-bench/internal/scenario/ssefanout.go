package scenario

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
)

// SSEFanoutOptions size the SSE fan-out scenario.
type SSEFanoutOptions struct {
	Cases []FanoutCase
	// Duration of each run (10 s).
	Duration time.Duration
	// MaxRatio bounds SSE's p99 and CPU per delivery against the
	// websocket's in the same run (1.2).
	MaxRatio float64
}

// SSEFanout runs each fan-out case twice, on fresh servers, side by side:
// subscribers on websockets (one per connection), then on GraphQL over
// SSE (a stream each, graphql-sse's distinct connections mode), and
// compares SSE's p99 and server CPU per delivery with the websocket's.
func SSEFanout(ctx context.Context, e *Env, o SSEFanoutOptions) error {
	e.Report.Note("sse: the fan-out scenario run twice per case on fresh servers, subscribers on websockets (one subscription " +
		"per connection) then on GraphQL over SSE (GET /query, Accept: text/event-stream, a stream per subscriber); " +
		"CPU per delivery is the server's CPU time over the run divided by the deliveries.")
	var errs []error
	for _, c := range o.Cases {
		if err := sseFanoutCase(ctx, e, o, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
		}
	}
	return errors.Join(errs...)
}

func sseFanoutCase(ctx context.Context, e *Env, o SSEFanoutOptions, c FanoutCase) error {
	events := max(1, int(c.Rate*o.Duration.Seconds()))
	fo := FanoutOptions{Duration: o.Duration, PerConn: 1}
	ws, _, wsCPU, err := fanoutServer(ctx, e, fo, c, events)
	if err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	fo.SSE = true
	sse, _, sseCPU, err := fanoutServer(ctx, e, fo, c, events)
	if err != nil {
		return fmt.Errorf("sse: %w", err)
	}
	ws.Scenario, sse.Scenario = "sse fan-out", "sse fan-out"
	ws.System, sse.System = "server (websocket)", "server (SSE)"
	perDelivery := func(cpu time.Duration, n int64) time.Duration {
		if n == 0 {
			return 0
		}
		return cpu / time.Duration(n)
	}
	wsPer, ssePer := perDelivery(wsCPU, ws.Ops), perDelivery(sseCPU, sse.Ops)
	ws.Note += fmt.Sprintf("; CPU per delivery %s", wsPer)
	sse.Note += fmt.Sprintf("; CPU per delivery %s", ssePer)
	for _, r := range []report.Row{ws, sse} {
		e.Logf("sse fan-out %s %s: %.0f deliveries/s, p99 %s, max %s, lost %d, dup %d, errors %d, CPU %.0f%%",
			c, r.System, r.Throughput, r.Latency.P99, r.Latency.Max, r.Lost, r.Dup, r.Errors, r.CPUPercent)
	}
	e.Logf("sse fan-out %s: CPU per delivery websocket %s, SSE %s", c, wsPer, ssePer)
	e.Report.Add(ws, sse)

	ratio := func(a, b float64) float64 {
		if b <= 0 {
			return math.NaN()
		}
		return a / b
	}
	p99 := report.Target{Name: fmt.Sprintf("sse fan-out %s: p99 SSE / websocket", c),
		Measured: ratio(ms(sse.Latency.P99), ms(ws.Latency.P99)), Cmp: report.AtMost, Threshold: o.MaxRatio, Unit: "×"}
	cpu := report.Target{Name: fmt.Sprintf("sse fan-out %s: CPU per delivery SSE / websocket", c),
		Measured: ratio(float64(ssePer), float64(wsPer)), Cmp: report.AtMost, Threshold: o.MaxRatio, Unit: "×"}
	for _, t := range []*report.Target{&p99, &cpu} {
		if sse.Lost > 0 {
			t.Failed = append(t.Failed, fmt.Sprintf("%d lost over SSE", sse.Lost))
		}
		if sse.Dup > 0 {
			t.Failed = append(t.Failed, fmt.Sprintf("%d doubled over SSE", sse.Dup))
		}
	}
	e.Report.Judge(p99, cpu)
	return nil
}
