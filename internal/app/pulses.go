package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// CreatePulseInput is createPulse's input.
type CreatePulseInput struct {
	Title          string
	Description    *string
	DueDate        *time.Time
	IdempotencyKey *string
}

// CreatePulse opens a pulse; the caller, a teacher or an admin, becomes its
// teacher.
func (s *Service) CreatePulse(ctx context.Context, in CreatePulseInput) (store.Pulse, event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	if !auth.CanCreatePulse(a) {
		return store.Pulse{}, event.Envelope{}, fmt.Errorf("%w: only teachers and admins create pulses", ErrForbidden)
	}
	title, err := text("title", in.Title, 1, 200)
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	var desc *string
	if in.Description != nil {
		d, err := text("description", *in.Description, 0, 4000)
		if err != nil {
			return store.Pulse{}, event.Envelope{}, err
		}
		if d != "" {
			desc = &d
		}
	}
	var due *time.Time
	if in.DueDate != nil {
		d := event.Timestamp(*in.DueDate)
		due = &d
	}
	idem, err := idempotency(a, in.IdempotencyKey, "createPulse", []any{title, desc, due})
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	now := event.Timestamp(s.now())
	p := store.Pulse{ID: newID(), TeacherID: a.ID, Title: title, Description: desc, DueDate: due, CreatedAt: now}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: a.ID}, meta(ctx, a), now)
	out, replayed, err := s.write(ctx, idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return outcome(p.ID, ev), tx.Append(ctx, store.ExpectNew, &ev)
	})
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	if replayed {
		return s.replayPulse(ctx, out)
	}
	s.changed(store.PulseState{Pulse: p, Version: ev.Version})
	return p, ev, nil
}

// RespondInput is respondToPulse's input.
type RespondInput struct {
	PulseID        uuid.UUID
	Answer         string
	Confidence     *int
	IdempotencyKey *string
}

// RespondToPulse records a student's one answer to an open pulse. The
// pulse is locked first, so an answer racing a close either lands before
// it or is refused with ErrConflict.
func (s *Service) RespondToPulse(ctx context.Context, in RespondInput) (store.Response, event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return store.Response{}, event.Envelope{}, err
	}
	if !auth.CanRespond(a) {
		return store.Response{}, event.Envelope{}, fmt.Errorf("%w: only students answer pulses", ErrForbidden)
	}
	answer, err := text("answer", in.Answer, 1, 2000)
	if err != nil {
		return store.Response{}, event.Envelope{}, err
	}
	if in.Confidence != nil && (*in.Confidence < 1 || *in.Confidence > 5) {
		return store.Response{}, event.Envelope{}, invalid("confidence", "must be between 1 and 5")
	}
	idem, err := idempotency(a, in.IdempotencyKey, "respondToPulse", []any{in.PulseID, answer, in.Confidence})
	if err != nil {
		return store.Response{}, event.Envelope{}, err
	}
	now := event.Timestamp(s.now())
	r := store.Response{ID: newID(), PulseID: in.PulseID, StudentID: a.ID, Answer: answer, Confidence: in.Confidence, CreatedAt: now}
	ev := event.New(event.LearningPulseResponded{PulseID: in.PulseID, StudentID: a.ID, ResponseID: r.ID}, meta(ctx, a), now)
	var after store.PulseState
	out, replayed, err := s.write(ctx, idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		p, version, err := tx.LockPulse(ctx, in.PulseID)
		if err != nil {
			return store.Outcome{}, err
		}
		if p.ClosedAt != nil {
			return store.Outcome{}, ErrPulseClosed
		}
		if err := tx.Append(ctx, version, &ev); err != nil {
			return store.Outcome{}, err
		}
		r.Seq = ev.Version
		// Read under the lock, so the row is the latest: counting r on it
		// is what InsertResponse makes of it.
		p.Count(r)
		after = store.PulseState{Pulse: p, Version: ev.Version}
		return outcome(r.ID, ev), tx.InsertResponse(ctx, r)
	})
	if err != nil {
		if errors.Is(err, ErrConflict) && !errors.Is(err, ErrPulseClosed) {
			err = fmt.Errorf("%w: you have already answered this pulse", ErrConflict)
		}
		return store.Response{}, event.Envelope{}, err
	}
	if replayed {
		return s.replayResponse(ctx, out)
	}
	s.changed(after)
	return r, ev, nil
}

// ClosePulseInput is closePulse's input.
type ClosePulseInput struct {
	PulseID        uuid.UUID
	IdempotencyKey *string
}

// ClosePulse closes a pulse: its teacher or an admin may.
func (s *Service) ClosePulse(ctx context.Context, in ClosePulseInput) (store.Pulse, event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	if !a.IsTeacher() && !a.IsAdmin() {
		return store.Pulse{}, event.Envelope{}, fmt.Errorf("%w: only the pulse's teacher or an admin closes it", ErrForbidden)
	}
	idem, err := idempotency(a, in.IdempotencyKey, "closePulse", in.PulseID)
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	now := event.Timestamp(s.now())
	var (
		closed store.Pulse
		ev     event.Envelope
	)
	out, replayed, err := s.write(ctx, idem, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		p, version, err := tx.LockPulse(ctx, in.PulseID)
		if err != nil {
			return store.Outcome{}, err
		}
		if !auth.CanClosePulse(a, p.TeacherID) {
			return store.Outcome{}, fmt.Errorf("%w: only the pulse's teacher or an admin closes it", ErrForbidden)
		}
		if p.ClosedAt != nil {
			return store.Outcome{}, ErrPulseClosed
		}
		if err := tx.ClosePulse(ctx, p.ID, now); err != nil {
			return store.Outcome{}, err
		}
		ev = event.New(event.LearningPulseClosed{PulseID: p.ID, TeacherID: p.TeacherID}, meta(ctx, a), now)
		if err := tx.Append(ctx, version, &ev); err != nil {
			return store.Outcome{}, err
		}
		closed = p
		closed.ClosedAt = &now
		return outcome(p.ID, ev), nil
	})
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	if replayed {
		return s.replayPulse(ctx, out)
	}
	s.changed(store.PulseState{Pulse: closed, Version: ev.Version})
	return closed, ev, nil
}

func outcome(resource uuid.UUID, ev event.Envelope) store.Outcome {
	return store.Outcome{ResourceID: resource, EventIDs: []uuid.UUID{ev.ID}}
}

func (s *Service) replayPulse(ctx context.Context, out store.Outcome) (store.Pulse, event.Envelope, error) {
	p, err := s.store.Pulse(ctx, out.ResourceID)
	if err != nil {
		return store.Pulse{}, event.Envelope{}, err
	}
	ev, err := s.firstEvent(ctx, out)
	return p, ev, err
}

func (s *Service) replayResponse(ctx context.Context, out store.Outcome) (store.Response, event.Envelope, error) {
	rs, err := s.store.ResponsesByID(ctx, []uuid.UUID{out.ResourceID})
	if err != nil {
		return store.Response{}, event.Envelope{}, err
	}
	r, ok := rs[out.ResourceID]
	if !ok {
		return store.Response{}, event.Envelope{}, ErrNotFound
	}
	ev, err := s.firstEvent(ctx, out)
	return r, ev, err
}
