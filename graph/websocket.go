package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
	"github.com/edupulse/edupulse-live/internal/wsgorilla"
)

// Subscriptions over websocket (contract §1 and §2): both subprotocols
// gqlgen speaks, graphql-transport-ws (the graphql-ws library's) and the
// legacy graphql-ws, on gorilla/websocket through internal/wsgorilla.
//
// gqlgen's transport leaves several things to its user, or gets them wrong
// for the graphql-ws client, whose retries are driven by close codes (it
// reconnects after 1000, 1001, 1005, 1006, 1012–1014, 4403 and 4408, and
// gives up after 4400, 4401, 4409 and 4429). This file adds:
//
//   - the token of the connection_init payload, checked like a bearer
//     header; a bad one closes with 4403 (gqlgen's default, 1000, makes the
//     client reconnect in a tight loop);
//   - the socket closed with 4403 when that token expires;
//   - 4408 when no connection_init comes within InitTimeout: gqlgen's own
//     InitTimeout closes with 1002, which the client takes as fatal. The
//     timer is ours (gqlgen's is left off) rather than a rewrite of gqlgen's
//     close frame: a rewrite would have to recognise it by its reason text;
//   - on graphql-transport-ws, the spec's close codes where gqlgen sends 1002
//     or nothing: 4409 for a subscribe whose id is already running (gqlgen
//     silently replaces the first subscription), 4400 for a frame that is
//     not a message, 4401 for a subscribe before connection_init, 4429 for a
//     second connection_init. The legacy protocol defines no close codes and
//     replaces a running id by design: it is left to gqlgen;
//   - at most MaxSubscriptionsPerConn subscriptions running per connection:
//     one more is refused with an `error` message whose code is
//     RATE_LIMITED (too many at once, not a malformed request), and the
//     connection stays open;
//   - an origin allow-list, refused with 403 before the upgrade;
//   - extensions.code on every error sent, including those gqlgen writes
//     without the presenter ("invalid json", the legacy connection_error).

// Defaults of WebsocketOptions.
const (
	DefaultMaxSubscriptionsPerConn = 20
	DefaultWebsocketInitTimeout    = 10 * time.Second
	// DefaultWebsocketPingInterval is the interval of the server's ping
	// (graphql-transport-ws, whose pong is then due within two intervals)
	// and of its "ka" keep-alive (graphql-ws), as graphql-ws, grafserv and
	// Yoga do.
	DefaultWebsocketPingInterval = 10 * time.Second
	// DefaultWebsocketReadLimit bounds a client message: a subscribe with
	// its document and variables is a few kilobytes.
	DefaultWebsocketReadLimit    = 64 << 10
	DefaultWebsocketWriteTimeout = wsgorilla.DefaultWriteTimeout
)

// Close codes of graphql-transport-ws (graphql-ws's PROTOCOL.md), and the
// reasons graphql-ws's own server gives with them.
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

const transportWSProtocol = "graphql-transport-ws"

// WebsocketOptions configure WebsocketTransport. Tokens is required; zero
// values of the others mean their defaults.
type WebsocketOptions struct {
	// Tokens verifies the token of the connection_init payload.
	Tokens *auth.Tokens
	// AllowedOrigins are the origins (scheme://host[:port]) besides the
	// server's own that may open a websocket. A request without an Origin
	// header (not a browser) is allowed: the token is what authenticates.
	AllowedOrigins []string
	// DevMode also allows any http(s) origin on localhost, 127.0.0.1 or
	// [::1], whatever its port (a front end's development server).
	DevMode bool
	// MaxSubscriptionsPerConn bounds the subscriptions running at once on
	// one connection; 0 means DefaultMaxSubscriptionsPerConn.
	MaxSubscriptionsPerConn int
	// Registry, if set, tracks the connections, for CloseAll on shutdown.
	Registry *wsgorilla.Registry
	// Logger receives refused origins and tokens (info) and websocket
	// errors (debug); slog.Default() when nil.
	Logger *slog.Logger

	// InitTimeout is how long a client has to send connection_init;
	// 0 means DefaultWebsocketInitTimeout.
	InitTimeout time.Duration
	// PingInterval: see DefaultWebsocketPingInterval; 0 means that.
	PingInterval time.Duration
	// WriteTimeout bounds the write of one frame; 0 means
	// DefaultWebsocketWriteTimeout. A client that does not read for that
	// long is disconnected.
	WriteTimeout time.Duration
	// ReadLimit bounds a client message in bytes; 0 means
	// DefaultWebsocketReadLimit.
	ReadLimit int64
}

