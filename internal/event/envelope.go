package event

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// CurrentSchemaVersion is the schema_version this code writes.
const CurrentSchemaVersion uint16 = 1

// Envelope is one domain event: the seed's envelope plus the aggregate it is
// appended to and its version there.
type Envelope struct {
	ID            uuid.UUID
	CorrelationID uuid.NullUUID
	CausationID   uuid.NullUUID
	ActorID       uuid.NullUUID
	// OccurredAt is in UTC at millisecond precision (see New).
	OccurredAt    time.Time
	SchemaVersion uint16

	AggregateID   uuid.UUID
	AggregateType AggregateType
	// Version is 1 for an aggregate's first event, then +1 per event. The
	// store assigns it when it appends; it is 0 before.
	Version int64

	Payload Payload

	// Position is the event's place in the global, gap-free order in which
	// the outbox relay publishes events; 0 until the relay has claimed it.
	// It is not part of the JSON body (the bus carries it in a header).
	Position int64
}

// Meta is what the caller of New knows about the request behind an event.
type Meta struct {
	ActorID       uuid.UUID
	CorrelationID uuid.UUID
	CausationID   uuid.UUID
}

// New stamps a fresh envelope around p: a random id, now in UTC truncated to
// the millisecond (the precision of the wire format, so that an event read
// back equals the one written), the current schema version, and the
// aggregate derived from the payload.
func New(p Payload, m Meta, now time.Time) Envelope {
	at, id := p.Aggregate()
	return Envelope{
		ID:            uuid.New(),
		CorrelationID: nullable(m.CorrelationID),
		CausationID:   nullable(m.CausationID),
		ActorID:       nullable(m.ActorID),
		OccurredAt:    Timestamp(now),
		SchemaVersion: CurrentSchemaVersion,
		AggregateID:   id,
		AggregateType: at,
		Payload:       p,
	}
}

// Timestamp is t in UTC truncated to the millisecond.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func nullable(id uuid.UUID) uuid.NullUUID { return uuid.NullUUID{UUID: id, Valid: id != uuid.Nil} }

// Type is the kind of the event.
func (e Envelope) Type() Type { return e.Payload.Type() }

// Subject is the bus subject of the event.
func (e Envelope) Subject() string { return e.Payload.Type().Subject() }

// Validate reports an envelope that must not be stored or published.
func (e Envelope) Validate() error {
	if e.ID == uuid.Nil {
		return fmt.Errorf("event id is the nil UUID")
	}
	if e.Payload == nil {
		return fmt.Errorf("event %s has no payload", e.ID)
	}
	if err := e.Payload.validate(); err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	at, id := e.Payload.Aggregate()
	if e.AggregateType != at || e.AggregateID != id {
		return fmt.Errorf("event %s: aggregate %s/%s does not match its payload (%s/%s)",
			e.ID, e.AggregateType, e.AggregateID, at, id)
	}
	if e.OccurredAt.IsZero() {
		return fmt.Errorf("event %s has no occurred_at", e.ID)
	}
	return nil
}
