// Package stats turns raw samples of a load run into the figures the
// benchmark reports: latency percentiles, rates, and the delivery ledger
// (lost and duplicated deliveries against what was expected).
package stats

import (
	"slices"
	"sync"
	"time"
)

// Summary is the latency distribution of one run.
type Summary struct {
	Count int
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// Recorder collects latency samples. Its zero value is ready; it is not safe
// for concurrent use: give each goroutine its own and Merge them, or use
// SyncRecorder.
type Recorder struct {
	samples []time.Duration
}

// NewRecorder returns a recorder with room for n samples.
func NewRecorder(n int) *Recorder { return &Recorder{samples: make([]time.Duration, 0, n)} }

// Add records one sample.
func (r *Recorder) Add(d time.Duration) { r.samples = append(r.samples, d) }

// Merge adds every sample of o.
func (r *Recorder) Merge(o *Recorder) {
	if o != nil {
		r.samples = append(r.samples, o.samples...)
	}
}

// Len is the number of samples.
func (r *Recorder) Len() int { return len(r.samples) }

// Summary sorts the samples (in place) and summarises them.
func (r *Recorder) Summary() Summary {
	return Summarize(r.samples)
}

// Summarize sorts samples in place and returns their distribution. An
// empty slice gives the zero Summary.
func Summarize(samples []time.Duration) Summary {
	n := len(samples)
	if n == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return Summary{
		Count: n,
		Mean:  sum / time.Duration(n),
		P50:   Percentile(samples, 0.50),
		P90:   Percentile(samples, 0.90),
		P99:   Percentile(samples, 0.99),
		Max:   samples[n-1],
	}
}

// Percentile is the nearest-rank percentile q (0 < q <= 1) of sorted: the
// smallest sample with at least q of the samples at or below it.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(q*float64(n)+0.999999999) - 1 // ceil(q·n) − 1, robust to float error
	return sorted[min(max(rank, 0), n-1)]
}

// SyncRecorder is a Recorder safe for concurrent use.
type SyncRecorder struct {
	mu sync.Mutex
	r  Recorder
}

// Add records one sample.
func (s *SyncRecorder) Add(d time.Duration) {
	s.mu.Lock()
	s.r.Add(d)
	s.mu.Unlock()
}

// Summary summarises the samples recorded so far.
func (s *SyncRecorder) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Summary()
}

// Rate is count per second over elapsed (0 when elapsed is not positive).
func Rate(count int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(count) / elapsed.Seconds()
}

// Receipt is one delivery seen by a subscriber: which event, and when.
type Receipt struct {
	EventID string
	At      time.Time
}

// Ledger is the outcome of matching deliveries against acknowledgements.
type Ledger struct {
	// Expected is acknowledged events × subscribers (every subscriber
	// matches every event of the run).
	Expected int64
	// Delivered counts first deliveries of acknowledged events.
	Delivered int64
	// Lost is Expected − Delivered.
	Lost int64
	// Duplicated counts deliveries of an event a subscriber already had.
	Duplicated int64
	// Early counts deliveries that arrived before the mutation's HTTP
	// response did; their latency is recorded as 0.
	Early int64
	// Foreign counts deliveries of events that were not acknowledged in
	// the run (warm-up events, or mutations whose response failed).
	Foreign int64
	// First and Last bound the deliveries of acknowledged events.
	First, Last time.Time
	// Latency is delivery − acknowledgement, one sample per first
	// delivery.
	Latency Summary
	// Missing names up to ten acknowledged events some subscriber never
	// received.
	Missing []string
}

// Tally matches each subscriber's receipts against acks (event id → the
// time the mutation's response arrived). Latency is delivery time minus
// ack time, clamped at 0 (a delivery may beat the HTTP response home).
func Tally(acks map[string]time.Time, subscribers [][]Receipt) Ledger {
	l := Ledger{Expected: int64(len(acks)) * int64(len(subscribers))}
	lat := make([]time.Duration, 0, l.Expected)
	seen := make(map[string]struct{}, len(acks))
	for _, receipts := range subscribers {
		clear(seen)
		for _, r := range receipts {
			ack, ok := acks[r.EventID]
			if !ok {
				l.Foreign++
				continue
			}
			if _, dup := seen[r.EventID]; dup {
				l.Duplicated++
				continue
			}
			seen[r.EventID] = struct{}{}
			l.Delivered++
			d := r.At.Sub(ack)
			if d < 0 {
				l.Early++
				d = 0
			}
			lat = append(lat, d)
			if l.First.IsZero() || r.At.Before(l.First) {
				l.First = r.At
			}
			if r.At.After(l.Last) {
				l.Last = r.At
			}
		}
	}
	l.Lost = l.Expected - l.Delivered
	l.Latency = Summarize(lat)
	if l.Lost > 0 {
		l.Missing = missing(acks, subscribers, 10)
	}
	return l
}

// missing lists up to n acknowledged events that some subscriber lacks.
func missing(acks map[string]time.Time, subscribers [][]Receipt, n int) []string {
	var out []string
	have := map[string]struct{}{}
	for _, receipts := range subscribers {
		clear(have)
		for _, r := range receipts {
			have[r.EventID] = struct{}{}
		}
		for id := range acks {
			if _, ok := have[id]; !ok && !slices.Contains(out, id) {
				out = append(out, id)
				if len(out) == n {
					return out
				}
			}
		}
	}
	slices.Sort(out)
	return out
}
