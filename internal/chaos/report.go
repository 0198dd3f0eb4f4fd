package chaos

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Stall thresholds: a signal quiet for less than this was not interrupted.
// Writes run at ~30/s and the stream is sampled every 250 ms.
const (
	writeStall    = time.Second
	relayStall    = 1500 * time.Millisecond
	deliveryStall = time.Second
)

// FaultMetrics are the effects of one fault, measured over its window: from
// the fault to the next one (or to the end of the load).
type FaultMetrics struct {
	// DeliveryGap is the longest time any admin subscriber went without a
	// delivery in the window.
	DeliveryGap time.Duration
	// *Back are the times from the fault to the end of the longest stall of
	// each signal: writes acknowledged, the stream advancing, deliveries at
	// subscribers. Negative: the signal never stalled. notBack: it stalled
	// until the end of the window.
	WritesBack, RelayBack, DeliveryBack time.Duration
	FailedWrites                        int
	// FailedBy counts the failed attempts of the window by kind.
	FailedBy map[string]int
}

const notBack = time.Duration(1<<63 - 1)

// longestGap is the longest interval between consecutive times in [from,
// to), counting from `from` and up to `to`, and the time that ended it
// (zero when it ran to the end of the window).
func longestGap(times []time.Time, from, to time.Time) (time.Duration, time.Time) {
	var gap time.Duration
	var end time.Time
	prev := from
	for _, t := range times {
		if t.Before(from) {
			continue
		}
		if !t.Before(to) {
			break
		}
		if d := t.Sub(prev); d > gap {
			gap, end = d, t
		}
		prev = t
	}
	if d := to.Sub(prev); d > gap {
		gap, end = d, time.Time{}
	}
	return gap, end
}

func recovery(times []time.Time, from, to time.Time, stall time.Duration) time.Duration {
	gap, end := longestGap(times, from, to)
	switch {
	case gap <= stall:
		return -1
	case end.IsZero():
		return notBack
	default:
		return end.Sub(from)
	}
}

// measure computes each fault's metrics. Times must be sorted.
func measure(faults []*Fault, loadEnd time.Time, writesOK []time.Time, writesFailed []failedWrite, relay []time.Time, subs []SubLog) []FaultMetrics {
	out := make([]FaultMetrics, len(faults))
	for i, f := range faults {
		to := loadEnd
		if i+1 < len(faults) {
			to = faults[i+1].At
		}
		m := FaultMetrics{DeliveryBack: -1, FailedBy: map[string]int{}}
		m.WritesBack = recovery(writesOK, f.At, to, writeStall)
		m.RelayBack = recovery(relay, f.At, to, relayStall)
		for _, w := range writesFailed {
			if !w.At.Before(f.At) && w.At.Before(to) {
				m.FailedWrites++
				m.FailedBy[w.Class]++
			}
		}
		for _, s := range subs {
			if s.Aggregate != "" {
				continue // pulse followers go quiet when their pulse closes
			}
			times := make([]time.Time, len(s.Received))
			for k, d := range s.Received {
				times[k] = d.At
			}
			gap, _ := longestGap(times, f.At, to)
			if gap > m.DeliveryGap {
				m.DeliveryGap = gap
			}
			if r := recovery(times, f.At, to, deliveryStall); r > m.DeliveryBack {
				m.DeliveryBack = r
			}
		}
		out[i] = m
	}
	return out
}

func fmtFailed(m FaultMetrics) string {
	if m.FailedWrites == 0 {
		return "0"
	}
	kinds := make([]string, 0, len(m.FailedBy))
	for k := range m.FailedBy {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return m.FailedBy[kinds[i]] > m.FailedBy[kinds[j]] })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", m.FailedBy[k], k)
	}
	return fmt.Sprintf("%d (%s)", m.FailedWrites, strings.Join(parts, ", "))
}

func fmtRecovery(d time.Duration) string {
	switch {
	case d < 0:
		return "no stall"
	case d == notBack:
		return "NOT BACK"
	default:
		return fmtDur(d)
	}
}

