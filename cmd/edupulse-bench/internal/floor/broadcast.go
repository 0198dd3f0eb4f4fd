// Package floor holds the physical floors the server is measured against,
// each doing the same work with nothing of the server in the way: pgbench
// running the server's SQL, a bare gorilla/websocket broadcast server
// sending the server's bytes, and raw JetStream publishing of the relay's
// messages.
package floor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Broadcast is the fan-out floor: a bare gorilla/websocket server in the
// shape of gorilla's own chat example. Every connection has a reader
// goroutine (for control frames) and a writer goroutine fed by a bounded
// queue; a tick hands each of its messages, prepared once
// (websocket.PreparedMessage), to every queue. It knows no protocol: it
// sends the bytes it is given.
//
//	GET  /ws     upgrade, and join the audience
//	POST /tick   body: messages separated by '\n'; answered once queued
//	GET  /count  the number of connections
//	GET  /readyz 200
type Broadcast struct {
	upgrader websocket.Upgrader

	mu      sync.Mutex
	peers   map[*peer]struct{}
	dropped int
}

type peer struct {
	ws   *websocket.Conn
	send chan *websocket.PreparedMessage
	done chan struct{}
}

// peerQueue matches the server's per-subscriber buffer (live.Options.Buffer).
const peerQueue = 1024

// NewBroadcast returns the floor server.
func NewBroadcast() *Broadcast {
	return &Broadcast{
		// The server's upgrader settings: default buffers.
		upgrader: websocket.Upgrader{HandshakeTimeout: 10 * time.Second},
		peers:    map[*peer]struct{}{},
	}
}

// ServeHTTP implements http.Handler.
func (b *Broadcast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ws":
		b.join(w, r)
	case "/tick":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.tick(bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n")))
		w.WriteHeader(http.StatusNoContent)
	case "/readyz":
		w.WriteHeader(http.StatusOK)
	case "/count":
		b.mu.Lock()
		n := len(b.peers)
		b.mu.Unlock()
		_, _ = io.WriteString(w, strconv.Itoa(n))
	default:
		http.NotFound(w, r)
	}
}

func (b *Broadcast) join(w http.ResponseWriter, r *http.Request) {
	ws, err := b.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p := &peer{ws: ws, send: make(chan *websocket.PreparedMessage, peerQueue), done: make(chan struct{})}
	b.mu.Lock()
	b.peers[p] = struct{}{}
	b.mu.Unlock()
	go p.write()
	go func() {
		defer func() {
			b.mu.Lock()
			delete(b.peers, p)
			b.mu.Unlock()
			close(p.done)
			_ = ws.Close()
		}()
		for {
			if _, _, err := ws.NextReader(); err != nil {
				return
			}
		}
	}()
}

func (p *peer) write() {
	for {
		select {
		case <-p.done:
			return
		case m := <-p.send:
			_ = p.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := p.ws.WritePreparedMessage(m); err != nil {
				_ = p.ws.Close()
				return
			}
		}
	}
}

func (b *Broadcast) tick(msgs [][]byte) {
	prepared := make([]*websocket.PreparedMessage, 0, len(msgs))
	for _, m := range msgs {
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, m)
		if err != nil {
			return
		}
		prepared = append(prepared, pm)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.peers {
		for _, pm := range prepared {
			select {
			case p.send <- pm:
			default:
				b.dropped++ // a slow peer: the server would cut it off
			}
		}
	}
}

// Serve runs the floor on ln until ctx ends.
func (b *Broadcast) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		b.mu.Lock()
		for p := range b.peers {
			_ = p.ws.Close()
		}
		b.mu.Unlock()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("broadcast floor: %w", err)
	}
	return nil
}
