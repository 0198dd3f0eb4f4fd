// Package relay publishes the transactional outbox to the bus: it takes the
// outbox (one relay per database, the others wait as standbys), claims
// batches of committed events in position order, publishes each batch with
// acknowledged, de-duplicated publishes, and only then marks the batch
// published in the store. A batch that fails is retried whole, after a
// backoff, until it goes through; writers never wait for the bus.
//
// Exactly once in the stream follows from at-least-once publishing plus the
// stream's de-duplication by event id (Nats-Msg-Id): a relay that dies
// between publishing and marking leaves its batch claimed, and whoever
// holds the outbox next republishes those same entries first, which the
// stream recognises and does not store again.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edupulse/edupulse-live/internal/backoff"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/testsignal"
)

// Publisher publishes a batch of messages in order and returns once every
// one is acknowledged (see bus.Bus.PublishBatch, which implements it).
type Publisher interface {
	PublishBatch(ctx context.Context, msgs []bus.Message, window int) ([]bus.PubAck, error)
}

var _ Publisher = (*bus.Bus)(nil)

// Options tune a Relay; zero values take the defaults.
type Options struct {
	// Batch is the most entries claimed and published at once (1024: a
	// claim's cost is mostly per round trip and per statement, so a backlog
	// drains half again as fast as with 256).
	Batch int
	// Window is the most publishes awaiting their acknowledgement (256).
	Window int
	// PollInterval is how long the relay waits for a wake-up before it
	// looks at the outbox anyway (1 s): the fallback for a lost wake-up.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the exponential, jittered pause
	// before a failed batch is retried (50 ms, 2 s: once the bus is back,
	// publishing resumes within about that long).
	MinBackoff, MaxBackoff time.Duration
	// HandOverAfter: when publishing has failed for this long, the relay
	// lets go of the outbox, so that a standby that can reach the bus (this
	// instance may be the one cut off) can take over (30 s; negative: never).
	HandOverAfter time.Duration

	// Notify, when set, is called for wake-ups (Wake) that arrive while
	// this relay is a standby: the commit happened here but the leader runs
	// elsewhere. Wire it to (*postgres.Store).Notify, and the store's
	// Listen to WakeFromPeer. Wake-ups arriving while a Notify runs are
	// merged into the next call, so a burst of commits costs one NOTIFY
	// per round trip, not one per commit; the leader's own commits cost
	// none.
	Notify func(ctx context.Context) error

	Logger *slog.Logger
	// Registerer, when set, receives the relay's metrics.
	Registerer prometheus.Registerer

	// OnPositioned, when set, is called (from the relay's goroutine; it
	// must not block) after events were given positions, before they are
	// published, and again while publishing fails: this instance's hub
	// can serve them from the store at once instead of waiting for the
	// bus's round trip. Wire it to (*live.Hub).Positioned.
	OnPositioned func(entries []store.OutboxEntry)
}

// testSignals are what tests wait on; in production each is a no-op.
type testSignals struct {
	// Published: a batch was marked published.
	Published testsignal.Signal[[]store.OutboxEntry]
	// PublishError: an attempt failed (and will be retried).
	PublishError testsignal.Signal[error]
	// Leader: the outbox was taken (true) or is about to be released
	// (false).
	Leader testsignal.Signal[bool]
}

func (s *testSignals) init(tb testsignal.TB) {
	s.Published.Init(tb)
	s.PublishError.Init(tb)
	s.Leader.Init(tb)
}