func fmtDur(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func offset(start, t time.Time) string {
	d := t.Sub(start).Round(time.Second)
	return fmt.Sprintf("+%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// Summary is what the report prints besides the faults.
type Summary struct {
	Start, LoadEnd, End time.Time
	RunDir              string
	Writers             string
	Subscribers         int
	Reconnects          int
	Observations        []observation
}

func writeReport(w io.Writer, s Summary, faults []*Fault, metrics []FaultMetrics, r *Reconciliation) {
	fmt.Fprintf(w, "\n== chaos run: %s of load, %d faults, %s in all\n",
		s.LoadEnd.Sub(s.Start).Round(time.Second), len(faults), s.End.Sub(s.Start).Round(time.Second))

	fmt.Fprintf(w, "\n-- faults\n"+
		"delivery gap: the longest time an admin subscriber went without a delivery between this fault and the next.\n"+
		"writes/relay/live back: time from the fault until the end of the longest stall (writes acknowledged, the stream's last\n"+
		"sequence advancing, deliveries at subscribers) in that window; \"no stall\": never quiet for more than %s/%s/%s.\n",
		writeStall, relayStall, deliveryStall)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tat\tkind\ttarget\tdelivery gap\twrites back\trelay back\tlive back\tfailed write attempts (retried)\tok")
	for i, f := range faults {
		m := metrics[i]
		ok := "yes"
		if f.Failed {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, offset(s.Start, f.At), f.Kind, f.Target,
			fmtDur(m.DeliveryGap), fmtRecovery(m.WritesBack), fmtRecovery(m.RelayBack), fmtRecovery(m.DeliveryBack), fmtFailed(m), ok)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\n-- what each fault did")
	for i, f := range faults {
		fmt.Fprintf(w, "%2d %-18s %s (took %s)\n", i+1, f.Kind, strings.Join(f.Notes, "; "), f.Done.Sub(f.At).Round(time.Millisecond))
	}

	fmt.Fprintln(w, "\n-- reconciliation")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tchecked\tlost\tduplicated\tout of order\tunexpected")
	row := func(name string, n int, c Counts) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", name, n, c.Lost, c.Duplicated, c.OutOfOrder, c.Unexpected)
	}
	row("acknowledged writes in the store", r.Acked, r.Store)
	fmt.Fprintf(tw, "logical writes applied twice\t%d\t-\t%d\t-\t-\n", r.Acked, r.DupWrites)
	row("store events in the stream", r.StoreEvents, r.Stream)
	row(fmt.Sprintf("deliveries to %d subscribers", s.Subscribers), r.Deliveries, r.Subscribers)
	row("TOTAL", r.StoreEvents, r.Total())
	_ = tw.Flush()
	fmt.Fprintf(w, "events written: %d acknowledged mutations, %d events in the store, %d messages in the stream\n", r.Acked, r.StoreEvents, r.StreamMsgs)
	fmt.Fprintf(w, "writers: %s\n", s.Writers)
	fmt.Fprintf(w, "subscribers: %d, %d moves to another instance\n", s.Subscribers, s.Reconnects)

	if len(r.Issues) > 0 {
		fmt.Fprintln(w, "\n-- issues")
		for _, is := range r.Issues {
			fmt.Fprintf(w, "%-12s %-12s %s\n", is.Where, is.Kind, is.What)
		}
	}
	obs := append([]observation(nil), s.Observations...)
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].At.Before(obs[j].At) })
	if len(obs) > 0 {
		fmt.Fprintln(w, "\n-- server behaviour observed (first occurrence; ×n repeats)")
		for _, o := range obs {
			fmt.Fprintf(w, "%s %s\n", offset(s.Start, o.At), o.What)
		}
	}
	verdict := "PASS: no event lost, duplicated or out of order"
	if !r.OK() {
		t := r.Total()
		verdict = fmt.Sprintf("FAIL: %d lost, %d duplicated, %d out of order, %d unexpected", t.Lost, t.Duplicated, t.OutOfOrder, t.Unexpected)
	}
	fmt.Fprintf(w, "\n%s\nlogs: %s\n", verdict, s.RunDir)
}
