package transport

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
)

// Websocket subscriptions (contract §1 and §2), both subprotocols:
//
//   - graphql-transport-ws, as graphql-ws's PROTOCOL.md says: close codes
//     4400 (a message the protocol does not have, or a connection_init
//     whose payload is not an object), 4401 (subscribe before the ack),
//     4403 (a refused or expired token), 4408 (no connection_init in
//     time), 4409 (an id already running), 4429 (a second
//     connection_init); ping answered with pong at any time; an `error`
//     ends its operation, never followed by `complete`; a result with
//     errors found while executing is a `next`, then `complete`.
//   - graphql-ws (subscriptions-transport-ws), which has no close codes of
//     its own: a protocol error is a connection_error, then 1002; a
//     refused token a connection_error, then 4403; `ka` right after the
//     ack and every PingInterval.
//
// Both: the connection_init payload's Authorization ("Bearer <JWT>")
// authenticates every operation of the connection, which is closed with
// 4403 when the token expires; an origin allow-list (403 before the
// upgrade); at most MaxSubscriptionsPerConn subscriptions at once (one
// more is refused with an `error` whose code is RATE_LIMITED, and the
// connection stays open); 1012 to every connection on shutdown (Registry).

// Defaults of WebsocketOptions (and DefaultWriteTimeout, shared with SSE).
const (
	DefaultMaxSubscriptionsPerConn = 20
	DefaultInitTimeout             = 10 * time.Second
	// DefaultPingInterval is the interval of the server's ping
	// (graphql-transport-ws, whose pong is then due within two intervals)
	// and of its `ka` (graphql-ws), as graphql-ws, grafserv and Yoga do.
	DefaultPingInterval = 10 * time.Second
	// DefaultReadLimit bounds a client message: a subscribe with its
	// document and variables is a few kilobytes.
	DefaultReadLimit = 64 << 10
)

// The subprotocols.
const (
	protocolTransportWS = "graphql-transport-ws"
	protocolLegacy      = "graphql-ws"
)

// WebsocketOptions configure NewWebsocket. Tokens is required; zero values
// of the others mean their defaults.
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
	// one connection.
	MaxSubscriptionsPerConn int
	// Registry, if set, tracks the connections, for CloseAll on shutdown.
	Registry *Registry
	// Logger receives refused origins and tokens (info) and connection
	// failures (debug); slog.Default() when nil.
	Logger *slog.Logger
	// InitContext, if set, is called once per connection after a
	// connection_init is accepted, with the connection's context (the
	// actor in it) and the init payload; the context it returns is the
	// parent of every operation of the connection.
	InitContext func(ctx context.Context, payload map[string]any) context.Context

	// InitTimeout is how long a client has to send connection_init.
	InitTimeout time.Duration
	// PingInterval: see DefaultPingInterval.
	PingInterval time.Duration
	// WriteTimeout bounds the write of a frame: a client that does not
	// read for that long is disconnected.
	WriteTimeout time.Duration
	// ReadLimit bounds a client message in bytes (1009 past it).
	ReadLimit int64
}

func (o WebsocketOptions) withDefaults() WebsocketOptions {
	if o.Tokens == nil {
		panic("transport: WebsocketOptions.Tokens is required")
	}
	if o.MaxSubscriptionsPerConn <= 0 {
		o.MaxSubscriptionsPerConn = DefaultMaxSubscriptionsPerConn
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.Registry == nil {
		o.Registry = NewRegistry()
	}
	return o
}

// Websocket is the websocket transport, a graphql.Transport.
type Websocket struct {
	opts     WebsocketOptions
	upgrader websocket.Upgrader
	clock    *clock
}

var _ graphql.Transport = (*Websocket)(nil)

// writeBuffers is shared by every connection of the process: a buffer is
// taken for one frame's write and given back, so an idle connection holds
// none.
var writeBuffers = &sync.Pool{}

// NewWebsocket returns the websocket transport. It panics without
// o.Tokens.
func NewWebsocket(o WebsocketOptions) *Websocket {
	o = o.withDefaults()
	t := &Websocket{opts: o}
	t.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// The modern protocol first, for clients offering both.
		Subprotocols:    []string{protocolTransportWS, protocolLegacy},
		CheckOrigin:     NewOrigins(o.AllowedOrigins, o.DevMode).CheckWebsocket,
		WriteBufferPool: writeBuffers,
		// Clients send a few small messages (init, subscribe, pong); the
		// read buffer stays with the connection for its lifetime.
		ReadBufferSize: 512,
		// A refused handshake is answered here, with 400 and a line of
		// text, like gqlgen's.
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			http.Error(w, "websocket: "+reason.Error(), status)
		},
	}
	t.clock = newClock(tickFor(o))
	return t
}

// Supports matches websocket upgrade requests.
func (t *Websocket) Supports(r *http.Request) bool { return WebsocketRequested(r) }

// Do upgrades the connection and returns: the connection lives on in a
// goroutine of its own (its reader), and net/http's per-connection buffers
// go with the handler's return.
func (t *Websocket) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !t.upgrader.CheckOrigin(r) {
		// Info: an allow-list that lacks a front end is a deployment
		// mistake someone has to find, and the access log says 403 only.
		t.opts.Logger.InfoContext(r.Context(), "websocket origin refused",
			"origin", r.Header.Get("Origin"),
			"correlation_id", reqctx.CorrelationID(r.Context()).String())
		http.Error(w, "websocket: origin not allowed", http.StatusForbidden)
		return
	}
	ws, err := t.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // answered by the upgrader
	}
	// The request's context ends when the handler returns: the connection
	// keeps its values (correlation id, logger fields) but not its end.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := newConn(ctx, cancel, t, ws, exec)
	go c.read()
}