func (o Options) withDefaults() Options {
	if o.Batch <= 0 {
		o.Batch = 1024
	}
	if o.Window <= 0 {
		o.Window = 256
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 50 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.HandOverAfter == 0 {
		o.HandOverAfter = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Relay is the outbox publisher. Create it with New, start it with Run.
type Relay struct {
	st   store.Store
	pub  Publisher
	opts Options
	log  *slog.Logger
	m    *metrics

	// wake is signalled after a local commit, peer by another instance's
	// NOTIFY. Both hold at most one pending signal: wake-ups merge.
	wake, peer chan struct{}
	running    atomic.Bool

	signals testSignals
	// afterPublish, set only by tests, runs after a batch is acknowledged
	// by the bus and before it is marked: an error abandons the batch
	// unmarked, as a crash at that point would.
	afterPublish func(entries []store.OutboxEntry) error
}

// New returns a relay publishing st's outbox through pub. It fails only
// when the metrics cannot be registered.
func New(st store.Store, pub Publisher, opts Options) (*Relay, error) {
	opts = opts.withDefaults()
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Relay{
		st:   st,
		pub:  pub,
		opts: opts,
		log:  opts.Logger.With("component", "relay"),
		m:    m,
		wake: make(chan struct{}, 1),
		peer: make(chan struct{}, 1),
	}, nil
}

// Wake tells the relay that an event was committed in this process. It
// never blocks; call it after every commit.
func (r *Relay) Wake() { signal(r.wake) }

// WakeFromPeer tells the relay that another instance committed an event
// (a LISTEN notification). Unlike Wake it is never forwarded with Notify.
func (r *Relay) WakeFromPeer() { signal(r.peer) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// errHandOver ends a leadership that could not publish for too long.
var errHandOver = errors.New("publishing has failed for too long; handing the outbox over")

// Run waits to hold the outbox, then publishes it until ctx ends; it
// returns nil then. When the store fails under it (the leader's connection
// died), it releases the outbox and acquires it again. When ctx ends, a
// store operation under way is finished (not cancelled) and a batch being
// published is abandoned unmarked, unless all its acknowledgements were
// in, in which case it is still marked; then the outbox is released.
func (r *Relay) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("relay: Run called twice")
	}
	defer r.running.Store(false)
	retry := backoff.New(r.opts.MinBackoff, r.opts.MaxBackoff)
	for {
		ob, err := r.acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Error("acquire outbox", "err", err)
			if !sleep(ctx, retry.Next()) {
				return nil
			}
			continue
		}
		r.setLeader(true)
		since := time.Now()
		err = r.lead(ctx, ob)
		r.setLeader(false)
		ob.Release()
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(since) > time.Minute {
			retry.Reset() // a failure after a long, healthy leadership
		}
		var pause time.Duration
		if errors.Is(err, errHandOver) {
			r.log.Warn("releasing the outbox", "err", err)
			// Let a waiting standby get in first.
			pause = min(r.opts.PollInterval, time.Second)
		} else {
			r.log.Error("outbox failed; acquiring it again", "err", err)
			pause = retry.Next()
		}
		if !sleep(ctx, pause) {
			return nil
		}
	}
}

// acquire waits for the outbox. Meanwhile, local wake-ups are forwarded to
// the leader elsewhere with Notify.
func (r *Relay) acquire(ctx context.Context) (store.Outbox, error) {
	if r.opts.Notify == nil {
		return r.st.AcquireOutbox(ctx)
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-fctx.Done():
				return
			case <-r.wake:
				if err := r.opts.Notify(fctx); err != nil && fctx.Err() == nil {
					r.log.Warn("notify the leader", "err", err)
				}
			}
		}
	}()
	ob, err := r.st.AcquireOutbox(ctx)
	cancel()
	<-done
	return ob, err
}

func (r *Relay) setLeader(leading bool) {
	if leading {
		r.log.Info("holding the outbox")
		r.m.leader.Set(1)
	} else {
		r.m.leader.Set(0)
		// Only the leader reports the outbox, so sums across instances hold.
		r.m.pending.Set(0)
		r.m.oldest.Set(0)
	}
	r.signals.Leader.Signal(leading)
}

// leadership is one holding of the outbox: what lead's steps share.
type leadership struct {
	r     *Relay
	ob    store.Outbox
	retry *backoff.Backoff

	// The failure streak of the batch being retried.
	failingSince time.Time
	failures     int
	lastPending  time.Time

	// Reused from batch to batch.
	msgs []bus.Message
	ids  []uuid.UUID
}

// claimed is the outcome of a claim made while a batch is published.
type claimed struct {
	batch []store.OutboxEntry
	err   error
}

