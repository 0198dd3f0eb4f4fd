package transport_test

// The websocket transport with a real client: gorilla's dialer speaking
// both subprotocols frame by frame. The schema is gqlgen's test server's,
// whose one subscription the test drives (SendNextSubscriptionMessage,
// SendCompleteSubscriptionMessage); the tests of stack_test.go go through
// the real stack (schema, hub, store). The graphql-ws library's own client
// is tested from the web client's end-to-end tests.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// wsProtocol names the frames that differ between the two subprotocols.
type wsProtocol struct {
	name, subscribe, stop, next string
}

var (
	transportWS = wsProtocol{"graphql-transport-ws", "subscribe", "complete", "next"}
	legacyWS    = wsProtocol{"graphql-ws", "start", "stop", "data"}
	wsProtocols = []wsProtocol{transportWS, legacyWS}
)

const nameSubscription = `subscription { name }`

// wsEnv is gqlgen's test server behind our transport.
type wsEnv struct {
	ts     *testserver.TestServer
	srv    *httptest.Server
	url    string
	tokens *auth.Tokens
	reg    *transport.Registry
	actor  auth.Actor

	mu     sync.Mutex
	actors []auth.Actor // of every operation dispatched
	live   atomic.Int64 // operations whose responses have not ended
}

func newWSEnv(t *testing.T, tweak func(*transport.WebsocketOptions)) *wsEnv {
	t.Helper()
	tokens, err := auth.NewTokens(secret)
	require.NoError(t, err)
	e := &wsEnv{ts: testserver.New(), tokens: tokens, reg: transport.NewRegistry(), actor: newActor(auth.RoleStudent)}
	o := transport.WebsocketOptions{
		Tokens:       tokens,
		Registry:     e.reg,
		Logger:       slog.New(slog.DiscardHandler),
		WriteTimeout: 2 * time.Second,
	}
	if tweak != nil {
		tweak(&o)
	}
	e.ts.AddTransport(transport.NewWebsocket(o))
	e.ts.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		a, _ := auth.ActorFrom(ctx)
		e.mu.Lock()
		e.actors = append(e.actors, a)
		e.mu.Unlock()
		e.live.Add(1)
		h := next(ctx)
		var once sync.Once
		return func(ctx context.Context) *graphql.Response {
			r := h(ctx)
			if r == nil {
				once.Do(func() { e.live.Add(-1) })
			}
			return r
		}
	})
	e.srv = httptest.NewUnstartedServer(e.ts)
	return e
}

// start serves; ln, if set, replaces the listener.
func (e *wsEnv) start(t *testing.T, ln net.Listener) {
	t.Helper()
	if ln != nil {
		_ = e.srv.Listener.Close()
		e.srv.Listener = ln
	}
	e.srv.Start()
	e.url = "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/query"
	// Cleanups run last registered first: clients close before this.
	t.Cleanup(func() {
		e.reg.CloseAll(websocket.CloseGoingAway, "test over")
		e.srv.Close()
	})
}

func (e *wsEnv) token(t *testing.T, ttl time.Duration) string {
	t.Helper()
	tok, err := e.tokens.Issue(e.actor, ttl)
	require.NoError(t, err)
	return tok
}

func (e *wsEnv) waitIdle(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool { return e.live.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
		"operations still running: %d", e.live.Load())
}

type wsMsg struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// wsClient reads in a goroutine of its own, so that waiting for a message
// with a timeout does not break the connection (after a read deadline,
// gorilla fails every read).
type wsClient struct {
	t     *testing.T
	c     *websocket.Conn
	proto wsProtocol
	in    chan wsFrame
}

type wsFrame struct {
	m   wsMsg
	err error
}

var errNoMessage = errors.New("no message in time")

func newWSClient(t *testing.T, c *websocket.Conn, p wsProtocol) *wsClient {
	cl := &wsClient{t: t, c: c, proto: p, in: make(chan wsFrame, 256)}
	stop := make(chan struct{})
	t.Cleanup(func() {
		_ = c.Close()
		close(stop)
	})
	go func() {
		for {
			var f wsFrame
			_, data, err := c.ReadMessage()
			if err != nil {
				f.err = err
			} else if err := json.Unmarshal(data, &f.m); err != nil {
				f.err = fmt.Errorf("%w: %s", err, data)
			}
			select {
			case cl.in <- f:
			case <-stop:
				return
			}
			if f.err != nil {
				return
			}
		}
	}()
	return cl
}

