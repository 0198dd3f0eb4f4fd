package transport

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Frames leave through a queue per connection, which one worker at a time
// drains (flush). A response's JSON is written into the frame between a
// header and a closing brace, so a rendering shared by many subscribers
// (ShareEncoded) is copied into each socket's buffer and never encoded
// again.

type frameKind uint8

const (
	frameAck             frameKind = iota // connection_ack
	frameKA                               // ka (graphql-ws)
	framePing                             // ping (graphql-transport-ws)
	framePong                             // pong, with the ping's payload
	frameNext                             // next, or data in graphql-ws
	frameError                            // error: the payload is a list of errors
	frameComplete                         // complete
	frameConnectionError                  // connection_error (graphql-ws): one error
	frameClose                            // the close frame: code, and id as the reason
)

type frame struct {
	kind    frameKind
	code    int
	id      string
	payload []byte // JSON; nil: none
}

// maxBacklog is how many frames may wait for one connection before its
// subscriptions stop being asked for more: their events then wait in the
// hub, whose own bound ends a subscriber that cannot keep up
// (SLOW_CONSUMER) instead of this queue growing.
const maxBacklog = 64

// queue sends f after the frames queued before it.
func (c *wsConn) queue(f frame) {
	c.mu.Lock()
	c.queueLocked(f)
	c.mu.Unlock()
}

func (c *wsConn) queueLocked(f frame) {
	if c.enqueueLocked(f) {
		workers.submit(c.flush)
	}
}

// enqueueLocked queues f and reports whether the caller is to flush: the
// queue had no flusher.
func (c *wsConn) enqueueLocked(f frame) bool {
	if c.closed || (c.closeSent && f.kind != frameClose) {
		return false
	}
	c.out = append(c.out, f)
	if c.flushing {
		return false
	}
	c.flushing = true
	return true
}

// queueNext sends a response of op, unless op has ended meanwhile.
func (c *wsConn) queueNext(op *operation, resp *graphql.Response) {
	if c.enqueueNext(op, resp) {
		workers.submit(c.flush)
	}
}

// enqueueNext queues a response of op, and reports whether the caller is
// to flush: a worker that has just rendered a response writes it itself,
// rather than handing the write to another.
func (c *wsConn) enqueueNext(op *operation, resp *graphql.Response) bool {
	payload := op.live.TakeShared(resp)
	if payload == nil {
		var err error
		if payload, err = json.Marshal(resp); err != nil {
			op.live.End(internalError())
			return false
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops[op.id] != op {
		return false
	}
	return c.enqueueLocked(frame{kind: frameNext, id: op.id, payload: payload})
}

// queueError ends an operation refused before it ran.
func (c *wsConn) queueError(id string, errs gqlerror.List) {
	c.queue(frame{kind: frameError, id: id, payload: errorsJSON(errs)})
}

// stall reports whether the queue is full; op is then asked again once it
// has drained.
func (c *wsConn) stall(op *operation) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) < maxBacklog {
		return false
	}
	c.stalled = append(c.stalled, op)
	return true
}

// waitRoom returns nil when the queue has room, else a channel closed once
// it has drained.
func (c *wsConn) waitRoom() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) < maxBacklog || c.closed {
		return nil
	}
	if c.room == nil {
		c.room = make(chan struct{})
	}
	return c.room
}

// flush writes the queue out, on a worker, until it is empty.
func (c *wsConn) flush() {
	var batch []frame
	for {
		c.mu.Lock()
		batch, c.out = c.out, batch[:0]
		if len(batch) == 0 || c.closed {
			c.flushing = false
			stalled := c.stalled
			c.stalled = nil
			if c.room != nil {
				close(c.room)
				c.room = nil
			}
			c.mu.Unlock()
			for _, op := range stalled {
				op.notify()
			}
			return
		}
		c.mu.Unlock()
		if err := c.write(batch); err != nil {
			if !errors.Is(err, websocket.ErrCloseSent) {
				c.t.opts.Logger.DebugContext(c.logCtx, "websocket write failed", "error", err)
				// A frame may be half written, and a peer that does not
				// read within the timeout is not going to: the reader
				// fails and tears down.
				_ = c.ws.Close()
			}
			c.mu.Lock()
			c.out = nil // flushing stays set: nothing more is written
			c.mu.Unlock()
			return
		}
		clear(batch) // the payloads may be large: not kept by the spare slice
	}
}

// write writes frames, within the write timeout.
func (c *wsConn) write(batch []frame) error {
	timeout := c.t.opts.WriteTimeout
	// The deadline moves at most once per tenth of the timeout: a write
	// has between 0.9 and 1 timeout, and a stream of deliveries does not
	// reset a runtime timer per frame.
	if now := time.Now(); now.Sub(c.deadlineSet) > timeout/10 {
		if err := c.ws.SetWriteDeadline(now.Add(timeout)); err != nil {
			return err
		}
		c.deadlineSet = now
	}
	for _, f := range batch {
		if f.kind == frameClose {
			msg := websocket.FormatCloseMessage(f.code, truncate(f.id, maxCloseReason))
			if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(timeout)); err != nil {
				return err
			}
			continue
		}
		w, err := c.ws.NextWriter(websocket.TextMessage)
		if err != nil {
			return err
		}
		writeFrame(w, f, c.legacy)
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}

// heads are the buffers frame headers are made in, while a frame is
// written.
var heads = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// writeFrame writes f as the protocol's JSON message. Errors are the
// writer's (gorilla's buffers them): the Close after it reports them.
func writeFrame(w io.Writer, f frame, legacy bool) {
	bp := heads.Get().(*[]byte)
	b := appendFrameHead((*bp)[:0], f, legacy)
	_, _ = w.Write(b)
	if f.payload != nil {
		_, _ = w.Write(f.payload)
	}
	_, _ = w.Write(closingBrace)
	*bp = b[:0]
	heads.Put(bp)
}

var closingBrace = []byte{'}'}

// appendFrameHead appends a frame up to its payload (included, when it
// has none: then the closing brace is all that follows).
func appendFrameHead(b []byte, f frame, legacy bool) []byte {
	var typ string
	switch f.kind {
	case frameAck:
		typ = "connection_ack"
	case frameKA:
		typ = "ka"
	case framePing:
		typ = "ping"
	case framePong:
		typ = "pong"
	case frameNext:
		typ = "next"
		if legacy {
			typ = "data"
		}
	case frameError:
		typ = "error"
	case frameComplete:
		typ = "complete"
	case frameConnectionError:
		typ = "connection_error"
	}
	b = append(b, '{')
	if f.id != "" {
		b = append(b, `"id":`...)
		b = appendJSONString(b, f.id)
		b = append(b, ',')
	}
	b = append(b, `"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if f.payload != nil {
		b = append(b, `,"payload":`...)
	}
	return b
}

// appendJSONString quotes s as encoding/json would; ids are client-chosen.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// maxCloseReason is the longest close reason a close frame can carry: a
// control frame's 125 bytes minus the 2-byte code.
const maxCloseReason = 123

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
