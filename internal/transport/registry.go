package transport

import (
	"context"
	"sync"

	"github.com/gorilla/websocket"
)

// CloseServiceRestart is the close code of a graceful shutdown (RFC 6455
// §7.4.1, via the IANA registry): graphql-ws clients reconnect after it.
const CloseServiceRestart = websocket.CloseServiceRestart

// Registry tracks a server's live connections, websockets and event
// streams, so that a shutdown can end them all: http.Server.Shutdown
// neither tracks nor waits for hijacked connections, and would wait for an
// event stream (a request that does not end) until its deadline. The zero
// value is ready to use; one Registry serves both transports.
type Registry struct {
	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	streams map[*context.CancelCauseFunc]struct{}
	closed  bool
	code    int
	reason  string
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

// Websockets is the number of live websocket connections.
func (g *Registry) Websockets() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Streams is the number of open event streams.
func (g *Registry) Streams() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.streams)
}

// CloseAll ends every live connection, and refuses those that come from
// then on: a websocket is closed with code and reason (use
// CloseServiceRestart on shutdown), an event stream ends without
// `complete` (its client reconnects, with Last-Event-ID). It returns once
// every websocket is closed: each has answered the close frame or been
// dropped after the write timeout.
func (g *Registry) CloseAll(code int, reason string) {
	g.mu.Lock()
	g.closed, g.code, g.reason = true, code, reason
	conns := make([]*wsConn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	streams := make([]context.CancelCauseFunc, 0, len(g.streams))
	for s := range g.streams {
		streams = append(streams, *s)
	}
	g.mu.Unlock()
	for _, cancel := range streams {
		cancel(errSSEShutdown)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.closeWith(code, reason)
			<-c.done
		})
	}
	wg.Wait()
}

// add tracks c; false (with the close code and reason) once CloseAll has
// run.
func (g *Registry) add(c *wsConn) (ok bool, code int, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false, g.code, g.reason
	}
	if g.conns == nil {
		g.conns = map[*wsConn]struct{}{}
	}
	g.conns[c] = struct{}{}
	return true, 0, ""
}

func (g *Registry) remove(c *wsConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
}

// addStream tracks an event stream, ended by cancel; false once CloseAll
// has run.
func (g *Registry) addStream(cancel context.CancelCauseFunc) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	if g.streams == nil {
		g.streams = map[*context.CancelCauseFunc]struct{}{}
	}
	key := &cancel
	g.streams[key] = struct{}{}
	return func() {
		g.mu.Lock()
		delete(g.streams, key)
		g.mu.Unlock()
	}, true
}
