// Package wsgorilla adapts github.com/gorilla/websocket to gqlgen's websocket
// transport (transport.WebsocketImplementation): since v0.17.92 gqlgen ships
// only a coder/websocket adapter.
//
// It owns what the transport leaves to the adapter: subprotocol negotiation,
// a read limit, a write deadline on every frame (so that a peer that stops
// reading cannot hold a goroutine, nor the lock every other frame of its
// connection waits for), one writer at a time, and the close handshake. Its
// Registry closes every live connection at once, so that a graceful shutdown
// can tell clients to come back (1012, service restart) instead of leaving
// them to notice a dead socket.
//
// It knows nothing of GraphQL beyond the interface it implements: which
// close codes mean what is the caller's policy (see graph.WebsocketTransport).
package wsgorilla

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

const (
	// DefaultWriteTimeout bounds one frame's write when
	// Implementation.WriteTimeout is zero.
	DefaultWriteTimeout = 10 * time.Second

	// CloseServiceRestart is the close code of a graceful shutdown (RFC
	// 6455 §7.4.1 via the IANA registry): clients such as graphql-ws
	// reconnect on their own after it.
	CloseServiceRestart = websocket.CloseServiceRestart

	// maxCloseReason is the longest close reason a close frame can carry:
	// a control frame's 125 bytes minus the 2-byte code.
	maxCloseReason = 123
)

// Implementation accepts websocket connections for gqlgen's transport. The
// zero value works (same-origin requests only, no read limit of its own,
// DefaultWriteTimeout); use it by pointer.
type Implementation struct {
	// Upgrader performs the handshake. Its Subprotocols are the preferred
	// ones, in order; those gqlgen asks for are appended. CheckOrigin nil
	// means same origin only (gorilla's default). Error nil means that a
	// failed handshake writes nothing: gqlgen answers it itself (400), and
	// a second status line would only be logged as superfluous. To answer a
	// refused Origin with 403, call OriginAllowed before the transport runs.
	Upgrader websocket.Upgrader
	// ReadLimit, when positive, is the largest message accepted, in bytes.
	// It is a ceiling: gqlgen's PayloadReadLimit (1 MiB by default) can
	// lower it, never raise it. A larger message closes the connection with
	// 1009 (message too big).
	ReadLimit int64
	// WriteTimeout bounds every write of a frame; zero means
	// DefaultWriteTimeout. A write that times out closes the connection: a
	// peer that stopped reading gets nothing more, and whatever was
	// waiting to write to it is released.
	WriteTimeout time.Duration
	// Registry, if set, tracks every connection accepted, for CloseAll.
	Registry *Registry
}

var _ transport.WebsocketImplementation = (*Implementation)(nil)

// Accept implements transport.WebsocketImplementation.
func (i *Implementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.Upgrade(w, r, o)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Upgrade is Accept returning the concrete connection, for callers that
// wrap it (and need CloseWith or CloseAfter).
func (i *Implementation) Upgrade(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (*Conn, error) {
	u := i.Upgrader // a copy: the fields set below are per call
	u.Subprotocols = slices.Clone(i.Upgrader.Subprotocols)
	for _, p := range o.Subprotocols {
		if !slices.Contains(u.Subprotocols, p) {
			u.Subprotocols = append(u.Subprotocols, p)
		}
	}
	if u.Error == nil {
		u.Error = func(http.ResponseWriter, *http.Request, int, error) {}
	}
	ws, err := u.Upgrade(w, r, o.ResponseHeader)
	if err != nil {
		return nil, err
	}
	wt := i.WriteTimeout
	if wt <= 0 {
		wt = DefaultWriteTimeout
	}
	c := &Conn{ws: ws, writeTimeout: wt, readLimit: i.ReadLimit, registry: i.Registry, done: make(chan struct{})}
	if i.ReadLimit > 0 {
		ws.SetReadLimit(i.ReadLimit)
	}
	if i.Registry != nil {
		i.Registry.add(c)
	}
	return c, nil
}

// OriginAllowed reports whether the handshake would accept r's Origin:
// Upgrader.CheckOrigin's answer, or, when it is nil, whether r has no Origin
// header or one whose host is r's Host.
func (i *Implementation) OriginAllowed(r *http.Request) bool {
	if i.Upgrader.CheckOrigin != nil {
		return i.Upgrader.CheckOrigin(r)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// Conn is an accepted connection. It implements transport.WebsocketConn,
// transport.WebsocketReadLimiter and transport.WebsocketReadDeadliner.
//
// As gorilla requires, one goroutine reads (NextReader); any number may
// write, one at a time. Closing is safe from any goroutine, any number of
// times: the first close frame sent wins.
type Conn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
	readLimit    int64
	registry     *Registry
	done         chan struct{}

	// wmu serialises data frames: gorilla supports one writer at a time.
	// Close frames do not take it (gorilla's WriteControl may run
	// alongside a writer, and waits for the frame in progress no longer
	// than its deadline), so that closing is never stuck behind a write.
	wmu sync.Mutex
	// deadlineSet (under wmu) is when the write deadline was last moved.
	deadlineSet time.Time

	mu        sync.Mutex
	closeSent bool // a close frame went out, or writing it failed
	closeCode int
	closed    bool // the TCP connection is closed
	timers    []*time.Timer
}

var (
	_ transport.WebsocketConn          = (*Conn)(nil)
	_ transport.WebsocketReadLimiter   = (*Conn)(nil)
	_ transport.WebsocketReadDeadliner = (*Conn)(nil)
)

// NextReader returns the next data message. A normal close by the peer
// (1000, 1001, 1005, or EOF), and the peer's answer to a close frame of
// ours whatever its code, end in transport.ErrWebsocketClosed. Once a close
// frame of ours is out, data messages are discarded until the peer's close
// frame (RFC 6455 §1.4: the closing endpoint waits for it, but need not act
// on what comes before).
func (c *Conn) NextReader() (int, io.Reader, error) {
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			return mt, nil, c.readError(err)
		}
		if !c.closing() {
			return mt, r, nil
		}
	}
}

func (c *Conn) readError(err error) error {
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
		if c.closing() {
			return transport.ErrWebsocketClosed
		}
		switch ce.Code {
		case websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived:
			return transport.ErrWebsocketClosed
		}
		return err
	}
	if errors.Is(err, io.EOF) {
		return transport.ErrWebsocketClosed
	}
	return err
}