func (o WebsocketOptions) withDefaults() WebsocketOptions {
	if o.Tokens == nil {
		panic("graph: WebsocketOptions.Tokens is required")
	}
	if o.MaxSubscriptionsPerConn <= 0 {
		o.MaxSubscriptionsPerConn = DefaultMaxSubscriptionsPerConn
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultWebsocketInitTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultWebsocketPingInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWebsocketWriteTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultWebsocketReadLimit
	}
	return o
}

// WebsocketTransport returns the websocket transport for subscriptions,
// configured as the file comment says. It is a graphql.Transport wrapping
// gqlgen's transport.Websocket, because the token's expiry, the
// subscription cap and the spec's close codes need state per connection,
// which a transport.Websocket value cannot hold. It panics without
// o.Tokens.
// writeBuffers is shared by every connection of the process.
var writeBuffers = &sync.Pool{}

func WebsocketTransport(o WebsocketOptions) graphql.Transport {
	o = o.withDefaults()
	impl := &wsgorilla.Implementation{
		Upgrader: websocket.Upgrader{
			HandshakeTimeout: 10 * time.Second,
			// The modern protocol first, for clients offering both.
			Subprotocols: []string{transportWSProtocol, "graphql-ws"},
			CheckOrigin:  originChecker(o.AllowedOrigins, o.DevMode),
			// Write buffers are taken from a pool for each message: an idle
			// subscriber (most of them, most of the time) holds none.
			WriteBufferPool: writeBuffers,
			// Clients send a few small messages (init, subscribe, pong);
			// the 4 KiB buffer net/http would lend stays with each idle
			// connection for its lifetime.
			ReadBufferSize: 1024,
		},
		ReadLimit:    o.ReadLimit,
		WriteTimeout: o.WriteTimeout,
		Registry:     o.Registry,
	}
	readLimit := o.ReadLimit
	log := o.Logger
	return &websocketTransport{
		opts: o,
		impl: impl,
		base: transport.Websocket{
			// InitTimeout is left at 0: the session's own timer closes with
			// 4408 (see the file comment).
			// PingPongInterval and KeepAlivePingInterval are left at 0: the
			// session pings with a timer (see keepAlive), where gqlgen would
			// run a goroutine per connection for it.
			PayloadReadLimit: &readLimit,
			ErrorFunc: func(ctx context.Context, err error) {
				// A peer that vanished or a write that timed out: routine.
				log.DebugContext(ctx, "websocket error", "error", err)
			},
		},
	}
}

type websocketTransport struct {
	opts WebsocketOptions
	impl *wsgorilla.Implementation
	base transport.Websocket
}

var _ graphql.Transport = (*websocketTransport)(nil)

func (t *websocketTransport) Supports(r *http.Request) bool { return t.base.Supports(r) }

