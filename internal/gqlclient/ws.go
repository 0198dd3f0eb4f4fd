package gqlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Subprotocol is the subscription protocol the benchmark speaks (the
// graphql-ws library's).
const Subprotocol = "graphql-transport-ws"

// WS is one websocket to the server (or to the broadcast floor, which
// speaks no protocol: see DialRaw). One goroutine reads (Read); writes may
// come from any goroutine.
type WS struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

var dialer = websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	Subprotocols:     []string{Subprotocol},
	ReadBufferSize:   2048,
	WriteBufferSize:  1024,
}

// WSURL turns http://host into ws://host/query.
func WSURL(baseURL, path string) string {
	return "ws" + strings.TrimPrefix(baseURL, "http") + path
}

// Dial opens a graphql-transport-ws connection to url, authenticated with
// token, and waits for connection_ack.
func Dial(ctx context.Context, url, token string) (*WS, error) {
	ws, resp, err := dialer.DialContext(ctx, url, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	c := &WS{ws: ws}
	if err := c.writeJSON(map[string]any{"type": "connection_init",
		"payload": map[string]string{"Authorization": "Bearer " + token}}); err != nil {
		_ = ws.Close()
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = ws.SetReadDeadline(deadline)
	for {
		var m struct{ Type string }
		if err := ws.ReadJSON(&m); err != nil {
			_ = ws.Close()
			return nil, fmt.Errorf("connection_ack: %w", err)
		}
		switch m.Type {
		case "connection_ack":
			_ = ws.SetReadDeadline(time.Time{})
			return c, nil
		case "ping":
			if err := c.writeJSON(map[string]string{"type": "pong"}); err != nil {
				_ = ws.Close()
				return nil, err
			}
		default:
			_ = ws.Close()
			return nil, fmt.Errorf("connection_ack: got %q", m.Type)
		}
	}
}

// DialRaw opens a plain websocket (the broadcast floor's).
func DialRaw(ctx context.Context, url string) (*WS, error) {
	ws, resp, err := dialer.DialContext(ctx, url, http.Header{})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	return &WS{ws: ws}, nil
}

// Subscribe starts subscription id.
func (c *WS) Subscribe(id, query string, vars map[string]any) error {
	return c.writeJSON(map[string]any{"type": "subscribe", "id": id,
		"payload": map[string]any{"query": query, "variables": vars}})
}

// Complete ends subscription id.
func (c *WS) Complete(id string) error {
	return c.writeJSON(map[string]string{"type": "complete", "id": id})
}

func (c *WS) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// Close closes the TCP connection (no close handshake: the benchmark is
// done with it).
func (c *WS) Close() error { return c.ws.Close() }

// Message is one message received, parsed by Parse.
type Message struct {
	Fields
	// Raw is the message as received (valid only during the callback).
	Raw []byte
	// At is when it was read.
	At time.Time
}

// Read reads messages until the connection fails or is closed, and hands
// each to fn, answering the server's pings itself. It returns the error
// that ended it (nil after a normal close, or a Close of ours).
func (c *WS) Read(fn func(Message)) error {
	var buf bytes.Buffer
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) ||
				errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return err
		}
		m := Message{Raw: buf.Bytes(), At: time.Now()}
		m.Fields = Parse(m.Raw)
		if m.Type == "ping" {
			if err := c.writeJSON(map[string]string{"type": "pong"}); err != nil {
				return err
			}
			continue
		}
		fn(m)
	}
}