// WriteJSON writes v as one text message.
func (c *Conn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WriteText(data)
}

// WriteText writes data as one text message, within the write timeout. A
// failed write closes the connection: a frame may be half written, and a
// peer that does not read within the timeout is not going to.
func (c *Conn) WriteText(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	// The deadline moves at most once per deadlineSlack: a write always has
	// between writeTimeout-deadlineSlack and writeTimeout, and a stream of
	// deliveries does not reset a runtime timer for every frame.
	if now := time.Now(); now.Sub(c.deadlineSet) > deadlineSlack(c.writeTimeout) {
		if err := c.ws.SetWriteDeadline(now.Add(c.writeTimeout)); err != nil {
			return err
		}
		c.deadlineSet = now
	}
	err := c.ws.WriteMessage(websocket.TextMessage, data)
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		_ = c.Close()
	}
	return err
}

// deadlineSlack is a tenth of the write timeout.
func deadlineSlack(timeout time.Duration) time.Duration { return timeout / 10 }

// WriteClose sends a close frame with code and reason (cut to the 123
// bytes a close frame can carry), within the write timeout. Only the first
// close frame goes out: later calls, or a call after gorilla has answered
// the peer's close frame, do nothing. It does not close the TCP connection:
// Close does.
func (c *Conn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	if c.closeSent || c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closeSent = true
	c.closeCode = code
	c.mu.Unlock()
	msg := websocket.FormatCloseMessage(code, truncate(reason, maxCloseReason))
	err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.writeTimeout))
	if errors.Is(err, websocket.ErrCloseSent) {
		return nil
	}
	if err != nil {
		_ = c.Close()
	}
	return err
}

// CloseWith starts a close handshake initiated by us: it sends a close
// frame with code and reason, lets the reader take the peer's answer (the
// transport then winds down as for a normal close), and closes the TCP
// connection once the write timeout has passed without one.
func (c *Conn) CloseWith(code int, reason string) {
	if err := c.WriteClose(code, reason); err != nil {
		return // WriteClose has closed the connection
	}
	t := time.AfterFunc(c.writeTimeout, func() { _ = c.Close() })
	c.keep(t)
}

// CloseAfter arranges CloseWith(code, reason) to happen after d, unless the
// connection is closed first or the returned stop is called. stop reports
// whether it prevented the close, like time.Timer.Stop.
func (c *Conn) CloseAfter(d time.Duration, code int, reason string) (stop func() bool) {
	t := time.AfterFunc(d, func() { c.CloseWith(code, reason) })
	c.keep(t)
	return t.Stop
}

// keep records a timer that Close stops (or stops it, if Close has run).
func (c *Conn) keep(t *time.Timer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		t.Stop()
		return
	}
	c.timers = append(c.timers, t)
}

// Close closes the TCP connection (without a close frame if none was
// sent), which ends any read or write in progress. It is idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	c.mu.Unlock()
	// Leave the registry before signalling done: CloseAll waits on done and
	// its caller expects the registry empty by then.
	if c.registry != nil {
		c.registry.remove(c)
	}
	err := c.ws.Close()
	close(c.done)
	return err
}

// Done is closed once the TCP connection is.
func (c *Conn) Done() <-chan struct{} { return c.done }

// CloseCode is the code of the close frame we sent (or tried to), 0 if
// none.
func (c *Conn) CloseCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

func (c *Conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeSent
}

// Subprotocol is the negotiated subprotocol, "" if none.
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// SetReadLimit sets the largest message accepted, within the
// Implementation's ReadLimit.
func (c *Conn) SetReadLimit(limit int64) {
	if c.readLimit > 0 && (limit <= 0 || limit > c.readLimit) {
		limit = c.readLimit
	}
	c.ws.SetReadLimit(limit)
}

// SetReadDeadline sets the deadline of reads in progress and to come; the
// zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence
// (a close reason must be valid UTF-8).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Registry tracks live connections, so that a shutdown can close them all.
// The zero value is ready to use; it must not be copied after first use.
type Registry struct {
	mu     sync.Mutex
	conns  map[*Conn]struct{}
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
// CloseServiceRestart on shutdown), and every connection accepted from then
// on. It returns once they are all closed: each has answered our close
// frame or been dropped after its write timeout, whichever came first.
// http.Server.Shutdown does not do this: it neither tracks nor waits for
// hijacked connections.
func (g *Registry) CloseAll(code int, reason string) {
	g.mu.Lock()
	g.closed, g.code, g.reason = true, code, reason
	conns := make([]*Conn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()

	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.CloseWith(code, reason)
			<-c.Done()
		})
	}
	wg.Wait()
}

func (g *Registry) add(c *Conn) {
	g.mu.Lock()
	if g.closed {
		code, reason := g.code, g.reason
		g.mu.Unlock()
		c.CloseWith(code, reason)
		return
	}
	if g.conns == nil {
		g.conns = map[*Conn]struct{}{}
	}
	g.conns[c] = struct{}{}
	g.mu.Unlock()
}

func (g *Registry) remove(c *Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
}
