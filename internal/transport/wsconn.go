package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
)

// Close codes of graphql-transport-ws (graphql-ws's PROTOCOL.md), with the
// reasons graphql-ws's own server gives.
const (
	closeBadRequest       = 4400
	closeUnauthorized     = 4401
	closeForbidden        = 4403
	closeInitTimeout      = 4408
	closeSubscriberExists = 4409
	closeTooManyInits     = 4429

	reasonBadRequest   = "Invalid message received"
	reasonUnauthorized = "Unauthorized"
	reasonForbidden    = "Forbidden"
	reasonInitTimeout  = "Connection initialisation timeout"
	reasonTooManyInits = "Too many initialisation requests"
)

// wsConn is one websocket connection. Its reader (read) is its only
// goroutine; everything else it does runs on the shared workers (one turn
// at a time for its messages, one for its writes) or the transport's
// clock, under mu.
type wsConn struct {
	t      *Websocket
	ws     *websocket.Conn
	legacy bool
	exec   graphql.GraphExecutor
	done   chan struct{} // closed once the connection is gone

	// ctx is the parent of the connection's operations: the upgrade
	// request's values, then the actor. Only the inbox's taker (take)
	// touches it.
	ctx    context.Context
	cancel context.CancelFunc
	// logCtx is the upgrade request's context, for logging from anywhere.
	logCtx context.Context

	mu sync.Mutex
	// The lifecycle.
	initSeen  bool // a connection_init came
	acked     bool // and was accepted
	closeSent bool // our close frame is queued: nothing else goes out
	closed    bool // the socket is closed
	// Deadlines for the clock, in Unix nanoseconds; 0 means none.
	initDeadline int64 // the connection_init is due
	expiry       int64 // the token expires
	hardClose    int64 // the peer's answer to our close frame is due
	nextPing     int64 // the next ping (or ka) is due
	lastPong     int64 // the last pong came (graphql-transport-ws)
	// Operations, by id, and how many of them are subscriptions.
	ops  map[string]*operation
	subs int
	// The client's messages not yet taken (take), in order.
	inbox     [][]byte
	taking    bool
	inboxRoom chan struct{}
	// Delivery (wsdelivery.go).
	out      []frame
	flushing bool
	stalled  []*operation
	room     chan struct{}
	// deadlineSet is when the write deadline last moved (flusher only).
	deadlineSet time.Time
}

func newConn(ctx context.Context, cancel context.CancelFunc, t *Websocket, ws *websocket.Conn, exec graphql.GraphExecutor) *wsConn {
	c := &wsConn{t: t, ws: ws, legacy: ws.Subprotocol() != protocolTransportWS, exec: exec,
		done: make(chan struct{}), ctx: ctx, cancel: cancel, logCtx: ctx, ops: map[string]*operation{}}
	ws.SetReadLimit(t.opts.ReadLimit)
	c.initDeadline = time.Now().Add(t.opts.InitTimeout).UnixNano()
	t.clock.add(c)
	if ok, code, reason := t.opts.Registry.add(c); !ok {
		c.closeWith(code, reason) // shutting down: come back later
	}
	return c
}

// read is the connection's goroutine: it reads the client's messages
// until the socket closes, then tears the connection down.
func (c *wsConn) read() {
	defer c.teardown()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			// A peer that went away, or the answer to our close frame.
			c.t.opts.Logger.DebugContext(c.logCtx, "websocket closed", "error", err)
			return
		}
		if c.closing() {
			continue // RFC 6455 §1.4: wait for the close frame, ignore the rest
		}
		if wait := c.hand(data); wait != nil {
			<-wait // a client sending faster than its messages are taken
		}
	}
}

// maxInbox is how many client messages may wait to be taken before the
// reader stops reading.
const maxInbox = 32

// hand passes a client message to the connection's turn on the workers,
// which takes messages one at a time, in order: the reader only reads, so
// its stack stays that of a blocked read (parsing and validating a
// document, verifying a token, run deeper). It returns a channel to wait
// on when the inbox is full.
func (c *wsConn) hand(data []byte) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inbox = append(c.inbox, data)
	if !c.taking {
		c.taking = true
		workers.submit(c.take)
	}
	if len(c.inbox) < maxInbox {
		return nil
	}
	if c.inboxRoom == nil {
		c.inboxRoom = make(chan struct{})
	}
	return c.inboxRoom
}

// take handles the inbox's messages until it is empty.
func (c *wsConn) take() {
	for {
		c.mu.Lock()
		if len(c.inbox) == 0 || c.closed {
			c.inbox, c.taking = nil, false
			if c.inboxRoom != nil {
				close(c.inboxRoom)
				c.inboxRoom = nil
			}
			c.mu.Unlock()
			return
		}
		data := c.inbox[0]
		c.inbox[0] = nil
		c.inbox = c.inbox[1:]
		if c.inboxRoom != nil && len(c.inbox) < maxInbox/2 {
			close(c.inboxRoom)
			c.inboxRoom = nil
		}
		closing := c.closeSent
		c.mu.Unlock()
		if closing {
			continue
		}
		c.receiveOne(data)
	}
}

