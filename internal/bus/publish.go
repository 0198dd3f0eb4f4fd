package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edupulse/edupulse-live/internal/tracing"
)

// DefaultWindow is the number of publishes PublishBatch keeps awaiting
// their acknowledgement when the caller does not say.
const DefaultWindow = 256

// Message is one event to publish.
type Message struct {
	Subject string
	// ID is the event id, sent as Nats-Msg-Id.
	ID string
	// Position is sent as Edupulse-Position.
	Position int64
	Body     []byte
	// TraceParent, when set, is sent as the W3C traceparent header: the
	// consuming instances' deliveries continue the event's trace.
	TraceParent string
}

// PubAck is JetStream's acknowledgement of one message.
type PubAck struct {
	Sequence uint64
	// Duplicate: the stream already held a message with this id (inside
	// its duplicate window) and did not store this one again.
	Duplicate bool
}

// PublishBatch publishes msgs in order, asynchronously, with at most window
// publishes awaiting their acknowledgement at once, and returns when every
// message is acknowledged (acks[i] belongs to msgs[i]) or, after a failure,
// when none is in flight any more (each ends with its ack, its error or the
// ack timeout), so that a caller retrying the batch never races its own
// earlier attempt. A publish is not retried here: the caller retries the
// whole batch, in order, and the stream stores each id once.
//
// It fails at once with ErrNotConnected while the connection is down,
// rather than filling the reconnect buffer with messages whose fate would
// be unknown.
func (b *Bus) PublishBatch(ctx context.Context, msgs []Message, window int) ([]PubAck, error) {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return nil, fmt.Errorf("%w (%s)", ErrNotConnected, st)
	}
	if window <= 0 {
		window = DefaultWindow
	}
	acks := make([]PubAck, len(msgs))
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var firstErr error
	settled := 0
	// settle waits for the oldest unsettled publish: acks normally arrive
	// in publish order, so waiting on the oldest is waiting on the next.
	settle := func() error {
		i := settled
		settled++
		select {
		case a := <-futures[i].Ok():
			if a.Stream != StreamName {
				return fmt.Errorf("publish %s: stored in stream %q, want %q", msgs[i].ID, a.Stream, StreamName)
			}
			acks[i] = PubAck{Sequence: a.Sequence, Duplicate: a.Duplicate}
			return nil
		case err := <-futures[i].Err():
			return fmt.Errorf("publish %s: %w", msgs[i].ID, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, m := range msgs {
		if len(futures)-settled >= window {
			if firstErr = settle(); firstErr != nil {
				break
			}
		}
		h := nats.Header{PositionHeader: []string{strconv.FormatInt(m.Position, 10)}}
		if m.TraceParent != "" {
			h[tracing.Header] = []string{m.TraceParent}
		}
		f, err := b.js.PublishMsgAsync(&nats.Msg{
			Subject: m.Subject,
			Data:    m.Body,
			Header:  h,
		},
			jetstream.WithMsgID(m.ID),
			jetstream.WithExpectStream(StreamName),
			// A message retried on its own would land after the ones
			// behind it: fail the batch instead and let it be retried whole.
			jetstream.WithRetryAttempts(0),
		)
		if err != nil {
			firstErr = fmt.Errorf("publish %s: %w", m.ID, err)
			break
		}
		futures = append(futures, f)
	}
	for settled < len(futures) {
		if err := settle(); err != nil && firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr != nil {
		if errors.Is(firstErr, nats.ErrDisconnected) || errors.Is(firstErr, nats.ErrConnectionReconnecting) {
			firstErr = fmt.Errorf("%w: %w", ErrNotConnected, firstErr)
		}
		return nil, firstErr
	}
	return acks, nil
}
