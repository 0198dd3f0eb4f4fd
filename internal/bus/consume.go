package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edupulse/edupulse-live/internal/backoff"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// Consumer tuning. The library's ordered consumer, on losing the node it
// lives on, waited for its 30 s pull to expire or for missed heartbeats at
// a 15 s pace, then re-created itself with a 10 s request timeout and a
// backoff growing to 10 s, often on the dead node again: live delivery
// stalled for 37 to 74 s in the chaos probe. This consumer notices a silent
// server within two heartbeats and re-creates itself at once, with a short
// request timeout, so that a create that landed on a dead node is given up
// quickly and tried again (the next placement is picked anew).
const (
	// consumerHeartbeat is the idle heartbeat asked of the server; two
	// missed ones count as a stall.
	consumerHeartbeat = time.Second
	// createTimeout bounds one consumer creation.
	createTimeout = 2 * time.Second
	// inactiveThreshold: the server deletes a consumer this long unused, so
	// one abandoned on a node that comes back does not linger.
	inactiveThreshold = 30 * time.Second
	// maxHeld is the most messages of a burst held back before one is
	// handed over, which bounds the hub's fan-out bursts.
	maxHeld = 63
	// maxRetryPause is the longest pause between two creations: a whole
	// cluster away costs a request a second, and once it is back the next
	// attempt is at most this far off.
	maxRetryPause = time.Second
)

