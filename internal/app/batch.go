package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Pulse and Response are the rows the API shows. They are the store's
// rows, named here so that the layers above the service (graph, and
// gqlgen's bindings) read them from the service alone.
type (
	Pulse    = store.Pulse
	Response = store.Response
)

// BatchReader is what loaders read through (the Service implements it).
type BatchReader interface {
	PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Pulse, error)
	ResponsesByID(ctx context.Context, ids []uuid.UUID,
		pulses func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Pulse, error)) (map[uuid.UUID]Response, error)
	CanSeeResponse(ctx context.Context, r Response, teacherID uuid.UUID) (bool, error)
}

// PulsesByID reads the pulses among ids, for loaders that batch the
// by-id reads of one response. Missing ids are absent. Pulses are visible
// to every authenticated caller (their creation event is).
func (s *Service) PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Pulse, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return s.store.PulsesByID(ctx, ids)
}

// ResponsesByID reads the responses among ids that the caller may see, for
// batching loaders; missing and invisible ones are absent. Who sees a
// response depends on its pulse's teacher: pulses supplies the pulses
// (a loader batches them with the response's other pulse reads); nil
// reads them here, in one query.
func (s *Service) ResponsesByID(ctx context.Context, ids []uuid.UUID,
	pulses func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Pulse, error),
) (map[uuid.UUID]Response, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.ResponsesByID(ctx, ids)
	if err != nil || len(rs) == 0 {
		return rs, err
	}
	if pulses == nil {
		pulses = s.store.PulsesByID
	}
	seen := make(map[uuid.UUID]bool, len(rs))
	pulseIDs := make([]uuid.UUID, 0, len(rs))
	for _, r := range rs {
		if !seen[r.PulseID] {
			seen[r.PulseID] = true
			pulseIDs = append(pulseIDs, r.PulseID)
		}
	}
	ps, err := pulses(ctx, pulseIDs)
	if err != nil {
		return nil, err
	}
	for id, r := range rs {
		p, ok := ps[r.PulseID]
		if !ok || !auth.CanSeeResponse(a, r.StudentID, p.TeacherID) {
			delete(rs, id)
		}
	}
	return rs, nil
}

// CanSeeResponse tells whether the caller may see r, whose pulse's
// teacher is teacherID: for a response already in memory (the hub's
// shared copy), which needs no read.
func (s *Service) CanSeeResponse(ctx context.Context, r Response, teacherID uuid.UUID) (bool, error) {
	a, err := actor(ctx)
	if err != nil {
		return false, err
	}
	return auth.CanSeeResponse(a, r.StudentID, teacherID), nil
}