func (t *websocketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !t.impl.OriginAllowed(r) {
		// Info, like a refused token over HTTP: the access log has the 403
		// but not why, and an allow-list that lacks a front end is a
		// deployment mistake someone has to find.
		t.opts.Logger.InfoContext(r.Context(), "websocket origin refused",
			"origin", r.Header.Get("Origin"),
			"correlation_id", reqctx.CorrelationID(r.Context()).String())
		http.Error(w, "websocket: origin not allowed", http.StatusForbidden)
		return
	}
	s := &wsSession{
		opts:  &t.opts,
		ids:   map[string]struct{}{},
		marks: map[*graphql.OperationContext]bool{},
	}
	ws := t.base // a copy per connection, whose hooks know the session
	ws.Implementation = sessionAccepter{impl: t.impl, s: s}
	ws.InitFunc = s.init

	// The connection runs on a goroutine of its own, and the handler returns
	// once the socket is upgraded: net/http's per-connection buffers and
	// request state, which it keeps until the handler returns, then go
	// (about 8 KiB per connection, most of an idle subscriber's heap). The
	// request's context ends when the handler returns, so the connection
	// gets one of its own, with the request's values, that ends when
	// gqlgen's read loop does, as the request's did before: every operation
	// of the connection is cancelled then, including one that gqlgen lost
	// track of (an id reused right after the server completed it can have
	// its cancel func dropped from gqlgen's table by the previous
	// operation's cleanup).
	s.upgraded = make(chan struct{})
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(ctx)
	go func() {
		defer close(done)
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				t.opts.Logger.Error("websocket connection panicked", "panic", fmt.Sprint(v))
				if s.conn != nil {
					s.conn.CloseWith(websocket.CloseInternalServerErr, "internal error")
				}
			}
		}()
		ws.Do(w, r, sessionExecutor{GraphExecutor: exec, s: s})
	}()
	select {
	case <-s.upgraded:
	case <-done: // refused before the upgrade: the answer is written
	}
}

// originChecker allows a request without an Origin header, the server's own
// origin, the allowed ones, and in development loopback origins.
func originChecker(allowed []string, dev bool) func(*http.Request) bool {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))] = true
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return true
		}
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" {
			return false // "null" (a sandboxed page, a file) among others
		}
		if strings.EqualFold(u.Host, r.Host) || set[strings.ToLower(origin)] {
			return true
		}
		if dev && (u.Scheme == "http" || u.Scheme == "https") {
			switch u.Hostname() {
			case "localhost", "127.0.0.1", "::1":
				return true
			}
		}
		return false
	}
}

// wsSession is the state of one connection.
type wsSession struct {
	opts     *WebsocketOptions
	conn     *wsgorilla.Conn // set by Accept, before anything else runs
	stopInit func() bool
	// upgraded is closed once the socket is upgraded (see Do).
	upgraded chan struct{}
	// pinger is the keep-alive timer; pongSeen (under mu): a pong came in
	// since the last ping.
	pinger   *time.Timer
	pongSeen bool

	mu sync.Mutex
	// authFailed: the connection_init was refused (the legacy
	// connection_error that follows is UNAUTHENTICATED).
	authFailed bool
	// graphql-transport-ws bookkeeping, from the frames themselves.
	initSeen bool
	ids      map[string]struct{} // of the subscribe messages running
	// The cap: subscriptions running, and the operations CreateOperationContext
	// admitted (true) or refused (false) for DispatchOperation to act on.
	running int
	marks   map[*graphql.OperationContext]bool
}

// sessionAccepter accepts the connection and starts the init timer.
type sessionAccepter struct {
	impl *wsgorilla.Implementation
	s    *wsSession
}

func (a sessionAccepter) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.impl.Upgrade(w, r, o)
	if err != nil {
		return nil, err
	}
	a.s.conn = c
	a.s.stopInit = c.CloseAfter(a.s.opts.InitTimeout, closeInitTimeout, reasonInitTimeout)
	if a.s.upgraded != nil {
		close(a.s.upgraded)
	}
	return &sessionConn{Conn: c, s: a.s}, nil
}

var errInitTimeout = errors.New("connection initialisation timeout")