// Consume runs this instance's ONE consumer of the stream: an ephemeral,
// unacknowledged consumer handing events (with their positions from the
// header) to deliver, in stream order, until ctx ends. Of a burst, only
// the last message is handed over: deliver's hub reads every position up
// to it from the store. Subscribers are
// fanned out from it in process, never given a consumer each. It starts
// with the messages stored from now on; when the consumer stalls (its node
// died, the connection moved, a message was skipped) it is re-created on
// whichever node the cluster picks, from the stream sequence after the
// last one taken, so nothing is skipped or delivered twice. Messages
// that are not our events (another service sharing the stream) are skipped.
func (b *Bus) Consume(ctx context.Context, deliver func(context.Context, event.Envelope) error) {
	c := &consumer{b: b, deliver: deliver}
	retry := backoff.New(50*time.Millisecond, maxRetryPause)
	for {
		began := time.Now()
		err := c.run(ctx)
		if ctx.Err() != nil {
			return // asked to stop: whatever run said is moot
		}
		if time.Since(began) > 10*time.Second {
			retry.Reset() // a consumer that worked for a while
		}
		pause := retry.Next()
		c.mu.Lock()
		from := c.last + 1
		c.mu.Unlock()
		b.logger.Warn("bus: consumer stalled; re-creating it", "err", err, "from_stream_seq", from, "in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// consumer is the state kept across re-creations.
type consumer struct {
	b       *Bus
	deliver func(context.Context, event.Envelope) error
	// mu serialises handlers, including a late one of a consumer being
	// replaced, with the bookkeeping below.
	mu sync.Mutex
	// gen is the current consumer's generation: messages of older ones
	// are ignored.
	gen uint64
	// last is the stream sequence of the last message taken (0: none yet);
	// seq the consumer sequence expected next from the current consumer.
	last, seq uint64
	// held counts messages taken but not handed over, in a burst.
	held int
	// traces are the trace contexts of the messages of the burst, handed
	// over with its last (only while tracing is on).
	traces []tracing.Announced
}

// run creates a consumer and consumes until it stalls (the error says
// why) or ctx ends.
func (c *consumer) run(ctx context.Context) error {
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.seq, c.held = 1, 0
	cfg := jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		FilterSubject:     SubjectFilter,
		InactiveThreshold: inactiveThreshold,
		Replicas:          1,
		MemoryStorage:     true,
	}
	if c.last > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = c.last + 1
	}
	c.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, createTimeout)
	cons, err := c.b.js.CreateConsumer(cctx, StreamName, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	info := cons.CachedInfo()
	name := info.Name
	c.mu.Lock()
	if c.last == 0 {
		// Delivering new messages starts after the stream's last one: a
		// re-creation before any message arrived resumes from there too,
		// not from whatever is newest by then.
		c.last = info.Delivered.Stream
	}
	c.mu.Unlock()
	defer func() {
		// Best effort: the node holding it may be gone, and the server
		// drops it after inactiveThreshold anyway.
		go func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
			defer cancel()
			_ = c.b.js.DeleteConsumer(dctx, StreamName, name)
		}()
	}()

	stalled := make(chan error, 1)
	stall := func(err error) {
		select {
		case stalled <- err:
		default:
		}
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { c.handle(ctx, gen, msg, stall) },
		jetstream.PullHeartbeat(consumerHeartbeat),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			switch {
			case errors.Is(err, jetstream.ErrNoHeartbeat),
				errors.Is(err, jetstream.ErrConsumerDeleted),
				errors.Is(err, jetstream.ErrConsumerNotFound),
				errors.Is(err, nats.ErrNoResponders),
				errors.Is(err, nats.ErrConnectionClosed):
				stall(err)
			default:
				c.b.logger.Debug("bus: consumer", "err", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer func() {
		cc.Stop()
		c.mu.Lock()
		c.gen++ // whatever the stopped consumer still hands over is dropped
		c.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-stalled:
		return err
	case <-cc.Closed():
		return errors.New("consumer closed")
	}
}

// handle takes one message of consumer generation gen, in order, or asks
// for a re-creation when one was skipped.
func (c *consumer) handle(ctx context.Context, gen uint64, msg jetstream.Msg, stall func(error)) {
	meta, err := msg.Metadata()
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if err != nil {
		stall(fmt.Errorf("message metadata: %w", err))
		return
	}
	if meta.Sequence.Consumer != c.seq {
		// A message went missing on the way (a pull lost in a reconnect):
		// start again after the last one taken.
		c.gen++
		stall(fmt.Errorf("consumer sequence %d, want %d", meta.Sequence.Consumer, c.seq))
		return
	}
	c.seq++
	c.last = meta.Sequence.Stream
	c.noteTrace(msg)
	if meta.NumPending > 0 && c.held < maxHeld {
		// More is right behind: the hub reads every position up to the
		// message it is given from the store, so handing over the last
		// of a burst costs one store read for the whole burst. Should
		// the rest not come, the hub's store sync still delivers this.
		c.held++
		return
	}
	c.held = 0
	e, err := Decode(msg.Data(), msg.Headers().Get(PositionHeader))
	if err != nil {
		c.traces = c.traces[:0]
		c.b.logger.Warn("bus: skipping a message that is not an event of ours", "subject", msg.Subject(), "err", err)
		return
	}
	err = c.deliver(tracing.WithAnnounced(ctx, c.traces), e)
	c.traces = c.traces[:0]
	if err != nil && ctx.Err() == nil {
		// The hub fills what it missed from the store on its next
		// message or sync, so one failed hand-over loses nothing.
		c.b.logger.Warn("bus: delivery failed", "event", e.ID, "position", e.Position, "err", err)
	}
}

// noteTrace keeps msg's trace context for the hand-over of its burst.
func (c *consumer) noteTrace(msg jetstream.Msg) {
	if !tracing.Enabled() {
		return
	}
	tp := msg.Headers().Get(tracing.Header)
	if tp == "" {
		return
	}
	pos, err := strconv.ParseInt(msg.Headers().Get(PositionHeader), 10, 64)
	if err != nil || len(c.traces) > maxHeld {
		return
	}
	c.traces = append(c.traces, tracing.Announced{Position: pos, TraceParent: tp})
}

// Decode reads one bus message: the JSON body and the position header.
func Decode(body []byte, position string) (event.Envelope, error) {
	pos, err := strconv.ParseInt(position, 10, 64)
	if err != nil || pos <= 0 {
		return event.Envelope{}, fmt.Errorf("bad %s header %q", PositionHeader, position)
	}
	e, err := event.Unmarshal(body)
	if err != nil {
		return event.Envelope{}, err
	}
	e.Position = pos
	return e, nil
}
