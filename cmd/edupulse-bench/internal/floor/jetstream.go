package floor

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"           //nolint:depguard // the raw-publish floor is nats.go with nothing of ours around it
	"github.com/nats-io/nats.go/jetstream" //nolint:depguard // as above

	"github.com/edupulse/edupulse-live/internal/bus"
)

// PublishRaw is the relay's floor: msgs published with JetStream's async
// publish, with the headers the relay sends (Nats-Msg-Id and the position),
// as fast as the client allows, then every acknowledgement awaited. It
// returns how long that took.
func PublishRaw(ctx context.Context, js jetstream.JetStream, msgs []bus.Message) (time.Duration, error) {
	start := time.Now()
	for _, m := range msgs {
		if _, err := js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Body,
			Header: nats.Header{bus.PositionHeader: []string{strconv.FormatInt(m.Position, 10)}}},
			jetstream.WithMsgID(m.ID)); err != nil {
			return 0, fmt.Errorf("raw publish: %w", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("raw publish: %d acknowledgements missing after 2 minutes", js.PublishAsyncPending())
	}
	return time.Since(start), nil
}

// ResetStream deletes the EDUPULSE stream and creates it again, empty
// (and with an empty duplicate window).
func ResetStream(ctx context.Context, js jetstream.JetStream) error {
	if err := js.DeleteStream(ctx, bus.StreamName); err != nil {
		return fmt.Errorf("delete stream: %w", err)
	}
	return bus.EnsureStream(ctx, js, 1)
}

// StreamMessages is the number of messages the EDUPULSE stream holds.
func StreamMessages(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	s, err := js.Stream(ctx, bus.StreamName)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}
