package bus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/edupulse/edupulse-live/internal/event"
)

// Consume runs this instance's ONE consumer of the stream: an ordered,
// ephemeral consumer starting at messages stored from now on, handing each
// event (with its position from the header) to deliver, in stream order,
// until ctx ends. Subscribers are fanned out from it in process, never
// given a consumer each. When NATS is away it keeps trying; the ordered
// consumer recreates itself after a reconnect and resumes where it was.
// Messages that are not our events (another service sharing the stream)
// are skipped.
func (b *Bus) Consume(ctx context.Context, deliver func(context.Context, event.Envelope) error) error {
	backoff := 100 * time.Millisecond
	for {
		err := b.consume(ctx, deliver)
		select {
		case <-ctx.Done():
			return nil // asked to stop: whatever consume said is moot
		default:
		}
		b.logger.Warn("bus: consumer stopped, retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (b *Bus) consume(ctx context.Context, deliver func(context.Context, event.Envelope) error) error {
	cons, err := b.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{SubjectFilter},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		e, err := Decode(msg.Data(), msg.Headers().Get(PositionHeader))
		if err != nil {
			b.logger.Warn("bus: skipping a message that is not an event of ours", "subject", msg.Subject(), "err", err)
			return
		}
		if err := deliver(ctx, e); err != nil && ctx.Err() == nil {
			// The hub fills what it missed from the store on its next
			// message or sync, so one failed hand-over loses nothing.
			b.logger.Warn("bus: delivery failed", "event", e.ID, "position", e.Position, "err", err)
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		b.logger.Debug("bus: consumer", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-cc.Closed():
		return fmt.Errorf("consumer closed")
	}
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
