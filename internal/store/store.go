// Package store owns the persistence contract: the unit of work that writes
// domain rows, their events and outbox entries in one transaction, the
// keyset-paged reads, the outbox tail, and the sentinel errors every backend
// translates its driver errors into. Backends live in sub-packages
// (postgres, sqlite); storetest holds the one suite both must pass.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
)

// Sentinel errors. Backends translate driver errors into these once, at
// their edge; nothing above the store ever inspects a driver error.
var (
	// ErrNotFound: the row or event does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write lost to another one (an expected version that
	// moved, a second response by one student, a pulse already closed).
	ErrConflict = errors.New("conflict")
	// ErrIdempotencyKeyReused: an idempotency key was replayed with a
	// different request than the one that first used it.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused with a different request")
	// ErrUnavailable: the store could not run the unit of work (unreachable,
	// restarting, or it kept aborting it as a deadlock or a serialization
	// failure) within the backend's bounded retries. Nothing was committed;
	// the same request may succeed later. Not a domain conflict.
	ErrUnavailable = errors.New("store unavailable")
	// ErrOutcomeUnknown: the connection was lost after the commit was sent,
	// so the unit of work may or may not have been committed. Only an
	// idempotency key makes a retry safe; the backend retries with one by
	// itself and returns this error only to requests without one.
	ErrOutcomeUnknown = errors.New("the outcome of the commit is unknown")
)

// ErasedText replaces erased personal text.
const ErasedText = "[erased]"

// Expected versions for Append.
const (
	// ExpectAny appends after whatever the aggregate's version is, under a
	// per-aggregate lock, so concurrent appenders all succeed in turn.
	ExpectAny int64 = -1
	// ExpectNew requires that the aggregate has no event yet.
	ExpectNew int64 = 0
)

// Pulse is a learning pulse row.
type Pulse struct {
	ID            uuid.UUID
	TeacherID     uuid.UUID
	Title         string
	Description   *string
	DueDate       *time.Time
	CreatedAt     time.Time
	ClosedAt      *time.Time
	ResponseCount int
	// Confidences[c-1] is how many responses gave confidence c (1 to
	// 5); a response without one is counted in ResponseCount only. Kept on
	// the row by the unit of work that inserts the response.
	Confidences [5]int
}

// ConfidenceCounts is Confidences as a list (GraphQL's confidenceCounts).
func (p Pulse) ConfidenceCounts() []int { return p.Confidences[:] }

// Count records r on p as InsertResponse records it on the pulse's row:
// what a unit of work holding the pulse's lock knows the row becomes.
func (p *Pulse) Count(r Response) {
	p.ResponseCount++
	if c := r.Confidence; c != nil && *c >= 1 && *c <= 5 {
		p.Confidences[*c-1]++
	}
}

// PulseState is a pulse as of one version of its aggregate: the row and
// the version read together, from one snapshot, so that a newer version
// is never an older row.
type PulseState struct {
	Pulse   Pulse
	Version int64
}

// Response is one student's answer to a pulse.
type Response struct {
	ID         uuid.UUID
	PulseID    uuid.UUID
	StudentID  uuid.UUID
	Answer     string
	Confidence *int
	CreatedAt  time.Time
	// Seq orders a pulse's responses: the version of the event that recorded
	// it, assigned under the pulse's lock, so it follows commit order (a
	// clock would not).
	Seq int64
}

// Idempotency identifies a retryable request: the same actor sending the
// same key gets the first outcome back. Fingerprint distinguishes a genuine
// retry from a reuse of the key for another request.
type Idempotency struct {
	ActorID     uuid.UUID
	Key         string
	Fingerprint string
}

// Outcome is what a unit of work produced, remembered for idempotent
// retries: the row it created or changed and the events it appended.
type Outcome struct {
	ResourceID uuid.UUID   `json:"resource_id"`
	EventIDs   []uuid.UUID `json:"event_ids"`
}

// Tx is one open unit of work. Everything done through it commits together
// or not at all.
type Tx interface {
	// InsertPulse inserts a new pulse row.
	InsertPulse(ctx context.Context, p Pulse) error
	// LockPulse reads a pulse and holds it against concurrent writers until
	// the unit of work ends: ErrNotFound when it does not exist. version is
	// the pulse aggregate's version, read after the lock is held: every
	// writer of a pulse's events locks it first, so it is the version to
	// append after (Append with it as the exact expectation needs no round
	// trip of its own).
	LockPulse(ctx context.Context, id uuid.UUID) (p Pulse, version int64, err error)
	// ClosePulse sets closed_at on a pulse that is open; ErrConflict if it
	// was already closed.
	ClosePulse(ctx context.Context, id uuid.UUID, at time.Time) error
	// InsertResponse inserts a response and counts it on its pulse (its
	// response count and its confidence's count, as Pulse.Count does);
	// ErrConflict when the student already answered this pulse.
	InsertResponse(ctx context.Context, r Response) error
	// EraseActor irreversibly replaces the personal text the actor left
	// (their pulses' titles and descriptions, their answers) with
	// ErasedText, and returns how many rows it changed. Events carry ids
	// only, so history keeps its shape and order.
	EraseActor(ctx context.Context, actorID uuid.UUID) (int, error)
	// Append assigns versions to evs (all of one aggregate, in order) after
	// expected (ExpectAny, ExpectNew or an exact version; ErrConflict when
	// it does not hold), stores them and queues them in the outbox. The
	// aggregate is the events' (AggregateType, AggregateID): an id that an
	// aggregate of another type holds is another aggregate, whose version
	// neither counts nor moves. Events of several aggregates, or whose
	// aggregate is not their payload's, are refused and nothing is written.
	Append(ctx context.Context, expected int64, evs ...*event.Envelope) error
}

