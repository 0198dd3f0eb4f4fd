package scenario

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// audience is a set of subscriptions spread over websocket connections,
// perConn on each, with ids s1…s<perConn>; each records what it receives.
type audience struct {
	conns   []stream
	subs    []*subscriber
	perConn int

	next    atomic.Int64 // "next" messages received, all subscriptions
	errs    atomic.Int64 // error messages, completes and read failures
	closing atomic.Bool
	wg      sync.WaitGroup

	sampleMu sync.Mutex
	samples  [][]byte // the first "next" of each subscription of the first connection
	firstErr atomic.Value
}

// stream is a websocket or an SSE stream.
type stream interface {
	Read(fn func(gqlclient.Message)) error
	Close() error
}

type subscriber struct {
	n        atomic.Int64
	receipts []stats.Receipt // owned by the connection's reader until close
}

// dialAudience opens ceil(n/perConn) connections to url and starts n
// subscriptions. raw: the broadcast floor (no protocol, no subscribe).
// token(i) is connection i's token; subscribe starts subscription id on a
// connection.
func dialAudience(ctx context.Context, url string, n, perConn int, raw bool, token func(int) string,
	subscribe func(ws *gqlclient.WS, id string) error, expect int) (*audience, error) {
	nconns := (n + perConn - 1) / perConn
	a := &audience{conns: make([]stream, nconns), subs: make([]*subscriber, n), perConn: perConn,
		samples: make([][]byte, perConn)}
	for i := range a.subs {
		a.subs[i] = &subscriber{receipts: make([]stats.Receipt, 0, expect)}
	}
	sem := make(chan struct{}, 32)
	errs := make(chan error, nconns)
	var wg sync.WaitGroup
	for c := range nconns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs <- ctx.Err()
				return
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var ws *gqlclient.WS
			var err error
			if raw {
				ws, err = gqlclient.DialRaw(dctx, url)
			} else {
				ws, err = gqlclient.Dial(dctx, url, token(c))
			}
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", c, err)
				return
			}
			a.conns[c] = ws
			if !raw {
				for k := 1; k <= perConn && (c*perConn+k-1) < n; k++ {
					if err := subscribe(ws, "s"+strconv.Itoa(k)); err != nil {
						errs <- fmt.Errorf("connection %d: subscribe: %w", c, err)
						return
					}
				}
			}
			a.wg.Go(func() { a.read(c, ws) })
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// dialSSEAudience opens n SSE streams to the server at baseURL, each a
// subscription of its own (graphql-sse's distinct connections mode),
// authenticated with token(i).
func dialSSEAudience(ctx context.Context, baseURL string, n int, token func(int) string, query string,
	vars map[string]any, expect int) (*audience, error) {
	a := &audience{conns: make([]stream, n), subs: make([]*subscriber, n), perConn: 1, samples: make([][]byte, 1)}
	for i := range a.subs {
		a.subs[i] = &subscriber{receipts: make([]stats.Receipt, 0, expect)}
	}
	hc := gqlclient.SSEClient()
	sem := make(chan struct{}, 32)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for c := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			s, err := gqlclient.DialSSE(dctx, hc, baseURL, token(c), query, vars)
			if err != nil {
				errs <- fmt.Errorf("stream %d: %w", c, err)
				return
			}
			a.conns[c] = s
			a.wg.Go(func() { a.read(c, s) })
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *audience) read(c int, ws stream) {
	err := ws.Read(func(m gqlclient.Message) {
		switch m.Type {
		case "next":
			k, err := strconv.Atoi(m.ID[min(1, len(m.ID)):])
			if err != nil || k < 1 || k > a.perConn || c*a.perConn+k-1 >= len(a.subs) {
				a.fail(fmt.Errorf("message for an unknown subscription: %.200s", m.Raw))
				return
			}
			s := a.subs[c*a.perConn+k-1]
			s.receipts = append(s.receipts, stats.Receipt{EventID: m.EventID, At: m.At})
			s.n.Add(1)
			a.next.Add(1)
			if c == 0 {
				a.sampleMu.Lock()
				if a.samples[k-1] == nil {
					a.samples[k-1] = bytes.Clone(m.Raw)
				}
				a.sampleMu.Unlock()
			}
		case "error", "complete":
			a.fail(fmt.Errorf("subscription ended: %.300s", m.Raw))
		}
	})
	if err != nil && !a.closing.Load() {
		a.fail(fmt.Errorf("connection %d: %w", c, err))
	}
}

func (a *audience) fail(err error) {
	a.errs.Add(1)
	a.firstErr.CompareAndSwap(nil, err)
}

// err is the first failure seen, if any.
func (a *audience) err() error {
	if v := a.firstErr.Load(); v != nil {
		return v.(error)
	}
	return nil
}

// waitEach waits until every subscription has received at least n
// messages; false on timeout.
func (a *audience) waitEach(n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for _, s := range a.subs {
		for s.n.Load() < n {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return true
}

// waitTotal waits until the audience has received total messages in all,
// or quiet passes with none arriving, or two minutes; false if it stopped
// short.
func (a *audience) waitTotal(total int64, quiet time.Duration) bool {
	last, lastChange := a.next.Load(), time.Now()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n := a.next.Load()
		if n >= total {
			return true
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > quiet {
			return false
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sample is a copy of the first message each subscription of the first
// connection received.
func (a *audience) sample() [][]byte {
	a.sampleMu.Lock()
	defer a.sampleMu.Unlock()
	return a.samples
}

// close closes every connection and waits for the readers: the receipts
// are then safe to read.
func (a *audience) close() {
	a.closing.Store(true)
	for _, ws := range a.conns {
		if ws != nil {
			_ = ws.Close()
		}
	}
	a.wg.Wait()
}

// receipts returns every subscription's receipts (after close).
func (a *audience) receipts() [][]stats.Receipt {
	out := make([][]stats.Receipt, len(a.subs))
	for i, s := range a.subs {
		out[i] = s.receipts
	}
	return out
}

// emitted is what an emitter produced: the acknowledged events and when
// each acknowledgement (the mutation's HTTP response) arrived.
type emitted struct {
	acks  map[string]time.Time
	errs  int64
	first error
	// lat is request → response of each acknowledged mutation.
	lat   stats.Recorder
	start time.Time
	end   time.Time
}

// emit calls fire n times, the i-th at start + i/rate (an open loop: a
// slow answer does not delay the next call), from up to workers calls at
// once. fire returns the id of the event its mutation wrote.
func emit(ctx context.Context, n int, rate float64, workers int, fire func(ctx context.Context, i int) (string, error)) *emitted {
	out := &emitted{acks: make(map[string]time.Time, n), start: time.Now()}
	var mu sync.Mutex
	jobs := make(chan int, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				t0 := time.Now()
				id, err := fire(ctx, i)
				at := time.Now()
				mu.Lock()
				if err != nil {
					out.errs++
					if out.first == nil {
						out.first = err
					}
				} else {
					out.acks[id] = at
					out.lat.Add(at.Sub(t0))
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		due := out.start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	out.end = time.Now()
	return out
}