func dialWS(url string, proto string, header http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if proto != "" {
		d.Subprotocols = []string{proto}
	}
	c, resp, err := d.Dial(url, header)
	if resp != nil {
		_ = resp.Body.Close()
	}
	return c, resp, err
}

func (e *wsEnv) dial(t *testing.T, p wsProtocol) *wsClient {
	t.Helper()
	c, _, err := dialWS(e.url, p.name, nil)
	require.NoError(t, err)
	require.Equal(t, p.name, c.Subprotocol())
	return newWSClient(t, c, p)
}

// connect dials and completes connection_init with a valid token.
func (e *wsEnv) connect(t *testing.T, p wsProtocol) *wsClient {
	t.Helper()
	c := e.dial(t, p)
	c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour)})
	c.expect("connection_ack", "")
	return c
}

func (c *wsClient) send(m wsMsg) {
	c.t.Helper()
	data, err := json.Marshal(m)
	require.NoError(c.t, err)
	require.NoError(c.t, c.c.WriteMessage(websocket.TextMessage, data))
}

func (c *wsClient) sendRaw(s string) {
	c.t.Helper()
	require.NoError(c.t, c.c.WriteMessage(websocket.TextMessage, []byte(s)))
}

func (c *wsClient) init(payload any) {
	c.t.Helper()
	m := wsMsg{Type: "connection_init"}
	if payload != nil {
		m.Payload = mustJSON(c.t, payload)
	}
	c.send(m)
}

func (c *wsClient) subscribe(id, query string) {
	c.t.Helper()
	c.send(wsMsg{Type: c.proto.subscribe, ID: id, Payload: mustJSON(c.t, map[string]any{"query": query})})
}

func (c *wsClient) stop(id string) {
	c.t.Helper()
	c.send(wsMsg{Type: c.proto.stop, ID: id})
}

// read returns the next message, whatever it is, or the error that ended
// the connection (for good), or errNoMessage.
func (c *wsClient) read(within time.Duration) (wsMsg, error) {
	select {
	case f, ok := <-c.in:
		if !ok {
			return wsMsg{}, net.ErrClosed
		}
		return f.m, f.err
	case <-time.After(within):
		return wsMsg{}, errNoMessage
	}
}

// expect returns the next message but keep-alives (answering pings), which
// must be of type typ for id.
func (c *wsClient) expect(typ, id string) wsMsg {
	c.t.Helper()
	for {
		m, err := c.read(5 * time.Second)
		require.NoError(c.t, err, "waiting for %s %q", typ, id)
		switch m.Type {
		case "ka", "pong":
			continue
		case "ping":
			c.send(wsMsg{Type: "pong"})
			continue
		}
		require.Equal(c.t, typ, m.Type, "id %q, payload %s", m.ID, m.Payload)
		require.Equal(c.t, id, m.ID, "payload %s", m.Payload)
		return m
	}
}

// closed reads until the close frame, ignoring messages, and returns it.
func (c *wsClient) closed(within time.Duration) *websocket.CloseError {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			continue
		}
		ce, ok := errors.AsType[*websocket.CloseError](err)
		require.True(c.t, ok, "want a close frame, got %v", err)
		return ce
	}
}

// silent asserts that nothing but keep-alives comes for a while.
func (c *wsClient) silent(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m, err := c.read(time.Until(deadline))
		if errors.Is(err, errNoMessage) {
			return
		}
		require.NoError(c.t, err)
		require.Contains(c.t, []string{"ka", "ping", "pong"}, m.Type, "unexpected %s %s", m.ID, m.Payload)
		if m.Type == "ping" {
			c.send(wsMsg{Type: "pong"})
		}
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func errorsOf(t *testing.T, payload json.RawMessage) []gqlError {
	t.Helper()
	var errs []gqlError
	if err := json.Unmarshal(payload, &errs); err != nil {
		var one gqlError
		require.NoError(t, json.Unmarshal(payload, &one), "payload %s", payload)
		errs = []gqlError{one}
	}
	return errs
}

// ---------------------------------------------------------------------------

func TestWebsocketSubscriptionBothProtocols(t *testing.T) {
	t.Parallel()
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			e := newWSEnv(t, nil)
			e.start(t, nil)
			c := e.connect(t, p)

			c.subscribe("1", nameSubscription)
			for range 2 {
				e.ts.SendNextSubscriptionMessage()
				m := c.expect(p.next, "1")
				require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
			}
			// The client ends it: graphql-ws answers with complete,
			// graphql-transport-ws sends nothing more for it.
			c.stop("1")
			if p == legacyWS {
				c.expect("complete", "1")
			}
			e.waitIdle(t)

			// The server ends it.
			c.subscribe("2", nameSubscription)
			e.ts.SendNextSubscriptionMessage()
			c.expect(p.next, "2")
			e.ts.SendCompleteSubscriptionMessage()
			c.expect("complete", "2")

			if p == transportWS {
				c.send(wsMsg{Type: "ping"})
				m, err := c.read(5 * time.Second)
				require.NoError(t, err)
				require.Equal(t, "pong", m.Type)
			}

			e.waitIdle(t)
			e.mu.Lock()
			defer e.mu.Unlock()
			require.Len(t, e.actors, 2)
			for _, a := range e.actors {
				require.Equal(t, e.actor, a, "the token's actor is the operations' caller")
			}
		})
	}
}

func TestWebsocketRefusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.start(t, nil)

	other, err := auth.NewTokens([]byte("another-secret-of-at-least-32-bytes!!"))
	require.NoError(t, err)
	forged, err := other.Issue(e.actor, time.Hour)
	require.NoError(t, err)
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": e.actor.ID.String(), "role": string(e.actor.Role),
		"exp": time.Now().Add(-time.Minute).Unix(),
	}).SignedString(secret)
	require.NoError(t, err)

	cases := map[string]any{
		"no payload":         nil,
		"no Authorization":   map[string]any{"token": e.token(t, time.Hour)},
		"not a bearer token": map[string]any{"Authorization": e.token(t, time.Hour)},
		"malformed token":    map[string]any{"Authorization": "Bearer not.a.jwt"},
		"wrong secret":       map[string]any{"Authorization": "Bearer " + forged},
		"expired":            map[string]any{"Authorization": "Bearer " + expired},
		"not a string":       map[string]any{"Authorization": 42},
	}
	for _, p := range wsProtocols {
		for name, payload := range cases {
			t.Run(p.name+"/"+name, func(t *testing.T) {
				c := e.dial(t, p)
				c.init(payload)
				if p == legacyWS {
					// The legacy protocol says why before closing.
					m := c.expect("connection_error", "")
					errs := errorsOf(t, m.Payload)
					require.Len(t, errs, 1)
					require.Equal(t, graph.CodeUnauthenticated, errs[0].Extensions["code"])
				}
				ce := c.closed(5 * time.Second)
				require.Equal(t, 4403, ce.Code, "reason %q", ce.Text)
				require.True(t, strings.HasPrefix(ce.Text, "Forbidden"), ce.Text)
			})
		}
	}

	t.Run("lower-case key", func(t *testing.T) {
		c := e.dial(t, transportWS)
		c.init(map[string]any{"authorization": "Bearer " + e.token(t, time.Hour)})
		c.expect("connection_ack", "")
	})
}

func TestWebsocketInitTimeout(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, func(o *transport.WebsocketOptions) { o.InitTimeout = 200 * time.Millisecond })
	e.start(t, nil)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			c := e.dial(t, p)
			start := time.Now()
			ce := c.closed(5 * time.Second)
			require.Equal(t, 4408, ce.Code)
			require.Equal(t, "Connection initialisation timeout", ce.Text)
			require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
		})
	}
	t.Run("init in time", func(t *testing.T) {
		c := e.connect(t, transportWS)
		c.silent(400 * time.Millisecond) // past the timeout: still open
		c.subscribe("1", nameSubscription)
		e.ts.SendNextSubscriptionMessage()
		c.expect("next", "1")
	})
}