// init is the InitFunc: it authenticates the connection_init payload's
// Authorization ("Bearer <JWT>", either case of the key) and arranges the
// socket to close when the token expires.
func (s *wsSession) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if !s.stopInit() {
		// The timer fired: its close frame is out already.
		return transport.WithWebsocketCloseCode(ctx, closeInitTimeout), nil, errInitTimeout
	}
	actor, exp, err := s.authenticate(p.Authorization())
	if err != nil {
		s.opts.Logger.InfoContext(ctx, "websocket token rejected",
			"reason", err.Error(),
			"correlation_id", reqctx.CorrelationID(ctx).String())
		s.mu.Lock()
		s.authFailed = true
		s.mu.Unlock()
		ctx = transport.WithWebsocketCloseCode(ctx, closeForbidden)
		ctx = transport.AppendCloseReason(ctx, reasonForbidden+": "+err.Error())
		return ctx, nil, err
	}
	s.conn.CloseAfter(time.Until(exp), closeForbidden, reasonForbidden+": token expired")
	return auth.WithActor(ctx, actor), nil, nil
}

func (s *wsSession) authenticate(header string) (auth.Actor, time.Time, error) {
	token, ok := auth.ParseBearer(header)
	if !ok {
		return auth.Actor{}, time.Time{}, fmt.Errorf("%w: connection_init payload has no \"Authorization\": \"Bearer <token>\"", auth.ErrUnauthenticated)
	}
	actor, exp, err := s.opts.Tokens.Verify(token)
	if err != nil {
		return auth.Actor{}, time.Time{}, err
	}
	if !time.Now().Before(exp) {
		// Verify tolerates auth.Leeway past exp; a socket opened then
		// would be closed at once.
		return auth.Actor{}, time.Time{}, fmt.Errorf("%w: token has expired", auth.ErrUnauthenticated)
	}
	return actor, exp, nil
}

// sessionConn checks the frames both ways: the client's against the
// graphql-transport-ws rules gqlgen does not enforce, and the server's
// errors for a code.
type sessionConn struct {
	*wsgorilla.Conn
	s *wsSession

	// frame is reused for each outgoing message: the websocket layer copies
	// it out before WriteText returns.
	mu    sync.Mutex
	frame []byte
}

// Close stops the keep-alive with the connection.
func (c *sessionConn) Close() error {
	c.s.mu.Lock()
	if c.s.pinger != nil {
		c.s.pinger.Stop()
	}
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// maxKeptFrame: a frame buffer larger than this (a big page of events) is
// not kept for the connection's next messages.
const maxKeptFrame = 16 << 10

func (c *sessionConn) NextReader() (int, io.Reader, error) {
	mt, r, err := c.Conn.NextReader()
	if err != nil || c.Subprotocol() != transportWSProtocol {
		return mt, r, err
	}
	data, err := io.ReadAll(r) // bounded by the read limit
	if err != nil {
		return mt, nil, err
	}
	if code, reason := c.s.inbound(data); code != 0 {
		c.CloseWith(code, reason)
		// What follows is the client's answer to our close frame, which
		// ends the transport's read loop as a normal close.
		return c.Conn.NextReader()
	}
	return mt, bytes.NewReader(data), nil
}

func (c *sessionConn) WriteJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, kind, err := appendFrame(c.frame[:0], v)
	if err != nil {
		return err
	}
	if cap(data) <= maxKeptFrame {
		c.frame = data
	}
	switch kind {
	case "":
		slowFrames.Add(1)
	case "connection_ack":
		if err := c.WriteText(data); err != nil {
			return err
		}
		c.s.keepAlive()
		return nil
	case "next", "data", "ka", "pong", "ping":
		// nothing for outbound to look at
		return c.WriteText(data)
	}
	return c.WriteText(c.s.outbound(data))
}

