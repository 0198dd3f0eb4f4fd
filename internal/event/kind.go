package event

import (
	"fmt"

	"github.com/google/uuid"
)

// Type is the name of an event kind exactly as the serde `type` tag spells it.
type Type string

// The event kinds. The first six are the seed's; the list only ever grows,
// because consumers pattern-match on it.
const (
	TypeLessonPublished        Type = "LessonPublished"
	TypeQuizSubmitted          Type = "QuizSubmitted"
	TypeBadgeAwarded           Type = "BadgeAwarded"
	TypePaymentProcessed       Type = "PaymentProcessed"
	TypeLearningPulseCreated   Type = "LearningPulseCreated"
	TypeLearningPulseResponded Type = "LearningPulseResponded"
	TypeLearningPulseClosed    Type = "LearningPulseClosed"
	TypeActorErased            Type = "ActorErased"
)

// Types lists every kind, in the order of the contract.
var Types = []Type{
	TypeLessonPublished, TypeQuizSubmitted, TypeBadgeAwarded, TypePaymentProcessed,
	TypeLearningPulseCreated, TypeLearningPulseResponded, TypeLearningPulseClosed, TypeActorErased,
}

// SubjectPrefix is the part of every subject before the event name.
const SubjectPrefix = "edupulse.web_social."

var subjectNames = map[Type]string{
	TypeLessonPublished:        "lesson_published",
	TypeQuizSubmitted:          "quiz_submitted",
	TypeBadgeAwarded:           "badge_awarded",
	TypePaymentProcessed:       "payment_processed",
	TypeLearningPulseCreated:   "learning_pulse_created",
	TypeLearningPulseResponded: "learning_pulse_responded",
	TypeLearningPulseClosed:    "learning_pulse_closed",
	TypeActorErased:            "actor_erased",
}

// Subject is the bus subject events of this kind are published to.
func (t Type) Subject() string { return SubjectPrefix + subjectNames[t] }

// Valid reports whether t is one of the known kinds.
func (t Type) Valid() bool { _, ok := subjectNames[t]; return ok }

// AggregateType names the kind of aggregate an event belongs to.
type AggregateType string

// The aggregate types.
const (
	AggregatePulse   AggregateType = "pulse"
	AggregateLesson  AggregateType = "lesson"
	AggregateQuiz    AggregateType = "quiz"
	AggregateBadge   AggregateType = "badge"
	AggregatePayment AggregateType = "payment"
	AggregateActor   AggregateType = "actor"
)

// Valid reports whether a is one of the known aggregate types.
func (a AggregateType) Valid() bool {
	switch a {
	case AggregatePulse, AggregateLesson, AggregateQuiz, AggregateBadge, AggregatePayment, AggregateActor:
		return true
	}
	return false
}

// Payload is the business content of an event. Payloads carry ids and
// numbers only, never personal text, so that erasing an actor's rows never
// has to rewrite history.
type Payload interface {
	// Type is the kind of the event.
	Type() Type
	// Aggregate is the aggregate the event is appended to.
	Aggregate() (AggregateType, uuid.UUID)
	// validate reports a payload that could not be a real event.
	validate() error
}

// LessonPublished: a teacher published a lesson.
type LessonPublished struct {
	LessonID  uuid.UUID
	TeacherID uuid.UUID
}

// QuizSubmitted: a student submitted a quiz.
type QuizSubmitted struct {
	QuizID          uuid.UUID
	StudentID       uuid.UUID
	ScorePercentage float32
}

// BadgeAwarded: a student received a badge.
type BadgeAwarded struct {
	BadgeID   uuid.UUID
	StudentID uuid.UUID
}

// PaymentProcessed: a payment went through.
type PaymentProcessed struct {
	PaymentID       uuid.UUID
	OrderTotalCents int64
	PayerID         uuid.UUID
}

// LearningPulseCreated: a teacher opened a pulse.
type LearningPulseCreated struct {
	PulseID   uuid.UUID
	TeacherID uuid.UUID
}

// LearningPulseResponded: a student answered a pulse.
type LearningPulseResponded struct {
	PulseID    uuid.UUID
	StudentID  uuid.UUID
	ResponseID uuid.UUID
}

// LearningPulseClosed: a pulse's teacher (or an admin) closed it.
type LearningPulseClosed struct {
	PulseID   uuid.UUID
	TeacherID uuid.UUID
}

// ActorErased: an actor's personal data was erased.
type ActorErased struct {
	ActorID uuid.UUID
}

func (LessonPublished) Type() Type        { return TypeLessonPublished }
func (QuizSubmitted) Type() Type          { return TypeQuizSubmitted }
func (BadgeAwarded) Type() Type           { return TypeBadgeAwarded }
func (PaymentProcessed) Type() Type       { return TypePaymentProcessed }
func (LearningPulseCreated) Type() Type   { return TypeLearningPulseCreated }
func (LearningPulseResponded) Type() Type { return TypeLearningPulseResponded }
func (LearningPulseClosed) Type() Type    { return TypeLearningPulseClosed }
func (ActorErased) Type() Type            { return TypeActorErased }

func (p LessonPublished) Aggregate() (AggregateType, uuid.UUID) { return AggregateLesson, p.LessonID }
func (p QuizSubmitted) Aggregate() (AggregateType, uuid.UUID)   { return AggregateQuiz, p.QuizID }
func (p BadgeAwarded) Aggregate() (AggregateType, uuid.UUID)    { return AggregateBadge, p.BadgeID }
func (p PaymentProcessed) Aggregate() (AggregateType, uuid.UUID) {
	return AggregatePayment, p.PaymentID
}
func (p LearningPulseCreated) Aggregate() (AggregateType, uuid.UUID) {
	return AggregatePulse, p.PulseID
}
func (p LearningPulseResponded) Aggregate() (AggregateType, uuid.UUID) {
	return AggregatePulse, p.PulseID
}
func (p LearningPulseClosed) Aggregate() (AggregateType, uuid.UUID) {
	return AggregatePulse, p.PulseID
}
func (p ActorErased) Aggregate() (AggregateType, uuid.UUID) { return AggregateActor, p.ActorID }

func (p LessonPublished) validate() error { return requireIDs(p.LessonID, p.TeacherID) }
func (p QuizSubmitted) validate() error {
	if p.ScorePercentage != p.ScorePercentage || p.ScorePercentage < 0 || p.ScorePercentage > 100 {
		return fmt.Errorf("score_percentage %v is outside 0..100", p.ScorePercentage)
	}
	return requireIDs(p.QuizID, p.StudentID)
}
func (p BadgeAwarded) validate() error { return requireIDs(p.BadgeID, p.StudentID) }
func (p PaymentProcessed) validate() error {
	if p.OrderTotalCents <= 0 {
		return fmt.Errorf("order_total_cents %d is not positive", p.OrderTotalCents)
	}
	return requireIDs(p.PaymentID, p.PayerID)
}
func (p LearningPulseCreated) validate() error { return requireIDs(p.PulseID, p.TeacherID) }
func (p LearningPulseResponded) validate() error {
	return requireIDs(p.PulseID, p.StudentID, p.ResponseID)
}
func (p LearningPulseClosed) validate() error { return requireIDs(p.PulseID, p.TeacherID) }
func (p ActorErased) validate() error         { return requireIDs(p.ActorID) }

func requireIDs(ids ...uuid.UUID) error {
	for _, id := range ids {
		if id == uuid.Nil {
			return fmt.Errorf("a required id is the nil UUID")
		}
	}
	return nil
}