// lead publishes the outbox until ctx ends (returning ctx's error) or the
// store fails (returning that error). The next batch is claimed while the
// current one is being published (the store and the bus work at the same
// time), and the current one is marked once both are done.
func (r *Relay) lead(ctx context.Context, ob store.Outbox) error {
	l := &leadership{r: r, ob: ob, retry: backoff.New(r.opts.MinBackoff, r.opts.MaxBackoff)}
	var batch []store.OutboxEntry
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := l.reportPending(ctx); err != nil {
			return err
		}
		start := time.Now()
		if len(batch) == 0 {
			var err error
			if batch, err = l.claim(ctx, 0); err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			if len(batch) == 0 {
				if !r.idle(ctx) {
					return ctx.Err()
				}
				continue
			}
			// Publishing and its acknowledgements take a round trip to the
			// bus and the bus's own to the consumer: this instance's
			// subscribers need not wait for them.
			r.positioned(batch)
		}

		ahead := l.claimAhead(ctx, batch)
		acks, err := l.publish(ctx, batch)
		var next claimed
		if ahead != nil {
			next = <-ahead
		}
		if err != nil {
			// The batch is kept and published again; what was claimed
			// after it is offered again by the next claim after it.
			if err := l.retryLater(ctx, err, batch, next); err != nil {
				return err
			}
			continue
		}
		l.recovered()
		if err := l.mark(ctx, batch, acks, start); err != nil {
			return err
		}
		if ahead == nil {
			batch = nil
			if !r.idle(ctx) {
				return ctx.Err()
			}
			continue
		}
		if next.err != nil {
			return fmt.Errorf("claim: %w", next.err)
		}
		// An empty claim ahead sends the loop back to a plain claim, and to
		// waiting when that is empty too.
		batch = next.batch
	}
}

// reportPending refreshes the outbox metrics, at most once a second.
func (l *leadership) reportPending(ctx context.Context) error {
	if time.Since(l.lastPending) < time.Second {
		return nil
	}
	if err := l.r.refreshPending(ctx, l.ob); err != nil {
		return err
	}
	l.lastPending = time.Now()
	return nil
}

// claim claims the entries after position after (0: every unacknowledged
// one).
func (l *leadership) claim(ctx context.Context, after int64) ([]store.OutboxEntry, error) {
	return tracedClaim(ctx, func() ([]store.OutboxEntry, error) {
		return withStoreCtx(ctx, func(sctx context.Context) ([]store.OutboxEntry, error) {
			return l.ob.ClaimAfter(sctx, after, l.r.opts.Batch)
		})
	})
}

// claimAhead claims the batch after batch in the background, but only
// after a full batch: a partial one was everything committed when it was
// claimed, so a claim ahead would come back empty (most of the leader's
// statements at a steady trickle of writes); a commit since has left a
// wake-up for idle to find. nil when there is no claim ahead.
func (l *leadership) claimAhead(ctx context.Context, batch []store.OutboxEntry) <-chan claimed {
	if len(batch) < l.r.opts.Batch {
		return nil
	}
	ahead := make(chan claimed, 1)
	go func(after int64) {
		b, err := l.claim(ctx, after)
		if len(b) > 0 {
			l.r.positioned(b) // while the batch before it is still being published
		}
		ahead <- claimed{b, err}
	}(batch[len(batch)-1].Position)
	return ahead
}

// publish sends batch to the bus and waits for every acknowledgement.
func (l *leadership) publish(ctx context.Context, batch []store.OutboxEntry) ([]bus.PubAck, error) {
	l.msgs = l.msgs[:0]
	for _, e := range batch {
		l.msgs = append(l.msgs, bus.Message{Subject: e.Subject, ID: e.EventID.String(), Position: e.Position, Body: e.Body,
			TraceParent: e.TraceParent})
	}
	spans := startPublish(ctx, batch, l.msgs)
	acks, err := l.r.pub.PublishBatch(ctx, l.msgs, l.r.opts.Window)
	spans.end(err)
	if err == nil && l.r.afterPublish != nil {
		err = l.r.afterPublish(batch)
	}
	return acks, err
}