func TestWebsocketKeepAlive(t *testing.T) {
	t.Parallel()
	const interval = 100 * time.Millisecond
	e := newWSEnv(t, func(o *transport.WebsocketOptions) { o.PingInterval = interval })
	e.start(t, nil)

	t.Run("graphql-transport-ws pings and wants pongs", func(t *testing.T) {
		c := e.dial(t, transportWS)
		c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour)})
		m, err := c.read(time.Second)
		require.NoError(t, err)
		require.Equal(t, "connection_ack", m.Type)
		for range 3 {
			m, err := c.read(time.Second)
			require.NoError(t, err)
			require.Equal(t, "ping", m.Type)
			c.send(wsMsg{Type: "pong"})
		}
		// A client that stops answering is dropped after two intervals.
		start := time.Now()
		for {
			_, err := c.read(5 * time.Second)
			if err != nil {
				break
			}
		}
		require.Less(t, time.Since(start), 2*time.Second)
	})

	t.Run("graphql-ws sends ka", func(t *testing.T) {
		c := e.dial(t, legacyWS)
		c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour)})
		m, err := c.read(time.Second)
		require.NoError(t, err)
		require.Equal(t, "connection_ack", m.Type)
		for range 4 { // one right after the ack, then one per interval
			m, err := c.read(time.Second)
			require.NoError(t, err)
			require.Equal(t, "ka", m.Type)
		}
	})
}

func TestWebsocketOrigins(t *testing.T) {
	t.Parallel()
	type check struct {
		origin string
		ok     bool
	}
	for _, tc := range []struct {
		name   string
		opts   func(*transport.WebsocketOptions)
		checks []check
	}{
		{"default", nil, []check{
			{"", true}, // not a browser
			{"self", true},
			{"https://evil.example", false},
			{"null", false},
			{"http://localhost:5173", false},
		}},
		{"allow-list", func(o *transport.WebsocketOptions) {
			o.AllowedOrigins = []string{"https://app.example", "https://admin.example:8443/"}
		}, []check{
			{"https://app.example", true},
			{"https://APP.example", true},
			{"https://admin.example:8443", true},
			{"https://admin.example", false},
			{"http://app.example", false},
			{"https://app.example.evil.example", false},
			{"self", true},
		}},
		{"development", func(o *transport.WebsocketOptions) { o.DevMode = true }, []check{
			{"http://localhost:5173", true},
			{"http://127.0.0.1:3000", true},
			{"http://[::1]:8080", true},
			{"https://evil.example", false},
			{"http://localhost.evil.example", false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newWSEnv(t, tc.opts)
			e.start(t, nil)
			for _, ck := range tc.checks {
				h := http.Header{}
				switch ck.origin {
				case "":
				case "self":
					h.Set("Origin", e.srv.URL)
				default:
					h.Set("Origin", ck.origin)
				}
				c, resp, err := dialWS(e.url, transportWS.name, h)
				if ck.ok {
					require.NoError(t, err, "origin %q", ck.origin)
					_ = c.Close()
					continue
				}
				require.ErrorIs(t, err, websocket.ErrBadHandshake, "origin %q", ck.origin)
				require.Equal(t, http.StatusForbidden, resp.StatusCode, "origin %q", ck.origin)
			}
		})
	}
}

func TestWebsocketSubscriptionCap(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, func(o *transport.WebsocketOptions) { o.MaxSubscriptionsPerConn = 2 })
	e.start(t, nil)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			c := e.connect(t, p)
			c.subscribe("1", nameSubscription)
			c.subscribe("2", nameSubscription)
			c.subscribe("3", nameSubscription)
			m := c.expect("error", "3")
			errs := errorsOf(t, m.Payload)
			require.Len(t, errs, 1)
			require.Equal(t, graph.CodeRateLimited, errs[0].Extensions["code"])
			require.Contains(t, errs[0].Message, "at most 2")

			// The connection stays open, and a slot freed is a slot free.
			// Each step waits for the server's count: the stop of 1 alone
			// would already make it 1, with 2 still the one running.
			live := func(n int) {
				require.Eventually(t, func() bool { return e.live.Load() == int64(n) }, 5*time.Second, 10*time.Millisecond)
			}
			c.stop("1")
			live(1)
			c.subscribe("4", nameSubscription)
			live(2)
			c.stop("2")
			if p == legacyWS {
				c.expect("complete", "1")
				c.expect("complete", "2")
			}
			live(1)
			e.ts.SendNextSubscriptionMessage()
			c.expect(p.next, "4")
			c.stop("4")
			if p == legacyWS {
				c.expect("complete", "4")
			}
			e.waitIdle(t)
		})
	}
}

