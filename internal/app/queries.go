package app

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Viewer is the authenticated caller.
func (s *Service) Viewer(ctx context.Context) (auth.Actor, error) { return actor(ctx) }

// Pulse returns a pulse, or nil when it does not exist. Pulses are visible
// to every authenticated caller (their creation event is).
func (s *Service) Pulse(ctx context.Context, id uuid.UUID) (*store.Pulse, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	p, err := s.store.Pulse(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Page is one page of a keyset-paged list: its items, and whether more
// follow.
type Page[T any] struct {
	Items   []T
	HasNext bool
}

// PulsePage is one page of pulses, newest first.
type PulsePage = Page[store.Pulse]

// Pulses lists pulses newest first, optionally of one teacher.
func (s *Service) Pulses(ctx context.Context, teacherID *uuid.UUID, first *int, after *string) (PulsePage, error) {
	if _, err := actor(ctx); err != nil {
		return PulsePage{}, err
	}
	n, err := pageSize(first, 20)
	if err != nil {
		return PulsePage{}, err
	}
	f := store.PulseFilter{TeacherID: teacherID, Limit: n + 1}
	if after != nil {
		if f.After, err = parsePulseCursor(*after); err != nil {
			return PulsePage{}, err
		}
	}
	if n == 0 {
		return PulsePage{}, nil
	}
	items, err := s.store.ListPulses(ctx, f)
	if err != nil {
		return PulsePage{}, err
	}
	page := PulsePage{Items: items, HasNext: len(items) > n}
	if page.HasNext {
		page.Items = items[:n]
	}
	return page, nil
}

// ResponsePage is one page of a pulse's responses, oldest first.
type ResponsePage = Page[store.Response]

// Responses lists the responses of p the caller may see: all of them for
// the pulse's teacher and admins, their own for a student, none for others.
func (s *Service) Responses(ctx context.Context, p store.Pulse, first *int, after *string) (ResponsePage, error) {
	a, err := actor(ctx)
	if err != nil {
		return ResponsePage{}, err
	}
	n, err := pageSize(first, 50)
	if err != nil {
		return ResponsePage{}, err
	}
	f := store.ResponseFilter{PulseID: p.ID, Limit: n + 1}
	if after != nil {
		if f.AfterSeq, err = parseResponseCursor(*after); err != nil {
			return ResponsePage{}, err
		}
	}
	switch {
	case a.IsAdmin() || a.ID == p.TeacherID:
	case a.IsStudent():
		f.StudentID = &a.ID
	default:
		return ResponsePage{}, nil
	}
	if n == 0 {
		return ResponsePage{}, nil
	}
	items, err := s.store.ListResponses(ctx, f)
	if err != nil {
		return ResponsePage{}, err
	}
	page := ResponsePage{Items: items, HasNext: len(items) > n}
	if page.HasNext {
		page.Items = items[:n]
	}
	return page, nil
}

// EventPage is one page of an aggregate's visible events, in version order.
type EventPage = Page[event.Envelope]

// EventsByAggregate pages through an aggregate's history by version,
// keeping only the events the caller may see. aggType nil means the
// aggregate that ownerOf picks among those that have the id.
func (s *Service) EventsByAggregate(ctx context.Context, aggType *event.AggregateType, aggregateID uuid.UUID, first *int, after *string) (EventPage, error) {
	a, err := actor(ctx)
	if err != nil {
		return EventPage{}, err
	}
	n, err := pageSize(first, 50)
	if err != nil {
		return EventPage{}, err
	}
	var version int64
	if after != nil {
		k, err := ParseEventCursor(*after)
		if err != nil {
			return EventPage{}, err
		}
		version = k.Version
	}
	if n == 0 {
		return EventPage{}, nil
	}
	at, ok, err := s.aggregateType(ctx, aggType, aggregateID)
	if err != nil || !ok {
		return EventPage{}, err
	}
	teachers := s.pulseTeachers(ctx)
	var page EventPage
	for {
		batch, err := s.store.AggregateEvents(ctx, at, aggregateID, version, n+1)
		if err != nil {
			return EventPage{}, err
		}
		for _, e := range batch {
			if !auth.CanSee(a, e, teachers) {
				continue
			}
			if len(page.Items) == n {
				page.HasNext = true
				return page, nil
			}
			page.Items = append(page.Items, e)
		}
		if len(batch) < n+1 {
			return page, nil
		}
		version = batch[len(batch)-1].Version
	}
}

// aggregateType is given, or else the one ownerOf picks among the
// aggregates that have id; ok is false when none has.
func (s *Service) aggregateType(ctx context.Context, given *event.AggregateType, id uuid.UUID) (event.AggregateType, bool, error) {
	if given != nil {
		return *given, true, nil
	}
	types, err := s.store.AggregateTypes(ctx, id)
	if err != nil {
		return "", false, err
	}
	at, ok := ownerOf(types)
	return at, ok, nil
}

// byTrust ranks aggregate types by who chooses their ids: the server
// (pulses), admins (payments, erased actors), teachers (lessons, badges),
// students (quizzes).
var byTrust = []event.AggregateType{
	event.AggregatePulse, event.AggregatePayment, event.AggregateActor,
	event.AggregateLesson, event.AggregateBadge, event.AggregateQuiz,
}

// ownerOf picks, among the types of the aggregates that share an id, the
// one whose history eventsByAggregate shows (the schema names no type).
// Clients choose lesson, quiz, badge and payment ids, so an id may be
// several aggregates'; the one whose ids the most trusted role chooses
// wins, so that a student's quiz can never stand in for a pulse's or a
// payment's history, whichever was written first.
func ownerOf(types []event.AggregateType) (event.AggregateType, bool) {
	for _, t := range byTrust {
		if slices.Contains(types, t) {
			return t, true
		}
	}
	return "", false
}

// Event returns an event by id, or nil when it does not exist or the caller
// may not see it: an invisible event is absent, never an error.
func (s *Service) Event(ctx context.Context, id uuid.UUID) (*event.Envelope, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !auth.CanSee(a, e, s.pulseTeachers(ctx)) {
		return nil, nil
	}
	return &e, nil
}

// pulseTeachers looks pulse teachers up for visibility checks, once per
// pulse per call.
func (s *Service) pulseTeachers(ctx context.Context) auth.PulseTeacherFunc {
	memo := map[uuid.UUID]uuid.UUID{}
	return func(pulseID uuid.UUID) (uuid.UUID, bool) {
		if t, ok := memo[pulseID]; ok {
			return t, t != uuid.Nil
		}
		p, err := s.store.Pulse(ctx, pulseID)
		if err != nil {
			memo[pulseID] = uuid.Nil
			return uuid.Nil, false
		}
		memo[pulseID] = p.TeacherID
		return p.TeacherID, true
	}
}
