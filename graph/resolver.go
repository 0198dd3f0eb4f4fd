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
	edges, info := connection(p, app.PulseCursor, func(c string, n app.Pulse) model.PulseEdge { return model.PulseEdge{Cursor: c, Node: n} })
	return model.PulseConnection{Edges: edges, PageInfo: info}
}

func responseConnection(p app.ResponsePage) model.PulseResponseConnection {
	edges, info := connection(p, app.ResponseCursor, func(c string, n app.Response) model.PulseResponseEdge {
		return model.PulseResponseEdge{Cursor: c, Node: n}
	})
	return model.PulseResponseConnection{Edges: edges, PageInfo: info}
}

func eventConnection(p app.EventPage) model.EventConnection {
	edges, info := connection(p, app.EventCursor, func(c string, n event.Envelope) model.EventEdge { return model.EventEdge{Cursor: c, Node: n} })
	return model.EventConnection{Edges: edges, PageInfo: info}
}

// connection maps a page to a connection's edges, each with its cursor,
// and its page info.
func connection[T, E any](p app.Page[T], cursor func(T) string, edge func(cursor string, node T) E) ([]E, model.PageInfo) {
	edges := make([]E, len(p.Items))
	info := model.PageInfo{HasNextPage: p.HasNext}
	for i, it := range p.Items {
		c := cursor(it)
		edges[i] = edge(c, it)
		if i == len(p.Items)-1 {
			info.EndCursor = &c
		}
	}
	return edges, info
}

// recorded is the payload of the mutations that only append an event.
func recorded(ev event.Envelope, err error) (model.RecordEventPayload, error) {
	if err != nil {
		return model.RecordEventPayload{}, err
	}
	return model.RecordEventPayload{Event: ev}, nil
}