func TestWebsocketProtocolViolations(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.start(t, nil)

	t.Run("duplicate id closes 4409", func(t *testing.T) {
		c := e.connect(t, transportWS)
		c.subscribe("a", nameSubscription)
		// An id may be reused once its subscription is over: ended by the
		// client...
		c.stop("a")
		c.subscribe("a", nameSubscription)
		e.ts.SendNextSubscriptionMessage()
		c.expect("next", "a")
		// ...or by the server.
		e.ts.SendCompleteSubscriptionMessage()
		c.expect("complete", "a")
		c.subscribe("a", nameSubscription)
		e.ts.SendNextSubscriptionMessage()
		c.expect("next", "a")
		// Not while it runs.
		c.subscribe("a", nameSubscription)
		ce := c.closed(5 * time.Second)
		require.Equal(t, 4409, ce.Code)
		require.Equal(t, "Subscriber for a already exists", ce.Text)
		e.waitIdle(t)
	})

	for name, tc := range map[string]struct {
		init   bool
		frame  string
		code   int
		reason string
	}{
		"not JSON":                    {false, `{"type":`, 4400, "Invalid message received"},
		"unknown type":                {true, `{"type":"start","id":"1"}`, 4400, "Invalid message received"},
		"subscribe without id":        {true, `{"type":"subscribe","payload":{"query":"subscription { name }"}}`, 4400, "Invalid message received"},
		"subscribe before init":       {false, `{"type":"subscribe","id":"1","payload":{"query":"subscription { name }"}}`, 4401, "Unauthorized"},
		"second connection_init":      {true, `{"type":"connection_init"}`, 4429, "Too many initialisation requests"},
		"server-only type (next)":     {true, `{"type":"next","id":"1"}`, 4400, "Invalid message received"},
		"type of the wrong JSON type": {true, `{"type":1}`, 4400, "Invalid message received"},
	} {
		t.Run(name, func(t *testing.T) {
			var c *wsClient
			if tc.init {
				c = e.connect(t, transportWS)
			} else {
				c = e.dial(t, transportWS)
			}
			c.sendRaw(tc.frame)
			ce := c.closed(5 * time.Second)
			require.Equal(t, tc.code, ce.Code)
			require.Equal(t, tc.reason, ce.Text)
		})
	}

	t.Run("invalid subscribe payload", func(t *testing.T) {
		// graphql-transport-ws: a message of a format the protocol does
		// not have closes with 4400.
		c := e.connect(t, transportWS)
		c.sendRaw(`{"type":"subscribe","id":"1","payload":"not an object"}`)
		ce := c.closed(5 * time.Second)
		require.Equal(t, 4400, ce.Code)
		// graphql-ws has no close codes: an error with a code.
		c = e.connect(t, legacyWS)
		c.sendRaw(`{"type":"start","id":"1","payload":"not an object"}`)
		m := c.expect("error", "1")
		errs := errorsOf(t, m.Payload)
		require.Len(t, errs, 1)
		require.Equal(t, graph.CodeBadUserInput, errs[0].Extensions["code"])
	})

	for name, payload := range map[string]string{
		"a list": `[1]`, "a string": `"Bearer x"`, "a number": `1`, "true": `true`,
	} {
		t.Run("connection_init payload "+name+" closes 4400 at once", func(t *testing.T) {
			c := e.dial(t, transportWS)
			start := time.Now()
			c.sendRaw(`{"type":"connection_init","payload":` + payload + `}`)
			ce := c.closed(5 * time.Second)
			require.Equal(t, 4400, ce.Code)
			require.Less(t, time.Since(start), time.Second, "not at the init timeout")
		})
	}

	t.Run("a first message other than connection_init", func(t *testing.T) {
		// graphql-transport-ws: a ping is answered before the ack, a
		// complete for nothing is ignored, a subscribe is 4401.
		c := e.dial(t, transportWS)
		c.sendRaw(`{"type":"ping","payload":{"n":1}}`)
		m, err := c.read(5 * time.Second)
		require.NoError(t, err)
		require.Equal(t, "pong", m.Type)
		require.JSONEq(t, `{"n":1}`, string(m.Payload))
		c.sendRaw(`{"type":"complete","id":"9"}`)
		c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour)})
		c.expect("connection_ack", "")

		// graphql-ws: a connection_error, then 1002.
		c = e.dial(t, legacyWS)
		c.subscribe("1", nameSubscription)
		m = c.expect("connection_error", "")
		require.Equal(t, graph.CodeBadUserInput, errorsOf(t, m.Payload)[0].Extensions["code"])
		require.Equal(t, 1002, c.closed(5*time.Second).Code)
	})
}