// receiveOne handles one message; a panic (an extension checking a
// document, say) ends the connection, not the process.
func (c *wsConn) receiveOne(data []byte) {
	defer func() {
		if v := recover(); v != nil {
			c.t.opts.Logger.ErrorContext(c.logCtx, "websocket connection panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			c.closeWith(websocket.CloseInternalServerErr, "internal error")
		}
	}()
	if c.legacy {
		c.receiveLegacy(data)
	} else {
		c.receive(data)
	}
}

func (c *wsConn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeSent || c.closed
}

// teardown ends every operation and releases the socket.
func (c *wsConn) teardown() {
	c.mu.Lock()
	c.closed = true
	ops := c.ops
	c.ops, c.out, c.stalled, c.inbox = nil, nil, nil, nil
	if c.room != nil {
		close(c.room)
		c.room = nil
	}
	if c.inboxRoom != nil {
		close(c.inboxRoom)
		c.inboxRoom = nil
	}
	c.mu.Unlock()
	for _, op := range ops {
		op.stop()
	}
	c.cancel()
	c.t.clock.remove(c)
	c.t.opts.Registry.remove(c)
	_ = c.ws.Close()
	close(c.done)
}

// closeWith starts a close handshake of ours: the close frame goes out
// after the frames already queued, every operation ends, and the socket is
// closed when the peer answers (the reader sees it) or, failing that, one
// write timeout after the frame was queued.
func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closeSent || c.closed {
		c.mu.Unlock()
		return
	}
	c.closeSent = true
	c.hardClose = time.Now().Add(2 * c.t.opts.WriteTimeout).UnixNano()
	ops := c.ops
	c.ops = map[string]*operation{}
	c.subs = 0
	c.queueLocked(frame{kind: frameClose, code: code, id: reason})
	c.mu.Unlock()
	for _, op := range ops {
		op.stop()
	}
}

// tick is the clock's visit: the deadlines and the keep-alive. It must not
// block (the clock holds its lock): closing goes through the queue.
func (c *wsConn) tick(now time.Time) {
	n := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return
	case c.closeSent:
		if n >= c.hardClose {
			_ = c.ws.Close() // the reader fails and tears down
		}
		return
	case !c.initSeen && n >= c.initDeadline:
		c.initDeadline = math.MaxInt64
		workers.submit(func() { c.closeWith(closeInitTimeout, reasonInitTimeout) })
		return
	case c.expiry != 0 && n >= c.expiry:
		c.expiry = 0
		workers.submit(func() { c.closeWith(closeForbidden, reasonForbidden+": token expired") })
		return
	case !c.acked || n < c.nextPing:
		return
	}
	interval := c.t.opts.PingInterval.Nanoseconds()
	c.nextPing = n + interval
	if c.legacy {
		c.queueLocked(frame{kind: frameKA})
		return
	}
	if n-c.lastPong > 2*interval {
		// Two intervals without a pong: the peer is gone, or not
		// listening. graphql-ws's client does the same on its side.
		_ = c.ws.Close()
		return
	}
	c.queueLocked(frame{kind: framePing})
}

// ---------------------------------------------------------------------------
// The client's messages

type inMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// receive takes a graphql-transport-ws message.
func (c *wsConn) receive(data []byte) {
	var m inMessage
	if json.Unmarshal(data, &m) != nil {
		c.closeWith(closeBadRequest, reasonBadRequest)
		return
	}
	switch m.Type {
	case "connection_init":
		c.mu.Lock()
		again := c.initSeen
		c.initSeen = true
		c.mu.Unlock()
		if again {
			c.closeWith(closeTooManyInits, reasonTooManyInits)
			return
		}
		payload, ok := initPayload(m.Payload)
		if !ok {
			c.closeWith(closeBadRequest, reasonBadRequest)
			return
		}
		c.init(payload)
	case "ping":
		// Answered at any time, before the ack too, with the ping's
		// payload, as graphql-ws's server does.
		c.queue(frame{kind: framePong, payload: objectOrNil(m.Payload)})
	case "pong":
		c.mu.Lock()
		c.lastPong = time.Now().UnixNano()
		c.mu.Unlock()
	case "subscribe":
		if !c.isAcked() {
			c.closeWith(closeUnauthorized, reasonUnauthorized)
			return
		}
		params, ok := operationParams(m.Payload)
		if !ok || m.ID == "" {
			c.closeWith(closeBadRequest, reasonBadRequest)
			return
		}
		if c.running(m.ID) {
			c.closeWith(closeSubscriberExists, "Subscriber for "+m.ID+" already exists")
			return
		}
		c.start(m.ID, params)
	case "complete":
		// The client stops listening: no further message for that id,
		// not even a complete.
		c.stopOp(m.ID, false)
	default:
		// Not a message of the protocol, or one only the server sends.
		c.closeWith(closeBadRequest, reasonBadRequest)
	}
}