// PulseFilter selects pulses, newest first.
type PulseFilter struct {
	TeacherID *uuid.UUID
	// After is the (created_at, id) of the last pulse of the previous page.
	After *PulseKey
	Limit int
}

// PulseKey is the keyset position of a pulse in the newest-first order.
type PulseKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ResponseFilter selects one pulse's responses, oldest first.
type ResponseFilter struct {
	PulseID uuid.UUID
	// StudentID restricts to one student's responses (what a student sees).
	StudentID *uuid.UUID
	// AfterSeq is the Seq of the last response of the previous page.
	AfterSeq int64
	Limit    int
}

// Reader is the read side. Every list is keyset-paged, never by offset.
type Reader interface {
	Pulse(ctx context.Context, id uuid.UUID) (Pulse, error)
	PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Pulse, error)
	// PulseStates reads pulses with their aggregate's version, each row and
	// version from one snapshot; missing ids are absent from the map.
	PulseStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]PulseState, error)
	ListPulses(ctx context.Context, f PulseFilter) ([]Pulse, error)
	ListResponses(ctx context.Context, f ResponseFilter) ([]Response, error)
	ResponsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Response, error)

	Event(ctx context.Context, id uuid.UUID) (event.Envelope, error)
	EventsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]event.Envelope, error)
	// AggregateEvents lists an aggregate's events with version > afterVersion,
	// in version order. An aggregate is its type and its id: aggregates of
	// other types that share the id are not part of it.
	AggregateEvents(ctx context.Context, aggType event.AggregateType, aggregateID uuid.UUID, afterVersion int64, limit int) ([]event.Envelope, error)
	// AggregateTypes lists the types of the aggregates that have id, in no
	// particular order (clients choose most ids, so several types may share
	// one).
	AggregateTypes(ctx context.Context, id uuid.UUID) ([]event.AggregateType, error)
	// EventsAfter lists published events with Position > position, in
	// position order: the replay half of a resumed subscription.
	EventsAfter(ctx context.Context, position int64, limit int) ([]event.Envelope, error)
	// LastPosition is the highest position handed out so far (0 when none):
	// every event up to it can be read with EventsAfter.
	LastPosition(ctx context.Context) (int64, error)
}

// Store is a backend.
type Store interface {
	Reader

	// Write runs fn as one unit of work and commits it when fn returns nil.
	// With idem set, a request already completed by the same actor and key
	// returns its first Outcome with replayed=true and runs nothing; a key
	// reused for another request is ErrIdempotencyKeyReused.
	Write(ctx context.Context, idem *Idempotency, fn func(ctx context.Context, tx Tx) (Outcome, error)) (out Outcome, replayed bool, err error)

	// AcquireOutbox blocks until this process holds the right to tail the
	// outbox (one holder per database), or ctx ends.
	AcquireOutbox(ctx context.Context) (Outbox, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close()
}

// OutboxEntry is one event waiting to be published.
type OutboxEntry struct {
	EventID       uuid.UUID
	AggregateID   uuid.UUID
	AggregateType event.AggregateType
	Version       int64
	Position      int64
	Subject       string
	Body          []byte
}

// Outbox is the exclusive right to tail the outbox. Claim and Ack run on
// the connection that holds the right, so a holder that dies cannot leave a
// half-done claim behind.
type Outbox interface {
	// Claim returns up to limit entries to publish, in position order:
	// first those claimed before but never acknowledged, then newly
	// committed ones, to which it assigns the next positions. It never
	// skips an entry whose transaction commits late, and it keeps each
	// aggregate's versions in order.
	Claim(ctx context.Context, limit int) ([]OutboxEntry, error)
	// ClaimAfter is Claim for a caller that still has the entries up to
	// position after in flight (claimed, handed out, not acknowledged): it
	// leaves them out, so that the next batch can be claimed while the
	// last one is being published. ClaimAfter(ctx, 0, limit) is Claim.
	ClaimAfter(ctx context.Context, after int64, limit int) ([]OutboxEntry, error)
	// Ack removes published entries from the outbox.
	Ack(ctx context.Context, eventIDs []uuid.UUID) error
	// Pending counts committed entries not yet acknowledged and the age of
	// the oldest (for the relay-lag metrics).
	Pending(ctx context.Context) (count int, oldest time.Duration, err error)
	// Release gives up the right; another process may then acquire it.
	Release()
}

// OneAggregate checks what every backend's Append requires of its events
// before it writes anything: they are valid, and all of the first one's
// aggregate, type and id alike (an event whose aggregate type is not its
// payload's fails Validate). A write must never land in an aggregate of
// another type, whoever builds the envelopes.
func OneAggregate(evs []*event.Envelope) error {
	if len(evs) == 0 {
		return nil
	}
	aggType, aggID := evs[0].AggregateType, evs[0].AggregateID
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			return err
		}
		if e.AggregateType != aggType || e.AggregateID != aggID {
			return fmt.Errorf("event %s is of aggregate %s/%s, not %s/%s",
				e.ID, e.AggregateType, e.AggregateID, aggType, aggID)
		}
	}
	return nil
}
