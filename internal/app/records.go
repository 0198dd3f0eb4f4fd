package app

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// The other producers of the web_social context have no rows of their own:
// each appends one event to its aggregate.

// PublishLesson records LessonPublished (teachers and admins).
func (s *Service) PublishLesson(ctx context.Context, lessonID uuid.UUID, key *string) (event.Envelope, error) {
	return s.record(ctx, key, "publishLesson", auth.CanPublishLesson, "teachers and admins", store.ExpectAny,
		func(a auth.Actor) (event.Payload, error) {
			return event.LessonPublished{LessonID: lessonID, TeacherID: a.ID}, nil
		})
}

// SubmitQuiz records QuizSubmitted (students).
func (s *Service) SubmitQuiz(ctx context.Context, quizID uuid.UUID, score float64, key *string) (event.Envelope, error) {
	return s.record(ctx, key, "submitQuiz", auth.CanSubmitQuiz, "students", store.ExpectAny,
		func(a auth.Actor) (event.Payload, error) {
			if math.IsNaN(score) || score < 0 || score > 100 {
				return nil, invalid("scorePercentage", "must be between 0 and 100")
			}
			return event.QuizSubmitted{QuizID: quizID, StudentID: a.ID, ScorePercentage: float32(score)}, nil
		})
}

// AwardBadge records BadgeAwarded (teachers and admins).
func (s *Service) AwardBadge(ctx context.Context, badgeID, studentID uuid.UUID, key *string) (event.Envelope, error) {
	return s.record(ctx, key, "awardBadge", auth.CanAwardBadge, "teachers and admins", store.ExpectAny,
		func(auth.Actor) (event.Payload, error) {
			if studentID == uuid.Nil {
				return nil, invalid("studentId", "must not be the nil UUID")
			}
			return event.BadgeAwarded{BadgeID: badgeID, StudentID: studentID}, nil
		})
}

// RecordPayment records PaymentProcessed (admins). A payment is processed
// once: recording the same payment id again is a conflict.
func (s *Service) RecordPayment(ctx context.Context, paymentID uuid.UUID, cents int64, payerID uuid.UUID, key *string) (event.Envelope, error) {
	return s.record(ctx, key, "recordPayment", auth.CanRecordPayment, "admins", store.ExpectNew,
		func(auth.Actor) (event.Payload, error) {
			if cents <= 0 {
				return nil, invalid("orderTotalCents", "must be positive")
			}
			if payerID == uuid.Nil {
				return nil, invalid("payerId", "must not be the nil UUID")
			}
			return event.PaymentProcessed{PaymentID: paymentID, OrderTotalCents: cents, PayerID: payerID}, nil
		})
}

func (s *Service) record(ctx context.Context, key *string, op string, may func(auth.Actor) bool, who string,
	expected int64, build func(auth.Actor) (event.Payload, error)) (event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return event.Envelope{}, err
	}
	if !may(a) {
		return event.Envelope{}, fmt.Errorf("%w: only %s may %s", ErrForbidden, who, op)
	}
	p, err := build(a)
	if err != nil {
		return event.Envelope{}, err
	}
	if _, id := p.Aggregate(); id == uuid.Nil {
		return event.Envelope{}, invalid(aggregateField(p), "must not be the nil UUID")
	}
	idem, err := idempotency(a, key, op, p)
	if err != nil {
		return event.Envelope{}, err
	}
	ev := event.New(p, meta(ctx, a), s.now())
	out, replayed, err := s.write(ctx, idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		return outcome(ev.AggregateID, ev), tx.Append(ctx, expected, &ev)
	})
	if err != nil {
		if expected == store.ExpectNew && errors.Is(err, ErrConflict) {
			return event.Envelope{}, fmt.Errorf("%w: %s %s was already recorded", ErrConflict, ev.AggregateType, ev.AggregateID)
		}
		return event.Envelope{}, err
	}
	if replayed {
		return s.firstEvent(ctx, out)
	}
	return ev, nil
}

func aggregateField(p event.Payload) string {
	at, _ := p.Aggregate()
	return string(at) + "Id"
}

// EraseActor (admins) replaces the personal text an actor left with
// store.ErasedText and records ActorErased, in one transaction. History
// keeps its shape: events carry ids, never text.
func (s *Service) EraseActor(ctx context.Context, actorID uuid.UUID) (int, event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return 0, event.Envelope{}, err
	}
	if !auth.CanEraseActor(a) {
		return 0, event.Envelope{}, fmt.Errorf("%w: only admins erase actors", ErrForbidden)
	}
	if actorID == uuid.Nil {
		return 0, event.Envelope{}, invalid("actorId", "must not be the nil UUID")
	}
	ev := event.New(event.ActorErased{ActorID: actorID}, meta(ctx, a), s.now())
	var erased int
	_, _, err = s.write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		n, err := tx.EraseActor(ctx, actorID)
		if err != nil {
			return store.Outcome{}, err
		}
		erased = n
		return outcome(actorID, ev), tx.Append(ctx, store.ExpectAny, &ev)
	})
	if err != nil {
		return 0, event.Envelope{}, err
	}
	return erased, ev, nil
}