func TestWebsocketTokenExpiryCloses(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.start(t, nil)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			c := e.dial(t, p)
			start := time.Now()
			c.init(map[string]any{"Authorization": "Bearer " + e.token(t, 2*time.Second)})
			c.expect("connection_ack", "")
			c.subscribe("1", nameSubscription)
			ce := c.closed(6 * time.Second)
			require.Equal(t, 4403, ce.Code)
			require.Equal(t, "Forbidden: token expired", ce.Text)
			// exp is in whole seconds: the token lives between 1 and 2 s.
			require.Greater(t, time.Since(start), 900*time.Millisecond)
		})
	}
	e.waitIdle(t)
}

func TestWebsocketCloseAllOnShutdown(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, nil)
	e.start(t, nil)
	var clients []*wsClient
	for i, p := range wsProtocols {
		c := e.connect(t, p)
		c.subscribe(fmt.Sprint(i), nameSubscription)
		clients = append(clients, c)
	}
	require.Eventually(t, func() bool { return e.live.Load() == 2 }, 5*time.Second, 10*time.Millisecond)

	done := make(chan struct{})
	go func() {
		e.reg.CloseAll(transport.CloseServiceRestart, "service restart")
		close(done)
	}()
	for _, c := range clients {
		ce := c.closed(5 * time.Second)
		require.Equal(t, 1012, ce.Code, c.proto.name)
		require.Equal(t, "service restart", ce.Text)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("CloseAll did not return")
	}
	require.Equal(t, 0, e.reg.Websockets())
	e.waitIdle(t) // the subscriptions were cancelled

	// A client that comes back before the listener is gone is told the same.
	late := e.dial(t, transportWS)
	require.Equal(t, 1012, late.closed(5*time.Second).Code)
}

// smallBuffers makes the kernel's socket buffers small, so that a client
// that does not read blocks the server's writes quickly.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(2048)
	}
	return c, err
}

func TestWebsocketClientThatStopsReadingIsDropped(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, func(o *transport.WebsocketOptions) { o.WriteTimeout = 300 * time.Millisecond })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e.start(t, smallBuffers{ln})

	// A bare connection: nothing reads it but this test.
	conn, _, err := dialWS(e.url, transportWS.name, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	if tc, ok := conn.NetConn().(*net.TCPConn); ok {
		require.NoError(t, tc.SetReadBuffer(2048))
	}
	c := &wsClient{t: t, c: conn, proto: transportWS}
	c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour)})
	_, ack, err := conn.ReadMessage()
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"connection_ack"}`, string(ack))
	c.subscribe("1", nameSubscription)
	require.Eventually(t, func() bool { return e.live.Load() == 1 }, 5*time.Second, 10*time.Millisecond)

	// The client reads nothing from now on; the producer keeps going.
	start := time.Now()
	for e.live.Load() > 0 {
		require.Less(t, time.Since(start), 30*time.Second, "the subscription is still running")
		e.ts.SendNextSubscriptionMessage()
	}
	require.Eventually(t, func() bool { return e.reg.Websockets() == 0 }, 5*time.Second, 10*time.Millisecond)
}

// TestWebsocketInitContext: the connection_init payload reaches the
// InitContext hook once, after the token is accepted, and the context it
// returns is the parent of the connection's operations.
func TestWebsocketInitContext(t *testing.T) {
	t.Parallel()
	type traceKey struct{}
	var calls atomic.Int64
	e := newWSEnv(t, func(o *transport.WebsocketOptions) {
		o.InitContext = func(ctx context.Context, payload map[string]any) context.Context {
			calls.Add(1)
			tp, _ := payload["traceparent"].(string)
			return context.WithValue(ctx, traceKey{}, tp)
		}
	})
	var seen atomic.Value
	e.ts.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if tp, ok := ctx.Value(traceKey{}).(string); ok {
			seen.Store(tp)
		}
		return next(ctx)
	})
	e.start(t, nil)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	c := e.dial(t, transportWS)
	c.init(map[string]any{"Authorization": "Bearer " + e.token(t, time.Hour), "traceparent": tp})
	c.expect("connection_ack", "")
	c.subscribe("1", nameSubscription)
	require.Eventually(t, func() bool { return seen.Load() != nil }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, tp, seen.Load())
	require.EqualValues(t, 1, calls.Load())

	// A refused token never reaches it.
	bad := e.dial(t, transportWS)
	bad.init(map[string]any{"Authorization": "Bearer x.y.z"})
	require.Equal(t, 4403, bad.closed(5*time.Second).Code)
	require.EqualValues(t, 1, calls.Load())
}