// retryLater records a failed publish of batch and waits before it is
// retried; meanwhile what is committed still gets positions. Its error
// ends the leadership: ctx ended, the store failed, or publishing has
// failed for longer than HandOverAfter (errHandOver).
func (l *leadership) retryLater(ctx context.Context, err error, batch []store.OutboxEntry, next claimed) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r := l.r
	r.m.errors.Inc()
	r.signals.PublishError.Signal(err)
	l.failures++
	if l.failingSince.IsZero() {
		l.failingSince = time.Now()
	}
	delay := l.retry.Next()
	r.log.Warn("publish failed; retrying the batch", "err", err, "entries", len(batch),
		"first_position", batch[0].Position, "attempt", l.failures, "retry_in", delay)
	if r.opts.HandOverAfter > 0 && time.Since(l.failingSince) > r.opts.HandOverAfter {
		return errHandOver
	}
	// The batch (and what was claimed behind it) has positions the bus is
	// not carrying: the hub can read them from the store.
	positioned := batch[len(batch)-1].Position
	if len(next.batch) > 0 {
		positioned = next.batch[len(next.batch)-1].Position
	}
	r.positioned(batch)
	return r.backOff(ctx, l.ob, delay, positioned)
}

// recovered ends a failure streak, after a batch went through.
func (l *leadership) recovered() {
	if l.failures > 0 {
		l.r.log.Info("publishing again", "failed_attempts", l.failures, "outage", time.Since(l.failingSince).Round(time.Millisecond))
	}
	l.retry.Reset()
	l.failures, l.failingSince = 0, time.Time{}
}

// mark records batch as published (it is in the stream) and counts it.
// It marks even when shutting down: recording it spares the next holder
// a republish.
func (l *leadership) mark(ctx context.Context, batch []store.OutboxEntry, acks []bus.PubAck, start time.Time) error {
	l.ids = l.ids[:0]
	for _, e := range batch {
		l.ids = append(l.ids, e.EventID)
	}
	if _, err := withStoreCtx(ctx, func(sctx context.Context) (struct{}, error) {
		return struct{}{}, l.ob.Ack(sctx, l.ids)
	}); err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	dups := 0
	for _, a := range acks {
		if a.Duplicate {
			dups++
		}
	}
	m := l.r.m
	m.published.Add(float64(len(batch)))
	m.redundant.Add(float64(dups))
	m.batchDuration.Observe(time.Since(start).Seconds())
	l.r.signals.Published.Signal(batch)
	return nil
}

// backOff waits delay before a failed batch is retried. Meanwhile the
// events committed in the meantime are still claimed, so that they get
// their positions (after `positioned`, the last one given) at once and
// live subscribers are served from the store while the bus is away,
// rather than in bursts paced by the backoff. What is claimed here is
// not kept: the claims after the retried batch offer it again, in order.
// It returns ctx's error when ctx ends, or a store error.
func (r *Relay) backOff(ctx context.Context, ob store.Outbox, delay time.Duration, positioned int64) error {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-r.wake:
		case <-r.peer:
		}
		for {
			more, err := withStoreCtx(ctx, func(sctx context.Context) ([]store.OutboxEntry, error) {
				return ob.ClaimAfter(sctx, positioned, r.opts.Batch)
			})
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			if len(more) == 0 {
				break
			}
			positioned = more[len(more)-1].Position
			r.positioned(more)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
}

func (r *Relay) positioned(entries []store.OutboxEntry) {
	if r.opts.OnPositioned != nil {
		r.opts.OnPositioned(entries)
	}
}

// idle waits for a wake-up or the poll interval; false when ctx ended.
func (r *Relay) idle(ctx context.Context) bool {
	t := time.NewTimer(r.opts.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.wake:
	case <-r.peer:
	case <-t.C:
	}
	return true
}

func (r *Relay) refreshPending(ctx context.Context, ob store.Outbox) error {
	var oldest time.Duration
	n, err := withStoreCtx(ctx, func(sctx context.Context) (n int, err error) {
		n, oldest, err = ob.Pending(sctx)
		return n, err
	})
	if err != nil {
		return fmt.Errorf("pending: %w", err)
	}
	r.m.pending.Set(float64(n))
	r.m.oldest.Set(oldest.Seconds())
	return nil
}

// storeTimeout bounds one outbox operation.
const storeTimeout = 30 * time.Second

// withStoreCtx runs one outbox operation to its end even when ctx is
// cancelled meanwhile. Cancelling a query can end the connection that
// holds the outbox (pgx closes it), which would hand the outbox to a
// standby while this relay is still between publishing and marking: two
// relays publishing at once. Stopping between operations keeps the hand-
// over clean: the outbox is released only after the last one.
func withStoreCtx[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	return op(sctx)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
