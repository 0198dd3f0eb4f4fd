package graph

import (
	"github.com/edupulse/edupulse-live/graph/model"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
)

// Resolver is the root resolver: it holds the use cases. Per-response state
// (the dataloaders) travels in the context, never here.
type Resolver struct {
	svc *app.Service
	// hub serves subscriptions; nil when live delivery is not wired (a
	// subscription then answers INTERNAL_SERVER_ERROR).
	hub *live.Hub
}

// The connections map the use cases' pages onto the Relay shapes; the
// cursors are the use cases' own.

func pulseConnection(p app.PulsePage) model.PulseConnection {
	c := model.PulseConnection{Edges: make([]model.PulseEdge, len(p.Items))}
	for i, it := range p.Items {
		c.Edges[i] = model.PulseEdge{Cursor: app.PulseCursor(it), Node: it}
	}
	c.PageInfo = pageInfo(p.HasNext, len(c.Edges), func(i int) string { return c.Edges[i].Cursor })
	return c
}

func responseConnection(p app.ResponsePage) model.PulseResponseConnection {
	c := model.PulseResponseConnection{Edges: make([]model.PulseResponseEdge, len(p.Items))}
	for i, it := range p.Items {
		c.Edges[i] = model.PulseResponseEdge{Cursor: app.ResponseCursor(it), Node: it}
	}
	c.PageInfo = pageInfo(p.HasNext, len(c.Edges), func(i int) string { return c.Edges[i].Cursor })
	return c
}

func eventConnection(p app.EventPage) model.EventConnection {
	c := model.EventConnection{Edges: make([]model.EventEdge, len(p.Items))}
	for i, it := range p.Items {
		c.Edges[i] = model.EventEdge{Cursor: app.EventCursor(it), Node: it}
	}
	c.PageInfo = pageInfo(p.HasNext, len(c.Edges), func(i int) string { return c.Edges[i].Cursor })
	return c
}

func pageInfo(hasNext bool, n int, cursor func(int) string) model.PageInfo {
	pi := model.PageInfo{HasNextPage: hasNext}
	if n > 0 {
		end := cursor(n - 1)
		pi.EndCursor = &end
	}
	return pi
}

// recorded is the payload of the mutations that only append an event.
func recorded(ev event.Envelope, err error) (model.RecordEventPayload, error) {
	if err != nil {
		return model.RecordEventPayload{}, err
	}
	return model.RecordEventPayload{Event: ev}, nil
}
