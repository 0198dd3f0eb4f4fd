package transport

import (
	"context"
	"sync"
)

// SSEStreams tracks the open event streams of a server, to end them on
// shutdown: they run on their requests' goroutines, which an
// http.Server's Shutdown would otherwise wait for until its deadline.
type SSEStreams struct {
	mu     sync.Mutex
	open   map[*sseEntry]struct{}
	closed bool
}

type sseEntry struct{ cancel context.CancelCauseFunc }

// NewSSEStreams returns an empty registry.
func NewSSEStreams() *SSEStreams { return &SSEStreams{open: map[*sseEntry]struct{}{}} }

// Len is the number of open streams.
func (g *SSEStreams) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.open)
}

// CloseAll ends every open stream without `complete` (clients reconnect,
// with Last-Event-ID), and refuses those that start afterwards.
func (g *SSEStreams) CloseAll() {
	g.mu.Lock()
	g.closed = true
	entries := make([]*sseEntry, 0, len(g.open))
	for e := range g.open {
		entries = append(entries, e)
	}
	g.mu.Unlock()
	for _, e := range entries {
		e.cancel(errSSEShutdown)
	}
}

func (g *SSEStreams) add(cancel context.CancelCauseFunc) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	e := &sseEntry{cancel: cancel}
	g.open[e] = struct{}{}
	return func() {
		g.mu.Lock()
		delete(g.open, e)
		g.mu.Unlock()
	}, true
}