// keepAlive starts the session's keep-alive, once the connection is
// acknowledged: graphql-transport-ws gets a ping every PingInterval and must
// answer each with a pong (a client that stops answering meets its read
// deadline, two intervals on, and is dropped); the legacy graphql-ws gets
// a "ka" at once and every interval. A timer per connection does it, not a
// goroutine: an idle subscriber costs one goroutine less (gqlgen runs one
// for this). The first tick comes at a random point of the first interval,
// so that connections opened together do not all ping together.
func (s *wsSession) keepAlive() {
	interval := s.opts.PingInterval
	legacy := s.conn.Subprotocol() != transportWSProtocol
	if legacy {
		if err := s.conn.WriteText([]byte(`{"type":"ka"}`)); err != nil {
			return
		}
	} else {
		s.mu.Lock()
		s.pongSeen = true // nothing asked yet
		s.mu.Unlock()
		_ = s.conn.SetReadDeadline(time.Now().Add(2 * interval))
	}
	tick := func() {
		select {
		case <-s.conn.Done():
			return // closed: the timer is not set again
		default:
		}
		if legacy {
			if s.conn.WriteText([]byte(`{"type":"ka"}`)) != nil {
				return
			}
		} else {
			if s.conn.WriteText([]byte(`{"type":"ping"}`)) != nil {
				return
			}
			s.mu.Lock()
			answered := s.pongSeen
			s.pongSeen = false
			s.mu.Unlock()
			if answered {
				_ = s.conn.SetReadDeadline(time.Now().Add(2 * interval))
			}
		}
		s.mu.Lock()
		s.pinger.Reset(interval)
		s.mu.Unlock()
	}
	first := interval/2 + rand.N(interval/2+1) //nolint:gosec // spreading pings over time needs no secrecy
	s.mu.Lock()
	s.pinger = time.AfterFunc(first, tick)
	s.mu.Unlock()
}

// inbound applies graphql-transport-ws's rules to a client frame and
// returns the close code (and reason) it calls for, 0 if none.
func (s *wsSession) inbound(data []byte) (int, string) {
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return closeBadRequest, reasonBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if s.initSeen {
			return closeTooManyInits, reasonTooManyInits
		}
		s.initSeen = true
	case "subscribe":
		if !s.initSeen {
			return closeUnauthorized, reasonUnauthorized
		}
		if m.ID == "" {
			return closeBadRequest, reasonBadRequest
		}
		if _, running := s.ids[m.ID]; running {
			return closeSubscriberExists, "Subscriber for " + m.ID + " already exists"
		}
		s.ids[m.ID] = struct{}{}
	case "complete":
		delete(s.ids, m.ID)
	case "pong":
		s.pongSeen = true
	case "ping":
	default:
		return closeBadRequest, reasonBadRequest
	}
	return 0, ""
}

// outbound looks at the frames that end an operation (complete, error) and
// at the error frames, which gqlgen sometimes writes without the presenter:
// every error gets an extensions.code. Other frames (next, data, ping, ka)
// pass as they are, after a substring test.
func (s *wsSession) outbound(data []byte) []byte {
	if !bytes.Contains(data, []byte(`"type":"complete"`)) &&
		!bytes.Contains(data, []byte(`"type":"error"`)) &&
		!bytes.Contains(data, []byte(`"type":"connection_error"`)) {
		return data
	}
	var m struct {
		Payload json.RawMessage `json:"payload,omitempty"`
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return data
	}
	code := CodeBadUserInput // the client's message at fault: "invalid json"
	switch m.Type {
	case "complete":
		s.forget(m.ID)
		return data
	case "error":
		s.forget(m.ID)
	case "connection_error":
		s.mu.Lock()
		if s.authFailed {
			code = CodeUnauthenticated
		}
		s.mu.Unlock()
	default:
		return data
	}
	payload, changed := withCodes(m.Payload, code)
	if !changed {
		return data
	}
	m.Payload = payload
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

func (s *wsSession) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// withCodes gives code to every error of payload (one error object, or a
// list of them) that has none.
func withCodes(payload json.RawMessage, code string) (json.RawMessage, bool) {
	var list []map[string]any
	single := false
	if err := json.Unmarshal(payload, &list); err != nil {
		var one map[string]any
		if err := json.Unmarshal(payload, &one); err != nil || one == nil {
			return payload, false
		}
		list, single = []map[string]any{one}, true
	}
	changed := false
	for _, e := range list {
		if e == nil {
			continue // a null in the list: nothing to label
		}
		ext, _ := e["extensions"].(map[string]any)
		if _, ok := ext["code"].(string); ok {
			continue
		}
		if ext == nil {
			ext = map[string]any{}
			e["extensions"] = ext
		}
		ext["code"] = code
		changed = true
	}
	if !changed {
		return payload, false
	}
	var v any = list
	if single {
		v = list[0]
	}
	out, err := json.Marshal(v)
	if err != nil {
		return payload, false
	}
	return out, true
}

// sessionExecutor applies the subscription cap, presents the errors gqlgen
// would send unpresented, and turns a panic that escaped the generated
// code's own recovery into INTERNAL_SERVER_ERROR.
type sessionExecutor struct {
	graphql.GraphExecutor
	s *wsSession
}

// CreateOperationContext runs on the connection's read loop, in the order
// the subscribe messages came: the one refused is the one over the cap.
func (e sessionExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	rc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs != nil {
		if errcode.GetErrorKind(errs) != errcode.KindProtocol {
			// gqlgen sends these as they are, not through the presenter.
			errs = e.DispatchError(graphql.WithOperationContext(ctx, rc), errs).Errors
		}
		return rc, errs
	}
	if rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		return rc, nil
	}
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	admitted := e.s.running < e.s.opts.MaxSubscriptionsPerConn
	if admitted {
		e.s.running++
	}
	e.s.marks[rc] = admitted
	return rc, nil
}

