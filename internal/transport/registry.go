package transport

import (
	"sync"

	"github.com/gorilla/websocket"
)

// CloseServiceRestart is the close code of a graceful shutdown (RFC 6455
// §7.4.1, via the IANA registry): graphql-ws clients reconnect after it.
const CloseServiceRestart = websocket.CloseServiceRestart

// Registry tracks live websocket connections, so that a shutdown can close
// them all (http.Server.Shutdown neither tracks nor waits for hijacked
// connections). The zero value is ready to use.
type Registry struct {
	mu     sync.Mutex
	conns  map[*wsConn]struct{}
	closed bool
	code   int
	reason string
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

// Len is the number of live connections.
func (g *Registry) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// CloseAll closes every live connection with code and reason (use
// CloseServiceRestart on shutdown), and every connection accepted from
// then on. It returns once they are all closed: each has answered the
// close frame or been dropped after the write timeout.
func (g *Registry) CloseAll(code int, reason string) {
	g.mu.Lock()
	g.closed, g.code, g.reason = true, code, reason
	conns := make([]*wsConn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
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