// receiveLegacy takes a graphql-ws (subscriptions-transport-ws) message.
func (c *wsConn) receiveLegacy(data []byte) {
	var m inMessage
	if json.Unmarshal(data, &m) != nil {
		c.protocolError("invalid message")
		return
	}
	c.mu.Lock()
	initSeen := c.initSeen
	if m.Type == "connection_init" {
		c.initSeen = true
	}
	c.mu.Unlock()
	if !initSeen && m.Type != "connection_init" {
		c.protocolError("unexpected message " + m.Type + " before connection_init")
		return
	}
	switch m.Type {
	case "connection_init":
		if initSeen {
			c.protocolError("unexpected message connection_init")
			return
		}
		payload, ok := initPayload(m.Payload)
		if !ok {
			c.protocolError("connection_init payload is not an object")
			return
		}
		c.init(payload)
	case "start":
		if !c.isAcked() {
			return // refused: the close is on its way
		}
		params, ok := operationParams(m.Payload)
		if !ok {
			c.queueError(m.ID, errorList(codeBadUserInput, "invalid payload: an object with a query is expected"))
			return
		}
		// The protocol replaces an operation whose id is reused.
		c.stopOp(m.ID, false)
		c.start(m.ID, params)
	case "stop":
		c.stopOp(m.ID, true)
	case "connection_terminate":
		c.closeWith(websocket.CloseNormalClosure, "")
	default:
		c.protocolError("unexpected message " + m.Type)
	}
}

// protocolError ends a graphql-ws connection: the protocol has no close
// codes, so the client is told why in a connection_error first.
func (c *wsConn) protocolError(msg string) {
	c.queue(frame{kind: frameConnectionError, payload: errorObject(codeBadUserInput, msg)})
	c.closeWith(websocket.CloseProtocolError, msg)
}

func (c *wsConn) isAcked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// initPayload reads a connection_init payload: absent, null or an object.
func initPayload(raw json.RawMessage) (map[string]any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, true
	}
	if raw[0] != '{' {
		return nil, false
	}
	var p map[string]any
	if json.Unmarshal(raw, &p) != nil {
		return nil, false
	}
	return p, true
}

// objectOrNil is raw when it is a JSON object, for echoing a ping's
// payload (the protocol allows only an object there).
func objectOrNil(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	return raw
}

// operationParams reads a subscribe (start) payload: an object whose
// fields have the types GraphQL over HTTP gives them. Numbers stay
// json.Number, as gqlgen's own transports leave them for coercion.
func operationParams(raw json.RawMessage) (*graphql.RawParams, bool) {
	raw = bytes.TrimSpace(raw)
	// One JSON object and nothing after it: a decoder alone would stop
	// at the object's end and ignore what follows.
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, false
	}
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&p) != nil {
		return nil, false
	}
	return &p, true
}

// init authenticates the connection_init payload's Authorization ("Bearer
// <JWT>", either case of the key) and acknowledges the connection.
func (c *wsConn) init(payload map[string]any) {
	actor, exp, err := c.authenticate(payload)
	if err != nil {
		c.t.opts.Logger.InfoContext(c.ctx, "websocket token rejected",
			"reason", err.Error(),
			"correlation_id", reqctx.CorrelationID(c.ctx).String())
		if c.legacy {
			c.queue(frame{kind: frameConnectionError, payload: errorObject(codeUnauthenticated, err.Error())})
		}
		c.closeWith(closeForbidden, reasonForbidden+": "+err.Error())
		return
	}
	ctx := auth.WithActor(c.ctx, actor)
	if c.t.opts.InitContext != nil {
		ctx = c.t.opts.InitContext(ctx, payload)
	}
	c.ctx = ctx

	now := time.Now()
	interval := c.t.opts.PingInterval
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent || c.closed {
		return
	}
	c.acked = true
	c.expiry = exp.UnixNano()
	c.lastPong = now.UnixNano()
	// The first ping at a random point of the first interval, so that
	// connections opened together do not all ping together; graphql-ws's
	// ka right after the ack, as subscriptions-transport-ws does.
	c.nextPing = now.Add(interval/2 + rand.N(interval/2+1)).UnixNano() //nolint:gosec // spreading pings needs no secrecy
	c.queueLocked(frame{kind: frameAck})
	if c.legacy {
		c.queueLocked(frame{kind: frameKA})
	}
}

func (c *wsConn) authenticate(payload map[string]any) (auth.Actor, time.Time, error) {
	header, _ := payload["Authorization"].(string)
	if header == "" {
		header, _ = payload["authorization"].(string)
	}
	token, ok := auth.ParseBearer(header)
	if !ok {
		return auth.Actor{}, time.Time{}, fmt.Errorf("%w: connection_init payload has no \"Authorization\": \"Bearer <token>\"", auth.ErrUnauthenticated)
	}
	return c.t.opts.Tokens.VerifyLive(token)
}