func (e sessionExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	e.s.mu.Lock()
	admitted, subscription := e.s.marks[rc]
	delete(e.s.marks, rc)
	e.s.mu.Unlock()

	if subscription && !admitted {
		// Sent as an `error` message, which ends this subscription only.
		transport.AddSubscriptionError(ctx, &gqlerror.Error{
			Message: fmt.Sprintf("too many subscriptions on this connection: at most %d may run at once",
				e.s.opts.MaxSubscriptionsPerConn),
			Extensions: map[string]any{"code": CodeRateLimited},
		})
		return func(context.Context) *graphql.Response { return nil }, ctx
	}
	release := func() {}
	if subscription {
		// Released when the responses end, before gqlgen sends complete
		// (so that a client may start another on receiving it), or, failing
		// that, when gqlgen cancels the operation's context.
		var once sync.Once
		release = func() {
			once.Do(func() {
				e.s.mu.Lock()
				e.s.running--
				e.s.mu.Unlock()
			})
		}
		context.AfterFunc(ctx, release)
	}
	next, innerCtx := e.dispatch(ctx, rc)
	if next == nil {
		release()
		return func(context.Context) *graphql.Response { return nil }, ctx
	}
	return func(ctx context.Context) (resp *graphql.Response) {
		defer func() {
			if v := recover(); v != nil {
				internalFailure(ctx, rc, v)
				resp = nil
			}
			if resp == nil {
				release()
			}
		}()
		return next(ctx)
	}, innerCtx
}

// dispatch is DispatchOperation, with a panic reported as internalFailure
// and a nil handler.
func (e sessionExecutor) dispatch(ctx context.Context, rc *graphql.OperationContext) (next graphql.ResponseHandler, innerCtx context.Context) {
	defer func() {
		if v := recover(); v != nil {
			internalFailure(ctx, rc, v)
			next, innerCtx = nil, ctx
		}
	}()
	return e.GraphExecutor.DispatchOperation(ctx, rc)
}

// internalFailure logs a panic (the recover func does, with the stack) and
// makes the operation end with an `error` message that says no more than
// the presenter would. Without it gqlgen's last-resort recovery would send
// "panic: <value>" to the client.
func internalFailure(ctx context.Context, rc *graphql.OperationContext, v any) {
	_ = rc.Recover(ctx, v)
	transport.AddSubscriptionError(ctx, &gqlerror.Error{
		Message:    internalMessage,
		Extensions: map[string]any{"code": CodeInternal},
	})
}
